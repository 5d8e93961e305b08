package dev.lanes.nn.layers;

import dev.lanes.nn.ConvOps;
import dev.lanes.nn.Tensor;

/**
 * {@code torch.nn.AvgPool2d}: the mean over each window, with zero padding counted in the divisor unless
 * {@code countIncludePad} is false. No parameters. See {@link ConvOps#avgPool2d}.
 */
public class AvgPool2d extends Module {
    private final int[] kernelSize;
    private final int[] stride;
    private final int[] padding;
    private final boolean ceilMode;
    private final boolean countIncludePad;
    private final int divisorOverride;

    /** A square window, stride = the window size, no padding ({@code nn.AvgPool2d(2)}). */
    public AvgPool2d(int kernelSize) {
        this(new int[] {kernelSize}, null, new int[] {0}, false, true, 0);
    }

    public AvgPool2d(int kernelSize, int stride) {
        this(new int[] {kernelSize}, new int[] {stride}, new int[] {0}, false, true, 0);
    }

    public AvgPool2d(int kernelSize, int stride, int padding) {
        this(new int[] {kernelSize}, new int[] {stride}, new int[] {padding}, false, true, 0);
    }

    /**
     * Sizes as {@code {v}} or {@code {vH, vW}}; a null stride means the kernel size; {@code divisorOverride}
     * 0 means none (PyTorch's {@code None}).
     */
    public AvgPool2d(int[] kernelSize, int[] stride, int[] padding, boolean ceilMode, boolean countIncludePad,
                     int divisorOverride) {
        this.kernelSize = MaxPool2d.sizeArg("AvgPool2d", "kernel_size", kernelSize);
        this.stride = stride == null ? this.kernelSize : MaxPool2d.sizeArg("AvgPool2d", "stride", stride);
        this.padding = MaxPool2d.sizeArg("AvgPool2d", "padding", padding);
        this.ceilMode = ceilMode;
        this.countIncludePad = countIncludePad;
        this.divisorOverride = divisorOverride;
    }

    @Override
    public Tensor forward(Tensor input) {
        return ConvOps.avgPool2d(input, kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride);
    }

    /** PyTorch's: {@code kernel_size=2, stride=2, padding=0}. */
    @Override
    protected String extraRepr() {
        return "kernel_size=" + MaxPool2d.sizeRepr(kernelSize) + ", stride=" + MaxPool2d.sizeRepr(stride) + ", padding="
                + MaxPool2d.sizeRepr(padding);
    }
}
