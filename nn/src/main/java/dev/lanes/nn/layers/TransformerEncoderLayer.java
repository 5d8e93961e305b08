package dev.lanes.nn.layers;

import dev.lanes.nn.Tensor;

/**
 * {@code torch.nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=2048, dropout=0.1, activation='relu',
 * layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True)}: self-attention and a feed-forward
 * block, each with a residual connection, normalised after (post-norm, PyTorch's default) or before
 * ({@code norm_first}). Children and parameter names are PyTorch's ({@code self_attn}, {@code linear1},
 * {@code dropout}, {@code linear2}, {@code norm1}, {@code norm2}, {@code dropout1}, {@code dropout2}), so a
 * PyTorch state dict loads. The activation is fused into {@code linear1}'s GEMM (which prints as
 * PyTorch's plain {@code Linear}, the activation being a function attribute there).
 *
 * <p>{@link TransformerOptions} adds RMSNorm, a SwiGLU feed-forward (child {@code feed_forward} with
 * {@code w1/w2/w3} instead of {@code linear1/dropout/linear2}) and grouped-query self-attention.
 */
public class TransformerEncoderLayer extends Module {
    private final int dModel, nhead;
    private final TransformerOptions options;
    private final MultiheadAttention selfAttn;
    private final TransformerFeedForward feedForward;
    private final Dropout dropout1, dropout2;
    private final Module norm1, norm2;

    /** PyTorch's defaults. */
    public TransformerEncoderLayer(int dModel, int nhead) {
        this(dModel, nhead, new TransformerOptions());
    }

    /** PyTorch's positional arguments. */
    public TransformerEncoderLayer(int dModel, int nhead, int dimFeedforward, float dropout, String activation,
                                   float layerNormEps, boolean batchFirst, boolean normFirst, boolean bias) {
        this(dModel, nhead, new TransformerOptions().dimFeedforward(dimFeedforward).dropout(dropout).activation(activation)
                .layerNormEps(layerNormEps).batchFirst(batchFirst).normFirst(normFirst).bias(bias));
    }

    public TransformerEncoderLayer(int dModel, int nhead, TransformerOptions options) {
        TransformerOptions o = options.clone();
        this.dModel = dModel;
        this.nhead = nhead;
        this.options = o;
        int kv = o.numKvHeads == 0 ? nhead : o.numKvHeads;
        selfAttn = registerModule("self_attn", new MultiheadAttention(dModel, nhead, o.dropout, o.bias, o.batchFirst, kv, o.generator));
        feedForward = new TransformerFeedForward(this, dModel, o);
        norm1 = registerModule("norm1", o.newNorm(dModel));
        norm2 = registerModule("norm2", o.newNorm(dModel));
        dropout1 = registerModule("dropout1", new Dropout(o.dropout, o.generator));
        dropout2 = registerModule("dropout2", new Dropout(o.dropout, o.generator));
    }

    /** {@code layer(src)}: no masks. */
    @Override
    public Tensor forward(Tensor src) {
        return forward(src, null, null, false);
    }

    /**
     * {@code layer(src, src_mask, src_key_padding_mask, is_causal)}: {@code src} is {@code (S, N, E)}
     * ({@code (N, S, E)} with {@code batch_first}, or unbatched {@code (S, E)}); masks as in
     * {@link MultiheadAttention} (additive floats; {@code isCausal} without a mask applies the causal one).
     */
    public Tensor forward(Tensor src, Tensor srcMask, Tensor srcKeyPaddingMask, boolean isCausal) {
        Tensor x = src;
        if (options.normFirst) {
            x = x.add(selfAttentionBlock(norm1.forward(x), srcMask, srcKeyPaddingMask, isCausal));
            x = x.add(feedForwardBlock(norm2.forward(x)));
        } else {
            x = norm1.forward(x.add(selfAttentionBlock(x, srcMask, srcKeyPaddingMask, isCausal)));
            x = norm2.forward(x.add(feedForwardBlock(x)));
        }
        return x;
    }

    private Tensor selfAttentionBlock(Tensor x, Tensor mask, Tensor keyPaddingMask, boolean isCausal) {
        return dropout1.forward(selfAttn.forward(x, x, x, keyPaddingMask, mask, false, isCausal).output());
    }

    private Tensor feedForwardBlock(Tensor x) {
        return dropout2.forward(feedForward.forward(x));
    }

    /**
     * A new layer with the same configuration and a copy of this layer's parameters (PyTorch's
     * {@code copy.deepcopy}, which {@code nn.TransformerEncoder} uses to stack a layer).
     */
    public TransformerEncoderLayer copy() {
        TransformerEncoderLayer c = new TransformerEncoderLayer(dModel, nhead, options);
        c.loadStateDict(stateDict(), true);
        if (!isTraining()) {
            c.eval();
        }
        return c;
    }

    public MultiheadAttention selfAttn() {
        return selfAttn;
    }

    public int dModel() {
        return dModel;
    }

    /** Whether the input is {@code (N, S, E)}. */
    public boolean batchFirst() {
        return options.batchFirst;
    }
}
