package dev.lanes.nn.layers;

import dev.lanes.kernels.Activation;
import dev.lanes.nn.F;
import dev.lanes.nn.Generator;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.init.Init;
import java.util.Arrays;

/**
 * {@code torch.nn.MultiheadAttention(embed_dim, num_heads, dropout=0.0, bias=True, batch_first=False)} with
 * PyTorch's parameters, names and initialisation: {@code in_proj_weight (3E, E)} (Xavier-uniform),
 * {@code in_proj_bias (3E)} (zeros), {@code out_proj.weight (E, E)} ({@code nn.Linear}'s initialisation)
 * and {@code out_proj.bias} (zeros), so a PyTorch state dict loads as it is.
 *
 * <p>Inputs are {@code (L, N, E)} (or {@code (N, L, E)} with {@code batchFirst}), or unbatched {@code (L, E)}.
 * Without attention weights the heads go through {@link F#scaledDotProductAttention}, the fused kernel that
 * never stores the score matrix; with {@code needWeights} (PyTorch's default) the softmax is computed
 * explicitly and returned, averaged over heads unless asked otherwise, as PyTorch does.
 *
 * <p>Masks are additive floats ({@code 0} attend, {@code -inf} hide); PyTorch's boolean masks, whose
 * {@code True} means "not allowed" here, convert with {@link AttentionMasks#fromNotAllowed}. {@code attnMask}
 * is {@code (L, S)} or {@code (N * numHeads, L, S)} ({@code (numHeads, L, S)} unbatched), {@code keyPaddingMask}
 * {@code (N, S)} ({@code (S)} unbatched); both may be given and are added. A query that sees no key gets a zero
 * output on the fused path (PyTorch gives NaN there), NaN weights on the explicit path (as PyTorch).
 *
 * <p>Grouped-query attention (a Lanes option; PyTorch's module has none): with {@code numKvHeads < numHeads}
 * the keys and values have {@code numKvHeads} heads, each shared by {@code numHeads / numKvHeads} query heads.
 * The projections are then separate, named as in Llama: {@code q_proj (E, E)}, {@code k_proj} and
 * {@code v_proj (numKvHeads * E / numHeads, E)}, {@code out_proj (E, E)}; their weights are Xavier-uniform and
 * their biases zero, like {@code in_proj}.
 *
 * <p>Not supported: {@code kdim}/{@code vdim} other than {@code embed_dim}, {@code add_bias_kv},
 * {@code add_zero_attn}.
 */
public class MultiheadAttention extends Module {
    /** The result of {@link #forward(Tensor, Tensor, Tensor, Tensor, Tensor, boolean, boolean, boolean)}: weights null unless asked for. */
    public record Output(Tensor output, Tensor weights) {}

    private final int embedDim, numHeads, numKvHeads, headDim;
    private final float dropout;
    private final boolean batchFirst;
    private final Tensor inProjWeight, inProjBias;
    private final Linear qProj, kProj, vProj, outProj;
    private final Generator generator;

    /** PyTorch's defaults: no dropout, biases, {@code (L, N, E)} inputs. */
    public MultiheadAttention(int embedDim, int numHeads) {
        this(embedDim, numHeads, 0f, true, false);
    }

    public MultiheadAttention(int embedDim, int numHeads, float dropout, boolean bias, boolean batchFirst) {
        this(embedDim, numHeads, dropout, bias, batchFirst, numHeads, null);
    }

    /**
     * With {@code numKvHeads} key/value heads ({@code numHeads}: PyTorch's layout; fewer: grouped-query
     * attention with separate projections) and weights and dropout masks drawn from {@code generator}
     * (null: the default generator).
     */
    public MultiheadAttention(int embedDim, int numHeads, float dropout, boolean bias, boolean batchFirst, int numKvHeads,
                              Generator generator) {
        if (embedDim <= 0 || numHeads <= 0 || embedDim % numHeads != 0) {
            throw new IllegalArgumentException("MultiheadAttention: embed_dim (" + embedDim + ") must be positive and divisible by "
                    + "num_heads (" + numHeads + ")");
        }
        if (numKvHeads <= 0 || numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("MultiheadAttention: num_heads (" + numHeads + ") must be a multiple of "
                    + "num_kv_heads (" + numKvHeads + ")");
        }
        if (!(dropout >= 0 && dropout <= 1)) {
            throw new IllegalArgumentException("MultiheadAttention: dropout must be in [0, 1], got " + dropout);
        }
        this.embedDim = embedDim;
        this.numHeads = numHeads;
        this.numKvHeads = numKvHeads;
        this.headDim = embedDim / numHeads;
        this.dropout = dropout;
        this.batchFirst = batchFirst;
        this.generator = generator == null ? Generator.defaultGenerator() : generator;
        Generator g = this.generator;
        synchronized (g) {
            if (numKvHeads == numHeads) {
                inProjWeight = registerParameter("in_proj_weight", Tensor.zeros(3 * embedDim, embedDim));
                inProjBias = bias ? registerParameter("in_proj_bias", Tensor.zeros(3 * embedDim)) : null;
                qProj = kProj = vProj = null;
                // PyTorch builds out_proj (an nn.Linear, drawing its weight), then _reset_parameters draws in_proj_weight.
                outProj = registerModule("out_proj", new PrintedAsLinear("NonDynamicallyQuantizableLinear", embedDim, embedDim, bias,
                        Activation.IDENTITY, g));
                Init.xavierUniform(inProjWeight, 1f, g);
            } else {
                inProjWeight = inProjBias = null;
                int kvDim = numKvHeads * headDim;
                qProj = registerModule("q_proj", new Linear(embedDim, embedDim, bias, Activation.IDENTITY, g));
                kProj = registerModule("k_proj", new Linear(embedDim, kvDim, bias, Activation.IDENTITY, g));
                vProj = registerModule("v_proj", new Linear(embedDim, kvDim, bias, Activation.IDENTITY, g));
                outProj = registerModule("out_proj", new Linear(embedDim, embedDim, bias, Activation.IDENTITY, g));
                for (Linear l : new Linear[] {qProj, kProj, vProj}) {
                    Init.xavierUniform(l.weight(), 1f, g);
                    if (l.bias() != null) {
                        Init.zeros(l.bias());
                    }
                }
            }
            if (outProj.bias() != null) {
                Init.zeros(outProj.bias());
            }
        }
    }

    /** Self-attention {@code forward(x, x, x)} without weights (the fused path); returns the output only. */
    @Override
    public Tensor forward(Tensor x) {
        return forward(x, x, x, null, null, false, true, false).output();
    }

    /** {@code mha(query, key, value)} with PyTorch's defaults: no masks, {@code need_weights=True}, averaged. */
    public Output forward(Tensor query, Tensor key, Tensor value) {
        return forward(query, key, value, null, null, true, true, false);
    }

    /** Weights averaged over heads when {@code needWeights}. */
    public Output forward(Tensor query, Tensor key, Tensor value, Tensor keyPaddingMask, Tensor attnMask, boolean needWeights,
                          boolean isCausal) {
        return forward(query, key, value, keyPaddingMask, attnMask, needWeights, true, isCausal);
    }

    /**
     * {@code mha(query, key, value, key_padding_mask, need_weights, attn_mask, average_attn_weights, is_causal)}.
     * Returns the output, shaped like {@code query}, and with {@code needWeights} the attention weights
     * {@code (N, L, S)} ({@code averageAttnWeights}) or {@code (N, numHeads, L, S)} (without N when unbatched),
     * after dropout as PyTorch returns them. {@code isCausal} with no {@code attnMask} applies the top-left
     * causal mask (PyTorch wants the mask passed as well and treats the flag as a hint); with an
     * {@code attnMask}, that mask is used as given.
     */
    public Output forward(Tensor query, Tensor key, Tensor value, Tensor keyPaddingMask, Tensor attnMask, boolean needWeights,
                          boolean averageAttnWeights, boolean isCausal) {
        boolean batched = checkInputs(query, key, value);
        // Work in (N, L, E).
        Tensor q, k, v;
        if (!batched) {
            q = query.unsqueeze(0);
            k = key == query ? q : key.unsqueeze(0);
            v = value == key ? k : value.unsqueeze(0);
        } else if (!batchFirst) {
            q = query.transpose(0, 1);
            k = key == query ? q : key.transpose(0, 1);
            v = value == key ? k : value.transpose(0, 1);
        } else {
            q = query;
            k = key;
            v = value;
        }
        int n = q.size(0), l = q.size(1), s = k.size(1);
        Tensor mask = combinedMask(keyPaddingMask, attnMask, batched, n, l, s);
        Tensor qp, kp, vp;
        if (inProjWeight != null) {
            if (q == k && k == v) {
                // Self-attention: one GEMM for the three projections, as PyTorch.
                Tensor[] qkv = F.linear(q, inProjWeight, inProjBias).chunk(3, -1);
                qp = qkv[0];
                kp = qkv[1];
                vp = qkv[2];
            } else {
                qp = F.linear(q, inProjWeight.slice(0, 0, embedDim), biasPart(0));
                kp = F.linear(k, inProjWeight.slice(0, embedDim, 2 * embedDim), biasPart(1));
                vp = F.linear(v, inProjWeight.slice(0, 2 * embedDim, 3 * embedDim), biasPart(2));
            }
        } else {
            qp = qProj.forward(q);
            kp = kProj.forward(k);
            vp = vProj.forward(v);
        }
        Tensor qh = qp.reshape(n, l, numHeads, headDim).permute(0, 2, 1, 3);
        Tensor kh = kp.reshape(n, s, numKvHeads, headDim).permute(0, 2, 1, 3);
        Tensor vh = vp.reshape(n, s, numKvHeads, headDim).permute(0, 2, 1, 3);
        float p = isTraining() ? dropout : 0f;
        Tensor heads, weights = null;
        if (!needWeights) {
            boolean causalFlag = isCausal && attnMask == null && mask == null;
            if (isCausal && attnMask == null && mask != null) {
                mask = mask.add(AttentionMasks.causal(l, s));
            }
            heads = F.scaledDotProductAttention(qh, kh, vh, mask, p, causalFlag, null, numKvHeads != numHeads, generator);
        } else {
            if (isCausal && attnMask == null) {
                mask = mask == null ? AttentionMasks.causal(l, s) : mask.add(AttentionMasks.causal(l, s));
            }
            if (numKvHeads != numHeads) {
                kh = repeatHeads(kh, n, s);
                vh = repeatHeads(vh, n, s);
            }
            // PyTorch's explicit path: scale q, add the mask to q k^T, softmax, dropout, then multiply by v.
            Tensor scores = qh.mul((float) Math.sqrt(1.0 / headDim)).matmul(kh.transpose(-1, -2));
            if (mask != null) {
                scores = scores.add(mask);
            }
            Tensor attn = F.dropout(scores.softmax(-1), p, p > 0, generator);
            heads = attn.matmul(vh);
            weights = averageAttnWeights ? attn.mean(1, false) : attn;
            if (!batched) {
                weights = weights.squeeze(0);
            }
        }
        Tensor out = outProj.forward(heads.permute(0, 2, 1, 3).reshape(n, l, embedDim));
        if (!batched) {
            out = out.squeeze(0);
        } else if (!batchFirst) {
            out = out.transpose(0, 1);
        }
        return new Output(out, weights);
    }

    private Tensor biasPart(int i) {
        return inProjBias == null ? null : inProjBias.slice(0, i * embedDim, (i + 1) * embedDim);
    }

    /** {@code (N, Hkv, S, D)} to {@code (N, H, S, D)}, each key/value head repeated for its query heads. */
    private Tensor repeatHeads(Tensor x, int n, int s) {
        int rep = numHeads / numKvHeads;
        return x.unsqueeze(2).expand(n, numKvHeads, rep, s, headDim).reshape(n, numHeads, s, headDim);
    }

    /** Checks shapes; returns whether the inputs are batched (3-D). */
    private boolean checkInputs(Tensor query, Tensor key, Tensor value) {
        int rank = query.dim();
        String shapes = "query " + Arrays.toString(query.shape()) + ", key " + Arrays.toString(key.shape()) + ", value "
                + Arrays.toString(value.shape());
        if ((rank != 2 && rank != 3) || key.dim() != rank || value.dim() != rank) {
            throw new IllegalArgumentException("MultiheadAttention: query, key and value must all be 3-D (batched) or all 2-D "
                    + "(unbatched), got " + shapes);
        }
        if (query.size(-1) != embedDim || key.size(-1) != embedDim || value.size(-1) != embedDim) {
            throw new IllegalArgumentException("MultiheadAttention: query, key and value must end in embed_dim = " + embedDim
                    + " (kdim/vdim other than embed_dim are not supported), got " + shapes);
        }
        int seqDim = rank == 3 && batchFirst ? 1 : 0;
        if (key.size(seqDim) != value.size(seqDim) || (rank == 3 && !Arrays.equals(key.shape(), value.shape()))) {
            throw new IllegalArgumentException("MultiheadAttention: key and value must have the same shape, got " + shapes);
        }
        int batchDim = batchFirst ? 0 : 1;
        if (rank == 3 && query.size(batchDim) != key.size(batchDim)) {
            throw new IllegalArgumentException("MultiheadAttention: query and key must have the same batch size (dimension "
                    + batchDim + (batchFirst ? ", batch_first" : "") + "), got " + shapes);
        }
        return rank == 3;
    }

    /** The key padding mask and the attention mask, shaped to broadcast over {@code (N, H, L, S)} and added; or null. */
    private Tensor combinedMask(Tensor keyPaddingMask, Tensor attnMask, boolean batched, int n, int l, int s) {
        Tensor mask = null;
        if (attnMask != null) {
            int[] sh = attnMask.shape();
            if (Arrays.equals(sh, new int[] {l, s})) {
                mask = attnMask;
            } else if (Arrays.equals(sh, new int[] {n * numHeads, l, s})) {
                mask = attnMask.reshape(n, numHeads, l, s);
            } else {
                throw new IllegalArgumentException("MultiheadAttention: attn_mask must be (L, S) = [" + l + ", " + s + "] or "
                        + (batched ? "(N * num_heads, L, S) = [" + n * numHeads : "(num_heads, L, S) = [" + numHeads) + ", " + l
                        + ", " + s + "], got " + Arrays.toString(sh));
            }
        }
        if (keyPaddingMask != null) {
            int[] want = batched ? new int[] {n, s} : new int[] {s};
            if (!Arrays.equals(keyPaddingMask.shape(), want)) {
                throw new IllegalArgumentException("MultiheadAttention: key_padding_mask must be " + (batched ? "(N, S)" : "(S)")
                        + " = " + Arrays.toString(want) + ", got " + Arrays.toString(keyPaddingMask.shape()));
            }
            Tensor kpm = keyPaddingMask.reshape(n, 1, 1, s);
            mask = mask == null ? kpm : mask.add(kpm);
        }
        return mask;
    }

    /** The packed {@code (3E, E)} input projection, or null in grouped-query mode. */
    public Tensor inProjWeight() {
        return inProjWeight;
    }

    /** The packed {@code (3E)} input bias, or null (no bias, or grouped-query mode). */
    public Tensor inProjBias() {
        return inProjBias;
    }

    public Linear outProj() {
        return outProj;
    }

    public int embedDim() {
        return embedDim;
    }

    public int numHeads() {
        return numHeads;
    }

    /** Key/value heads: {@code numHeads} unless grouped-query attention was asked for. */
    public int numKvHeads() {
        return numKvHeads;
    }

    public boolean batchFirst() {
        return batchFirst;
    }

    public float dropout() {
        return dropout;
    }

    @Override
    protected String extraRepr() {
        return numKvHeads == numHeads ? "" : "num_heads=" + numHeads + ", num_kv_heads=" + numKvHeads;
    }
}
