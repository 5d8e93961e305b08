package dev.lanes.nn.layers;

import dev.lanes.nn.Generator;

/**
 * The options of {@link TransformerEncoderLayer} and {@link TransformerDecoderLayer} beyond {@code d_model} and
 * {@code nhead}, with PyTorch's defaults ({@code dim_feedforward=2048, dropout=0.1, activation='relu',
 * layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True}) and three Lanes additions: RMSNorm
 * instead of LayerNorm, a SwiGLU feed-forward, and grouped-query self-attention. Set with the fluent methods:
 * {@code new TransformerOptions().dimFeedforward(256).dropout(0).normFirst(true).norm(Norm.RMS_NORM)}.
 */
public final class TransformerOptions implements Cloneable {
    /** The normalisation layers: {@code nn.LayerNorm} (PyTorch's) or {@code nn.RMSNorm}. */
    public enum Norm { LAYER_NORM, RMS_NORM }

    /**
     * The feed-forward block: PyTorch's {@code linear2(dropout(activation(linear1(x))))}, or Llama's SwiGLU
     * {@code w2(silu(w1 x) * w3 x)} (a {@link SwiGLU} child named {@code feed_forward}, hidden size
     * {@code dim_feedforward}; the activation option is then unused, and there is no dropout inside the block,
     * as in Llama; the dropout after the block, {@code dropout2} or {@code dropout3}, still applies).
     */
    public enum FeedForward { MLP, SWIGLU }

    int dimFeedforward = 2048;
    float dropout = 0.1f;
    String activation = "relu";
    float layerNormEps = 1e-5f;
    boolean batchFirst = false, normFirst = false, bias = true;
    Norm norm = Norm.LAYER_NORM;
    FeedForward feedForward = FeedForward.MLP;
    int numKvHeads = 0;
    Generator generator;

    public TransformerOptions dimFeedforward(int v) {
        if (v <= 0) {
            throw new IllegalArgumentException("TransformerOptions: dim_feedforward must be > 0, got " + v);
        }
        dimFeedforward = v;
        return this;
    }

    public TransformerOptions dropout(float v) {
        if (!(v >= 0 && v <= 1)) {
            throw new IllegalArgumentException("TransformerOptions: dropout must be in [0, 1], got " + v);
        }
        dropout = v;
        return this;
    }

    /** {@code "relu"} or {@code "gelu"} (the exact, erf form), as PyTorch's string options. */
    public TransformerOptions activation(String v) {
        if (!"relu".equals(v) && !"gelu".equals(v)) {
            throw new IllegalArgumentException("TransformerOptions: activation should be relu/gelu, not " + v);
        }
        activation = v;
        return this;
    }

    /** The epsilon of the norms (LayerNorm's, or RMSNorm's when that is chosen). */
    public TransformerOptions layerNormEps(float v) {
        layerNormEps = v;
        return this;
    }

    public TransformerOptions batchFirst(boolean v) {
        batchFirst = v;
        return this;
    }

    public TransformerOptions normFirst(boolean v) {
        normFirst = v;
        return this;
    }

    /** Biases in the attention projections, the linear layers and the LayerNorms. */
    public TransformerOptions bias(boolean v) {
        bias = v;
        return this;
    }

    public TransformerOptions norm(Norm v) {
        norm = v;
        return this;
    }

    public TransformerOptions feedForward(FeedForward v) {
        feedForward = v;
        return this;
    }

    /** Key/value heads of the self-attention (0, the default: as many as query heads, PyTorch's layout). */
    public TransformerOptions numKvHeads(int v) {
        if (v < 0) {
            throw new IllegalArgumentException("TransformerOptions: num_kv_heads must be >= 0, got " + v);
        }
        numKvHeads = v;
        return this;
    }

    /** The generator for weights and dropout masks (null: the default generator). */
    public TransformerOptions generator(Generator v) {
        generator = v;
        return this;
    }

    @Override
    public TransformerOptions clone() {
        try {
            return (TransformerOptions) super.clone();
        } catch (CloneNotSupportedException e) {
            throw new AssertionError(e);
        }
    }

    /** The norm module these options ask for. */
    Module newNorm(int dModel) {
        return norm == Norm.LAYER_NORM ? new LayerNorm(new int[] {dModel}, layerNormEps, true, bias)
                : new RMSNorm(new int[] {dModel}, layerNormEps, true);
    }
}
