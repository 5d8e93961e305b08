package dev.lanes.nn.layers;

import dev.lanes.nn.ConvOps;
import dev.lanes.nn.Tensor;

/**
 * {@code torch.nn.MaxPool2d}: the maximum over each window, padding counting as {@code -inf}; the gradient
 * goes to the first maximal element of each window. No parameters. See {@link ConvOps#maxPool2d}.
 */
public class MaxPool2d extends Module {
    private final int[] kernelSize;
    private final int[] stride;
    private final int[] padding;
    private final int[] dilation;
    private final boolean ceilMode;

    /** A square window, stride = the window size, no padding ({@code nn.MaxPool2d(2)}). */
    public MaxPool2d(int kernelSize) {
        this(new int[] {kernelSize}, null, new int[] {0}, new int[] {1}, false);
    }

    public MaxPool2d(int kernelSize, int stride) {
        this(new int[] {kernelSize}, new int[] {stride}, new int[] {0}, new int[] {1}, false);
    }

    public MaxPool2d(int kernelSize, int stride, int padding) {
        this(new int[] {kernelSize}, new int[] {stride}, new int[] {padding}, new int[] {1}, false);
    }

    /** Sizes as {@code {v}} or {@code {vH, vW}}; a null stride means the kernel size. */
    public MaxPool2d(int[] kernelSize, int[] stride, int[] padding, int[] dilation, boolean ceilMode) {
        this.kernelSize = sizeArg("MaxPool2d", "kernel_size", kernelSize);
        this.stride = stride == null ? this.kernelSize : sizeArg("MaxPool2d", "stride", stride);
        this.padding = sizeArg("MaxPool2d", "padding", padding);
        this.dilation = sizeArg("MaxPool2d", "dilation", dilation);
        this.ceilMode = ceilMode;
    }

    @Override
    public Tensor forward(Tensor input) {
        return ConvOps.maxPool2d(input, kernelSize, stride, padding, dilation, ceilMode);
    }

    /** PyTorch's: {@code kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False}. */
    @Override
    protected String extraRepr() {
        return "kernel_size=" + sizeRepr(kernelSize) + ", stride=" + sizeRepr(stride) + ", padding="
                + sizeRepr(padding) + ", dilation=" + sizeRepr(dilation) + ", ceil_mode="
                + (ceilMode ? "True" : "False");
    }

    /** A size argument kept as given ({@code {v}} prints as {@code v}, a pair as a tuple). */
    static int[] sizeArg(String layer, String what, int[] v) {
        if (v == null || (v.length != 1 && v.length != 2)) {
            throw new IllegalArgumentException(layer + ": " + what + " must be a single int or a pair of ints, got "
                    + (v == null ? "null" : java.util.Arrays.toString(v)));
        }
        return v.clone();
    }

    /** As Python prints the argument: {@code 2} or {@code (3, 2)}. */
    static String sizeRepr(int[] v) {
        return v.length == 1 ? Integer.toString(v[0]) : "(" + v[0] + ", " + v[1] + ")";
    }
}
