package dev.lanes.nn.layers;

import dev.lanes.nn.ConvOps;
import dev.lanes.nn.Tensor;

/**
 * {@code torch.nn.AdaptiveAvgPool2d}: averages over PyTorch's bins so the output is {@code (outH, outW)}
 * whatever the input size. No parameters. See {@link ConvOps#adaptiveAvgPool2d}.
 */
public class AdaptiveAvgPool2d extends Module {
    private final int outH;
    private final int outW;
    private final boolean square;

    /** A square {@code (size, size)} output ({@code nn.AdaptiveAvgPool2d(1)} is global average pooling). */
    public AdaptiveAvgPool2d(int size) {
        this(size, size, true);
    }

    public AdaptiveAvgPool2d(int outH, int outW) {
        this(outH, outW, false);
    }

    private AdaptiveAvgPool2d(int outH, int outW, boolean square) {
        if (outH < 0 || outW < 0) {
            throw new IllegalArgumentException("AdaptiveAvgPool2d: output size must be non-negative, got (" + outH + ", "
                    + outW + ")");
        }
        this.outH = outH;
        this.outW = outW;
        this.square = square;
    }

    @Override
    public Tensor forward(Tensor input) {
        return ConvOps.adaptiveAvgPool2d(input, outH, outW);
    }

    /** PyTorch's: {@code output_size=1} or {@code output_size=(5, 7)}. */
    @Override
    protected String extraRepr() {
        return "output_size=" + (square ? Integer.toString(outH) : "(" + outH + ", " + outW + ")");
    }
}
