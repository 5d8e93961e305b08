package dev.lanes.nn.layers;

import dev.lanes.nn.Generator;
import dev.lanes.nn.Tensor;
import java.util.Arrays;

/**
 * The fixed sinusoidal position table of "Attention Is All You Need", added to the input and followed by
 * dropout, as the {@code PositionalEncoding} module of PyTorch's Transformer tutorial:
 * {@code pe[p, 2i] = sin(p * w_i)}, {@code pe[p, 2i+1] = cos(p * w_i)}, {@code w_i = exp(2i * -ln(10000) / d)}.
 * The tutorial's module is {@code new SinusoidalPositionalEncoding(d, 5000, 0.1f, false)}.
 *
 * <p>The table is recomputed, not saved: it is not in the state dict (the tutorial registers it as a buffer
 * {@code pe} of shape {@code (max_len, 1, d)}; drop that key, or load with {@code strict = false}).
 */
public class SinusoidalPositionalEncoding extends Module {
    private final int dModel, maxLen;
    private final boolean batchFirst;
    private final Tensor table;
    private final Dropout dropout;

    /** No dropout, {@code (T, N, E)} inputs. */
    public SinusoidalPositionalEncoding(int dModel, int maxLen) {
        this(dModel, maxLen, 0f, false, null);
    }

    public SinusoidalPositionalEncoding(int dModel, int maxLen, float dropout, boolean batchFirst) {
        this(dModel, maxLen, dropout, batchFirst, null);
    }

    /** Dropout masks from {@code generator} (null: the default generator). */
    public SinusoidalPositionalEncoding(int dModel, int maxLen, float dropout, boolean batchFirst, Generator generator) {
        this.table = table(maxLen, dModel);
        this.dModel = dModel;
        this.maxLen = maxLen;
        this.batchFirst = batchFirst;
        this.dropout = registerModule("dropout", new Dropout(dropout, generator));
    }

    /** The {@code (maxLen, dModel)} table ({@code dModel} even), computed in float32 as the tutorial does. */
    public static Tensor table(int maxLen, int dModel) {
        if (maxLen < 0 || dModel <= 0 || dModel % 2 != 0) {
            throw new IllegalArgumentException("SinusoidalPositionalEncoding: need max_len >= 0 and an even d_model > 0, got max_len = "
                    + maxLen + ", d_model = " + dModel);
        }
        float step = (float) (-Math.log(10000.0) / dModel);
        float[] freq = new float[dModel / 2];
        for (int i = 0; i < freq.length; i++) {
            freq[i] = (float) Math.exp((float) (2 * i) * step);
        }
        float[] pe = new float[maxLen * dModel];
        for (int p = 0; p < maxLen; p++) {
            for (int i = 0; i < freq.length; i++) {
                float angle = p * freq[i];
                pe[p * dModel + 2 * i] = (float) Math.sin(angle);
                pe[p * dModel + 2 * i + 1] = (float) Math.cos(angle);
            }
        }
        return Tensor.wrap(pe, maxLen, dModel);
    }

    @Override
    public Tensor forward(Tensor x) {
        return forward(x, 0);
    }

    /**
     * {@code dropout(x + pe[offset : offset + T])} for {@code x (T, N, E)}, {@code (N, T, E)} with
     * {@code batchFirst}, or {@code (T, E)}; {@code positionOffset} continues a sequence (a KV cache).
     */
    public Tensor forward(Tensor x, int positionOffset) {
        return dropout.forward(x.add(positionSlice("SinusoidalPositionalEncoding", table, x, positionOffset, batchFirst)));
    }

    /** The rows of {@code table} for {@code x}'s positions, shaped to broadcast against {@code x}. */
    static Tensor positionSlice(String op, Tensor table, Tensor x, int offset, boolean batchFirst) {
        int rank = x.dim();
        int dim = table.size(1);
        if ((rank != 2 && rank != 3) || x.size(-1) != dim) {
            throw new IllegalArgumentException(op + ": input must be (T, N, " + dim + "), (N, T, " + dim + ") with batch_first or (T, "
                    + dim + "), got " + Arrays.toString(x.shape()));
        }
        int t = rank == 3 && batchFirst ? x.size(1) : x.size(0);
        if (offset < 0 || (long) offset + t > table.size(0)) {
            throw new IllegalArgumentException(op + ": positions " + offset + " .. " + ((long) offset + t - 1) + " of input "
                    + Arrays.toString(x.shape()) + " are outside the " + table.size(0) + " positions of the table");
        }
        Tensor rows = table.slice(0, offset, offset + t);
        return rank == 3 && !batchFirst ? rows.unsqueeze(1) : rows;
    }

    /** The full {@code (maxLen, dModel)} table (shared; do not modify). */
    public Tensor table() {
        return table;
    }

    @Override
    protected String extraRepr() {
        return "d_model=" + dModel + ", max_len=" + maxLen + ", batch_first=" + pythonBool(batchFirst);
    }
}
