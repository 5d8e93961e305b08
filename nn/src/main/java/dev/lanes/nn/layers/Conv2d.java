package dev.lanes.nn.layers;

import dev.lanes.nn.ConvOps;
import dev.lanes.nn.Generator;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.init.Init;

/**
 * A 2-D convolution, {@code torch.nn.Conv2d} with zero padding: {@code (N, C_in, H, W)} or
 * {@code (C_in, H, W)} in, {@code (N, C_out, H_out, W_out)} out (see {@link ConvOps#conv2d}).
 *
 * <p>Parameters, named as in PyTorch's state dict: {@code weight} {@code (C_out, C_in / groups, kH, kW)} and
 * {@code bias} {@code (C_out)} (absent with {@code bias = false}). Both start uniform in
 * {@code [-1/sqrt(fan_in), 1/sqrt(fan_in))}, {@code fan_in = C_in / groups * kH * kW}: PyTorch's default,
 * {@code kaiming_uniform_(a=sqrt(5))} on the weight and the same bound on the bias.
 */
public class Conv2d extends Module {
    private final int inChannels;
    private final int outChannels;
    private final int[] kernelSize;
    private final int[] stride;
    private final int[] padding;
    private final int[] dilation;
    private final int groups;
    private final Tensor weight;
    private final Tensor bias;

    /** A square {@code kernelSize} kernel, stride 1, no padding, with bias. */
    public Conv2d(int inChannels, int outChannels, int kernelSize) {
        this(inChannels, outChannels, kernelSize, 1, 0);
    }

    /** A square kernel with the same stride and padding in both dimensions, with bias. */
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride, int padding) {
        this(inChannels, outChannels, new int[] {kernelSize, kernelSize}, new int[] {stride, stride},
                new int[] {padding, padding}, new int[] {1, 1}, 1, true);
    }

    /** Square sizes, the full PyTorch signature (zero padding). */
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride, int padding, int dilation, int groups,
                  boolean bias) {
        this(inChannels, outChannels, new int[] {kernelSize, kernelSize}, new int[] {stride, stride},
                new int[] {padding, padding}, new int[] {dilation, dilation}, groups, bias);
    }

    /** Sizes as {@code {v}} or {@code {vH, vW}}, initialised from the default generator. */
    public Conv2d(int inChannels, int outChannels, int[] kernelSize, int[] stride, int[] padding, int[] dilation,
                  int groups, boolean bias) {
        this(inChannels, outChannels, kernelSize, stride, padding, dilation, groups, bias, null);
    }

    /**
     * The full form; sizes are {@code {v}} or {@code {vH, vW}}. {@code generator} initialises the parameters
     * (null: the default generator, used under its lock).
     */
    @SuppressWarnings("this-escape") // registerParameter only records the tensor
    public Conv2d(int inChannels, int outChannels, int[] kernelSize, int[] stride, int[] padding, int[] dilation,
                  int groups, boolean bias, Generator generator) {
        this.kernelSize = pair("kernel_size", kernelSize);
        this.stride = pair("stride", stride);
        this.padding = pair("padding", padding);
        this.dilation = pair("dilation", dilation);
        if (inChannels < 0 || outChannels < 0) {
            throw new IllegalArgumentException("Conv2d: channels must be non-negative, got in_channels=" + inChannels
                    + ", out_channels=" + outChannels);
        }
        if (groups <= 0) {
            throw new IllegalArgumentException("Conv2d: groups must be a positive integer, got " + groups);
        }
        if (inChannels % groups != 0) {
            throw new IllegalArgumentException("Conv2d: in_channels must be divisible by groups (in_channels="
                    + inChannels + ", groups=" + groups + ")");
        }
        if (outChannels % groups != 0) {
            throw new IllegalArgumentException("Conv2d: out_channels must be divisible by groups (out_channels="
                    + outChannels + ", groups=" + groups + ")");
        }
        if (this.kernelSize[0] <= 0 || this.kernelSize[1] <= 0) {
            throw new IllegalArgumentException("Conv2d: kernel_size must be positive, got " + fmt(this.kernelSize));
        }
        if (this.stride[0] <= 0 || this.stride[1] <= 0) {
            throw new IllegalArgumentException("Conv2d: stride must be positive, got " + fmt(this.stride));
        }
        if (this.padding[0] < 0 || this.padding[1] < 0) {
            throw new IllegalArgumentException("Conv2d: padding must be non-negative, got " + fmt(this.padding));
        }
        if (this.dilation[0] <= 0 || this.dilation[1] <= 0) {
            throw new IllegalArgumentException("Conv2d: dilation must be positive, got " + fmt(this.dilation));
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.groups = groups;
        int fanIn = inChannels / groups * this.kernelSize[0] * this.kernelSize[1];
        float bound = fanIn > 0 ? (float) (1.0 / Math.sqrt(fanIn)) : 0f;
        Generator g = generator == null ? Generator.defaultGenerator() : generator;
        synchronized (g) { // kaiming_uniform_(a=sqrt(5)) is uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)); the bias too
            this.weight = registerParameter("weight", Init.uniform(Tensor.zeros(outChannels, inChannels / groups,
                    this.kernelSize[0], this.kernelSize[1]), -bound, bound, g));
            this.bias = bias ? registerParameter("bias", Init.uniform(Tensor.zeros(outChannels), -bound, bound, g)) : null;
        }
    }

    @Override
    public Tensor forward(Tensor input) {
        return ConvOps.conv2d(input, weight, bias, stride, padding, dilation, groups);
    }

    public Tensor weight() {
        return weight;
    }

    /** The bias, or null when the layer has none. */
    public Tensor bias() {
        return bias;
    }

    public int inChannels() {
        return inChannels;
    }

    public int outChannels() {
        return outChannels;
    }

    public int[] kernelSize() {
        return kernelSize.clone();
    }

    public int[] stride() {
        return stride.clone();
    }

    public int[] padding() {
        return padding.clone();
    }

    public int[] dilation() {
        return dilation.clone();
    }

    public int groups() {
        return groups;
    }

    /** PyTorch's: {@code 1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1)}; defaults are left out. */
    @Override
    protected String extraRepr() {
        StringBuilder s = new StringBuilder().append(inChannels).append(", ").append(outChannels)
                .append(", kernel_size=").append(fmt(kernelSize)).append(", stride=").append(fmt(stride));
        if (padding[0] != 0 || padding[1] != 0) {
            s.append(", padding=").append(fmt(padding));
        }
        if (dilation[0] != 1 || dilation[1] != 1) {
            s.append(", dilation=").append(fmt(dilation));
        }
        if (groups != 1) {
            s.append(", groups=").append(groups);
        }
        if (bias == null) {
            s.append(", bias=False");
        }
        return s.toString();
    }

    static int[] pair(String what, int[] v) {
        if (v == null || (v.length != 1 && v.length != 2)) {
            throw new IllegalArgumentException(what + " must be a single int or a pair of ints, got "
                    + (v == null ? "null" : java.util.Arrays.toString(v)));
        }
        return v.length == 1 ? new int[] {v[0], v[0]} : v.clone();
    }

    /** A pair as Python prints a tuple: {@code (3, 3)}. */
    static String fmt(int[] v) {
        return "(" + v[0] + ", " + v[1] + ")";
    }
}
