package dev.lanes.nn.layers;

import dev.lanes.nn.Tensor;

/**
 * {@code torch.nn.TransformerDecoderLayer(d_model, nhead, dim_feedforward=2048, dropout=0.1, activation='relu',
 * layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True)}: self-attention over the target,
 * attention over the encoder's output ({@code memory}) and a feed-forward block, each with a residual
 * connection and a norm after (or, with {@code norm_first}, before). Children and names are PyTorch's
 * ({@code self_attn}, {@code multihead_attn}, {@code linear1}, {@code dropout}, {@code linear2}, {@code norm1..3},
 * {@code dropout1..3}). {@link TransformerOptions} adds RMSNorm, SwiGLU ({@code feed_forward}) and grouped-query
 * attention (for both attentions).
 */
public class TransformerDecoderLayer extends Module {
    private final int dModel, nhead;
    private final TransformerOptions options;
    private final MultiheadAttention selfAttn, multiheadAttn;
    private final TransformerFeedForward feedForward;
    private final Dropout dropout1, dropout2, dropout3;
    private final Module norm1, norm2, norm3;

    /** PyTorch's defaults. */
    public TransformerDecoderLayer(int dModel, int nhead) {
        this(dModel, nhead, new TransformerOptions());
    }

    /** PyTorch's positional arguments. */
    public TransformerDecoderLayer(int dModel, int nhead, int dimFeedforward, float dropout, String activation,
                                   float layerNormEps, boolean batchFirst, boolean normFirst, boolean bias) {
        this(dModel, nhead, new TransformerOptions().dimFeedforward(dimFeedforward).dropout(dropout).activation(activation)
                .layerNormEps(layerNormEps).batchFirst(batchFirst).normFirst(normFirst).bias(bias));
    }

    public TransformerDecoderLayer(int dModel, int nhead, TransformerOptions options) {
        TransformerOptions o = options.clone();
        this.dModel = dModel;
        this.nhead = nhead;
        this.options = o;
        int kv = o.numKvHeads == 0 ? nhead : o.numKvHeads;
        selfAttn = registerModule("self_attn", new MultiheadAttention(dModel, nhead, o.dropout, o.bias, o.batchFirst, kv, o.generator));
        multiheadAttn = registerModule("multihead_attn",
                new MultiheadAttention(dModel, nhead, o.dropout, o.bias, o.batchFirst, kv, o.generator));
        feedForward = new TransformerFeedForward(this, dModel, o);
        norm1 = registerModule("norm1", o.newNorm(dModel));
        norm2 = registerModule("norm2", o.newNorm(dModel));
        norm3 = registerModule("norm3", o.newNorm(dModel));
        dropout1 = registerModule("dropout1", new Dropout(o.dropout, o.generator));
        dropout2 = registerModule("dropout2", new Dropout(o.dropout, o.generator));
        dropout3 = registerModule("dropout3", new Dropout(o.dropout, o.generator));
    }

    /** A decoder layer needs the encoder's output too: use {@link #forward(Tensor, Tensor)}. */
    @Override
    public Tensor forward(Tensor tgt) {
        throw new UnsupportedOperationException("TransformerDecoderLayer.forward needs (tgt, memory); call forward(tgt, memory)");
    }

    /** {@code layer(tgt, memory)}: no masks. */
    public Tensor forward(Tensor tgt, Tensor memory) {
        return forward(tgt, memory, null, null, null, null, false, false);
    }

    /**
     * {@code layer(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask,
     * tgt_is_causal, memory_is_causal)}: {@code tgt} is {@code (T, N, E)} and {@code memory} {@code (S, N, E)}
     * (batch first with {@code batch_first}; unbatched without N); masks as in {@link MultiheadAttention}.
     */
    public Tensor forward(Tensor tgt, Tensor memory, Tensor tgtMask, Tensor memoryMask, Tensor tgtKeyPaddingMask,
                          Tensor memoryKeyPaddingMask, boolean tgtIsCausal, boolean memoryIsCausal) {
        Tensor x = tgt;
        if (options.normFirst) {
            x = x.add(selfAttentionBlock(norm1.forward(x), tgtMask, tgtKeyPaddingMask, tgtIsCausal));
            x = x.add(crossAttentionBlock(norm2.forward(x), memory, memoryMask, memoryKeyPaddingMask, memoryIsCausal));
            x = x.add(feedForwardBlock(norm3.forward(x)));
        } else {
            x = norm1.forward(x.add(selfAttentionBlock(x, tgtMask, tgtKeyPaddingMask, tgtIsCausal)));
            x = norm2.forward(x.add(crossAttentionBlock(x, memory, memoryMask, memoryKeyPaddingMask, memoryIsCausal)));
            x = norm3.forward(x.add(feedForwardBlock(x)));
        }
        return x;
    }

    private Tensor selfAttentionBlock(Tensor x, Tensor mask, Tensor keyPaddingMask, boolean isCausal) {
        return dropout1.forward(selfAttn.forward(x, x, x, keyPaddingMask, mask, false, isCausal).output());
    }

    private Tensor crossAttentionBlock(Tensor x, Tensor mem, Tensor mask, Tensor keyPaddingMask, boolean isCausal) {
        return dropout2.forward(multiheadAttn.forward(x, mem, mem, keyPaddingMask, mask, false, isCausal).output());
    }

    private Tensor feedForwardBlock(Tensor x) {
        return dropout3.forward(feedForward.forward(x));
    }

    /** A new layer with the same configuration and a copy of the parameters ({@code copy.deepcopy}). */
    public TransformerDecoderLayer copy() {
        TransformerDecoderLayer c = new TransformerDecoderLayer(dModel, nhead, options);
        c.loadStateDict(stateDict(), true);
        if (!isTraining()) {
            c.eval();
        }
        return c;
    }

    public MultiheadAttention selfAttn() {
        return selfAttn;
    }

    public MultiheadAttention multiheadAttn() {
        return multiheadAttn;
    }

    public int dModel() {
        return dModel;
    }
}
