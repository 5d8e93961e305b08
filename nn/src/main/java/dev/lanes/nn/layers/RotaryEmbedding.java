package dev.lanes.nn.layers;

import dev.lanes.nn.F;
import dev.lanes.nn.Tensor;

/**
 * Rotary position embeddings (RoPE) for queries and keys {@code (B, H, T, D)} (any {@code (..., T, D)}), with
 * torchtune's {@code RotaryPositionalEmbeddings(dim, max_seq_len=4096, base=10000)} definition: pairs
 * {@code (x[2i], x[2i+1])} rotated by {@code p * base^(-2i/dim)} (Meta's Llama convention), or with
 * {@code halfSplit} the GPT-NeoX / Hugging Face pairs {@code (x[i], x[i + D/2])}. The cos/sin tables are
 * computed once and, as torchtune's cache, are not part of the state dict; the module has no parameters.
 * See {@link F#rope(Tensor, Tensor, Tensor, int, boolean)}. Note torchtune and Llama lay out their inputs as
 * {@code (B, T, H, D)}; transpose to {@code (B, H, T, D)}, where attention wants them anyway.
 */
public class RotaryEmbedding extends Module {
    private final int dim, maxSeqLen;
    private final float base;
    private final boolean halfSplit;
    private final Tensor cos, sin;

    /** torchtune's defaults: 4096 positions, base 10000, interleaved pairs. */
    public RotaryEmbedding(int dim) {
        this(dim, 4096, 10000f, false);
    }

    public RotaryEmbedding(int dim, int maxSeqLen, float base, boolean halfSplit) {
        Tensor[] cs = F.ropeCosSin(maxSeqLen, dim, base);
        this.dim = dim;
        this.maxSeqLen = maxSeqLen;
        this.base = base;
        this.halfSplit = halfSplit;
        this.cos = cs[0];
        this.sin = cs[1];
    }

    @Override
    public Tensor forward(Tensor x) {
        return forward(x, 0);
    }

    /** RoPE of {@code x (..., T, dim)} for positions {@code positionOffset .. positionOffset + T - 1}. */
    public Tensor forward(Tensor x, int positionOffset) {
        if (x.dim() < 2 || x.size(-1) != dim) {
            throw new IllegalArgumentException("RotaryEmbedding(dim=" + dim + "): input must be (..., T, " + dim + "), got shape "
                    + java.util.Arrays.toString(x.shape()));
        }
        return F.rope(x, cos, sin, positionOffset, halfSplit);
    }

    /** The {@code (maxSeqLen, dim / 2)} cosine table (shared; do not modify). */
    public Tensor cos() {
        return cos;
    }

    /** The {@code (maxSeqLen, dim / 2)} sine table (shared; do not modify). */
    public Tensor sin() {
        return sin;
    }

    @Override
    protected String extraRepr() {
        return "dim=" + dim + ", max_seq_len=" + maxSeqLen + ", base=" + pythonFloat(base) + ", half_split=" + pythonBool(halfSplit);
    }
}
