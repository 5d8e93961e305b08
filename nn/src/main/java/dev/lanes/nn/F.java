package dev.lanes.nn;

import dev.lanes.kernels.Activation;
import dev.lanes.kernels.Activations;
import dev.lanes.kernels.Attention;
import dev.lanes.kernels.CrossEntropy;
import dev.lanes.kernels.Dropout;
import dev.lanes.kernels.Elementwise;
import dev.lanes.kernels.Gemm;
import dev.lanes.kernels.Norms;
import dev.lanes.kernels.Reductions;
import java.util.Arrays;

/**
 * Stateless operations on tensors with the definitions of {@code torch.nn.functional} (import it as
 * {@code F}, as PyTorch code does). Layers and losses are thin wrappers over these. Each forward runs the
 * Lanes kernels and records a backward that runs their backward kernels.
 */
public final class F {
    /** {@code torch.finfo(torch.float32).eps}: RMSNorm's default epsilon. */
    public static final float FLOAT_EPS = Math.ulp(1f);

    private F() {}

    // ------------------------------------------------------------------------------------------- linear

    /** {@code x @ weight^T + bias}: {@code x} is {@code (..., in)}, {@code weight} {@code (out, in)}, {@code bias} {@code (out)} or null. */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        return linear(x, weight, bias, Activation.IDENTITY);
    }

    /**
     * {@code act(x @ weight^T + bias)} in one fused GEMM pass (the bias and the activation are applied to each
     * output tile while it is in cache). The backward computes {@code dX = dZ W}, {@code dW = dZ^T X} and
     * {@code db = sum over rows of dZ} with GEMM, {@code dZ} from the activation's backward kernel.
     */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias, Activation act) {
        if (weight.dim() != 2) {
            throw new IllegalArgumentException("linear: weight must be 2-D (out_features, in_features), got shape "
                    + Shapes.str(weight.shape()));
        }
        int out = weight.size(0), in = weight.size(1);
        if (x.dim() == 0 || x.size(-1) != in) {
            throw new IllegalArgumentException("linear: input shape " + Shapes.str(x.shape()) + " does not end in in_features = "
                    + in + " (weight shape " + Shapes.str(weight.shape()) + ")");
        }
        if (bias != null && (bias.dim() != 1 || bias.size(0) != out)) {
            throw new IllegalArgumentException("linear: bias shape " + Shapes.str(bias.shape()) + " must be [" + out + "]");
        }
        Tensor xc = x.contiguous(), wc = weight.contiguous(), bc = bias == null ? null : bias.contiguous();
        int rows = Shapes.numel(Arrays.copyOf(x.shape(), x.dim() - 1));
        int[] outShape = x.shape();
        outShape[outShape.length - 1] = out;
        Tensor y = Tensor.zeros(outShape);
        boolean needsGrad = GradMode.isEnabled() && (x.requiresGrad() || weight.requiresGrad() || (bias != null && bias.requiresGrad()));
        // ReLU, sigmoid and tanh have backward formulas in terms of their output; GELU and SiLU need the
        // pre-activation, which is then kept: one extra pass, only when training.
        boolean keepPreActivation = needsGrad && (act == Activation.GELU || act == Activation.SILU);
        Tensor z = keepPreActivation ? Tensor.zeros(outShape) : y;
        int ldx = Math.max(1, in), ldy = Math.max(1, out);
        Gemm.sgemmFused(false, true, rows, out, in, 1f, xc.data, xc.offset, ldx, wc.data, wc.offset, ldx, 0f,
                z.data, 0, ldy, bc == null ? null : bc.data, bc == null ? 0 : bc.offset,
                keepPreActivation ? Activation.IDENTITY : act);
        int n = y.numel();
        if (keepPreActivation) {
            if (act == Activation.GELU) {
                Activations.gelu(n, false, z.data, 0, y.data, 0);
            } else {
                Activations.silu(n, z.data, 0, y.data, 0);
            }
        }
        final int m = rows;
        return Tensor.result(y, act == Activation.IDENTITY ? "AddmmBackward" : "LinearActivationBackward", g -> {
            Tensor gc = g.contiguous();
            float[] dz;
            switch (act) {
                case IDENTITY -> dz = gc.offset == 0 && gc.data.length == n ? gc.data : gc.contiguousCopy();
                case RELU -> {
                    dz = new float[n];
                    Activations.reluBackward(n, y.data, 0, gc.data, gc.offset, dz, 0);
                }
                case SIGMOID -> {
                    dz = new float[n];
                    Activations.sigmoidBackward(n, y.data, 0, gc.data, gc.offset, dz, 0);
                }
                case TANH -> {
                    dz = new float[n];
                    Activations.tanhBackward(n, y.data, 0, gc.data, gc.offset, dz, 0);
                }
                case GELU -> {
                    dz = new float[n];
                    Activations.geluBackward(n, false, z.data, 0, gc.data, gc.offset, dz, 0);
                }
                case SILU -> {
                    dz = new float[n];
                    Activations.siluBackward(n, z.data, 0, gc.data, gc.offset, dz, 0);
                }
                default -> throw new IllegalStateException("unknown activation " + act);
            }
            Tensor dx = null, dw = null, db = null;
            if (x.requiresGrad()) {
                dx = Tensor.zeros(x.shape());
                Gemm.sgemm(false, false, m, in, out, 1f, dz, 0, ldy, wc.data, wc.offset, ldx, 0f, dx.data, 0, ldx);
            }
            if (weight.requiresGrad()) {
                dw = Tensor.zeros(out, in);
                Gemm.sgemm(true, false, out, in, m, 1f, dz, 0, ldy, xc.data, xc.offset, ldx, 0f, dw.data, 0, ldx);
            }
            if (bias != null && bias.requiresGrad()) {
                db = Tensor.zeros(out);
                Reductions.columnSums(m, out, dz, 0, db.data, 0);
            }
            return new Tensor[] {dx, dw, db};
        }, x, weight, bias);
    }

    // ------------------------------------------------------------------------------------- activations

    public static Tensor relu(Tensor x) {
        return x.relu();
    }

    /** GELU; {@code approximate} is {@code "none"} (exact, the default) or {@code "tanh"}. */
    public static Tensor gelu(Tensor x, String approximate) {
        return switch (approximate) {
            case "none" -> x.gelu(false);
            case "tanh" -> x.gelu(true);
            default -> throw new IllegalArgumentException("gelu: approximate must be 'none' or 'tanh', got '" + approximate + "'");
        };
    }

    public static Tensor silu(Tensor x) {
        return x.silu();
    }

    public static Tensor sigmoid(Tensor x) {
        return x.sigmoid();
    }

    public static Tensor tanh(Tensor x) {
        return x.tanh();
    }

    public static Tensor leakyRelu(Tensor x, float negativeSlope) {
        return x.leakyRelu(negativeSlope);
    }

    public static Tensor elu(Tensor x, float alpha) {
        return x.elu(alpha);
    }

    public static Tensor softplus(Tensor x, float beta, float threshold) {
        return x.softplus(beta, threshold);
    }

    public static Tensor softmax(Tensor x, int dim) {
        return x.softmax(dim);
    }

    public static Tensor logSoftmax(Tensor x, int dim) {
        return x.logSoftmax(dim);
    }

    // ----------------------------------------------------------------------------- convolution, pooling

    /** {@code F.conv2d(input, weight, bias, stride, padding, dilation, groups)}; see {@link ConvOps#conv2d}. */
    public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias, int stride, int padding, int dilation, int groups) {
        return ConvOps.conv2d(input, weight, bias, new int[] {stride}, new int[] {padding}, new int[] {dilation}, groups);
    }

    /** {@code F.max_pool2d(input, kernel, stride, padding)}; see {@link ConvOps#maxPool2d}. */
    public static Tensor maxPool2d(Tensor input, int kernel, int stride, int padding) {
        return ConvOps.maxPool2d(input, kernel, stride, padding);
    }

    /** {@code F.avg_pool2d(input, kernel, stride, padding)} (count_include_pad=True); see {@link ConvOps#avgPool2d}. */
    public static Tensor avgPool2d(Tensor input, int kernel, int stride, int padding) {
        return ConvOps.avgPool2d(input, kernel, stride, padding, true);
    }

    /** {@code F.adaptive_avg_pool2d(input, (outH, outW))}. */
    public static Tensor adaptiveAvgPool2d(Tensor input, int outH, int outW) {
        return ConvOps.adaptiveAvgPool2d(input, outH, outW);
    }

    // ----------------------------------------------------------------------------------------- dropout

    /**
     * Inverted dropout ({@code F.dropout(x, p, training)}): in training, zeroes each element with probability
     * {@code p} and scales the rest by {@code 1 / (1 - p)}; the mask comes from a seed drawn from
     * {@code generator} and is regenerated, not stored, for the backward. Outside training it is the identity.
     */
    public static Tensor dropout(Tensor x, float p, boolean training, Generator generator) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("dropout: probability has to be between 0 and 1, but got " + p);
        }
        if (!training || p == 0) {
            return x;
        }
        long seed;
        synchronized (generator) {
            seed = generator.nextLong();
        }
        Tensor xc = x.contiguous();
        Tensor y = Tensor.zeros(x.shape());
        int n = y.numel();
        Dropout.forward(n, p, seed, xc.data, xc.offset, y.data, 0);
        return Tensor.result(y, "DropoutBackward", g -> {
            Tensor gc = g.contiguous();
            Tensor dx = Tensor.zeros(x.shape());
            Dropout.backward(n, p, seed, gc.data, gc.offset, dx.data, 0);
            return new Tensor[] {dx};
        }, x);
    }

    // --------------------------------------------------------------------------------------- attention

    /** {@code F.scaled_dot_product_attention(q, k, v)}: no mask, no dropout, scale {@code 1/sqrt(E)}. */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v) {
        return scaledDotProductAttention(q, k, v, null, 0f, false, null, false, null);
    }

    /** {@code F.scaled_dot_product_attention(q, k, v, is_causal=isCausal)}. */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, boolean isCausal) {
        return scaledDotProductAttention(q, k, v, null, 0f, isCausal, null, false, null);
    }

    /** {@code F.scaled_dot_product_attention(q, k, v, attn_mask=attnMask)} with an additive float mask. */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor attnMask) {
        return scaledDotProductAttention(q, k, v, attnMask, 0f, false, null, false, null);
    }

    /**
     * {@code F.scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal, scale, enable_gqa)}:
     * {@code softmax(q k^T * scale + attnMask) v} with the fused, tiled {@link Attention} kernel, which never
     * stores the {@code L x S} score matrix, forward or backward.
     *
     * <p>Shapes: {@code q (..., L, E)}, {@code k (..., S, E)}, {@code v (..., S, E)}, result {@code (..., L, E)};
     * the leading dimensions of the three must be equal, except that with {@code enableGqa} the heads
     * dimension ({@code -3}) of {@code k} and {@code v} may divide that of {@code q} (grouped-query attention:
     * each key/value head serves {@code Hq / Hkv} consecutive query heads, as PyTorch's
     * {@code repeat_interleave}). The value head size must equal the query's (a limit of the kernel).
     *
     * <p>{@code attnMask}, or null, is an additive float mask broadcastable to {@code (..., L, S)}:
     * {@code 0} lets a key take part, {@code -inf} hides it (turn a PyTorch boolean mask {@code m} into
     * {@code where(m, 0, -inf)}). It takes no gradient. {@code isCausal} is PyTorch's top-left causal mask
     * and, as in PyTorch, may not be combined with {@code attnMask}. A query that sees no key gets zeros.
     * {@code scale} null means {@code 1/sqrt(E)}. Dropout ({@code dropoutP > 0}) draws its seed from
     * {@code generator} (null: the default generator); pass {@code 0} outside training, as PyTorch code does.
     */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor attnMask, float dropoutP,
                                                   boolean isCausal, Float scale, boolean enableGqa, Generator generator) {
        String op = "scaled_dot_product_attention";
        int rank = q.dim();
        if (rank < 2 || k.dim() != rank || v.dim() != rank) {
            throw new IllegalArgumentException(op + ": query, key and value must have the same rank, at least 2, got shapes "
                    + Shapes.str(q.shape()) + ", " + Shapes.str(k.shape()) + ", " + Shapes.str(v.shape()));
        }
        int tq = q.size(-2), e = q.size(-1), tk = k.size(-2);
        if (k.size(-1) != e || v.size(-2) != tk || v.size(-1) != e) {
            throw new IllegalArgumentException(op + ": key must be (..., S, " + e + ") and value (..., S, " + e + ") for query "
                    + Shapes.str(q.shape()) + ", got key " + Shapes.str(k.shape()) + " and value " + Shapes.str(v.shape())
                    + (v.size(-1) != e && v.size(-2) == tk && k.size(-1) == e ? " (a value head size other than the query's is not supported)" : ""));
        }
        if (enableGqa && rank >= 3 && q.size(-3) != k.size(-3)) {
            int hq = q.size(-3), hkv = k.size(-3);
            if (hkv == 0 || hq % hkv != 0 || v.size(-3) != hkv) {
                throw new IllegalArgumentException(op + ": with enable_gqa the number of query heads (" + hq + ") must be a "
                        + "multiple of the key/value heads (key " + Shapes.str(k.shape()) + ", value " + Shapes.str(v.shape()) + ")");
            }
            k = repeatInterleaveHeads(k, hq / hkv);
            v = repeatInterleaveHeads(v, hq / hkv);
        }
        int[] lead = Arrays.copyOf(q.shape(), rank - 2);
        if (!Arrays.equals(lead, Arrays.copyOf(k.shape(), rank - 2)) || !Arrays.equals(lead, Arrays.copyOf(v.shape(), rank - 2))) {
            throw new IllegalArgumentException(op + ": the leading dimensions of query " + Shapes.str(q.shape()) + ", key "
                    + Shapes.str(k.shape()) + " and value " + Shapes.str(v.shape()) + " must be equal");
        }
        if (attnMask != null && isCausal) {
            throw new IllegalArgumentException(op + ": an explicit attn_mask should not be set when is_causal=True");
        }
        if (!(dropoutP >= 0 && dropoutP <= 1)) {
            throw new IllegalArgumentException(op + ": dropout_p must be in [0, 1], got " + dropoutP);
        }
        if (scale != null && !Float.isFinite(scale)) {
            throw new IllegalArgumentException(op + ": scale must be finite, got " + scale);
        }
        float s = scale == null ? Attention.defaultScale(e) : scale;
        int bh = Shapes.numel(lead);
        float[] maskData = null;
        int maskOff = 0, maskStride = 0;
        if (attnMask != null) {
            if (attnMask.requiresGrad() && GradMode.isEnabled()) {
                throw new IllegalArgumentException(op + ": attn_mask requires grad; a gradient for the mask is not supported");
            }
            int[] full = Arrays.copyOf(lead, rank);
            full[rank - 2] = tq;
            full[rank - 1] = tk;
            Tensor m;
            try {
                m = attnMask.expandTo(full);
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException(op + ": attn_mask of shape " + Shapes.str(attnMask.shape())
                        + " cannot be broadcast to " + Shapes.str(full), ex);
            }
            boolean shared = true;
            for (int i = 0; i < rank - 2; i++) {
                shared &= m.strides()[i] == 0 || lead[i] == 1;
            }
            Tensor mc = shared ? sharedMask(m, rank) : m.contiguousClone();
            maskData = mc.data;
            maskOff = mc.offset;
            maskStride = shared ? 0 : tq * tk;
        }
        long seed = 0;
        if (dropoutP > 0) {
            Generator g = generator == null ? Generator.defaultGenerator() : generator;
            synchronized (g) {
                seed = g.nextLong();
            }
        }
        Tensor qc = q.contiguous(), kc = k.contiguous(), vc = v.contiguous();
        int[] outShape = q.shape();
        Tensor out = Tensor.zeros(outShape);
        boolean needsGrad = GradMode.isEnabled() && (q.requiresGrad() || k.requiresGrad() || v.requiresGrad());
        float[] lse = needsGrad ? new float[bh * tq] : null;
        Attention.forward(bh, tq, tk, e, qc.data, qc.offset, kc.data, kc.offset, vc.data, vc.offset,
                maskData, maskOff, maskStride, isCausal, s, dropoutP, seed, out.data, 0, lse, 0);
        final float[] md = maskData;
        final int mo = maskOff, ms = maskStride;
        final long sd = seed;
        Tensor kk = k, vv = v;
        return Tensor.result(out, "ScaledDotProductFlashAttentionBackward", g -> {
            Tensor gc = g.contiguous();
            Tensor dq = Tensor.zeros(q.shape()), dk = Tensor.zeros(kk.shape()), dv = Tensor.zeros(vv.shape());
            Attention.backward(bh, tq, tk, e, qc.data, qc.offset, kc.data, kc.offset, vc.data, vc.offset,
                    md, mo, ms, isCausal, s, dropoutP, sd, out.data, 0, lse, 0, gc.data, gc.offset,
                    dq.data, 0, dk.data, 0, dv.data, 0);
            return new Tensor[] {dq, dk, dv};
        }, q, kk, vv);
    }

    /** The last two dimensions of a mask whose leading dimensions all broadcast: one {@code tq x tk} block. */
    private static Tensor sharedMask(Tensor expanded, int rank) {
        Tensor m = expanded;
        for (int i = 0; i < rank - 2; i++) {
            m = m.select(0, 0);
        }
        return m.contiguousClone();
    }

    /** {@code x.repeat_interleave(times, dim=-3)}: each head repeated {@code times} times in a row. */
    private static Tensor repeatInterleaveHeads(Tensor x, int times) {
        int rank = x.dim();
        int[] shape = x.shape();
        int[] expanded = new int[rank + 1];
        for (int i = 0, j = 0; i < rank + 1; i++) {
            expanded[i] = i == rank - 2 ? times : shape[j++];
        }
        int[] merged = shape.clone();
        merged[rank - 3] *= times;
        return x.unsqueeze(rank - 2).expand(expanded).reshape(merged);
    }

    // ------------------------------------------------------------------------------ rotary embeddings

    /**
     * The cosine and sine tables of rotary position embeddings, {@code {cos, sin}}, each
     * {@code (positions, dim / 2)}: entry {@code (p, i)} is {@code cos(p * theta_i)} / {@code sin(p * theta_i)}
     * with {@code theta_i = 1 / base^(2i / dim)}, computed in float32 in the order torchtune and Llama use
     * ({@code base ** (arange(0, dim, 2) / dim)}, then its reciprocal, then the product with the position).
     */
    public static Tensor[] ropeCosSin(int positions, int dim, float base) {
        if (positions < 0 || dim <= 0 || dim % 2 != 0 || !(base > 0)) {
            throw new IllegalArgumentException("ropeCosSin: need positions >= 0, an even dim > 0 and base > 0, got positions = "
                    + positions + ", dim = " + dim + ", base = " + base);
        }
        int half = dim / 2;
        float[] theta = new float[half];
        for (int i = 0; i < half; i++) {
            float exponent = (float) (2 * i) / dim;
            theta[i] = 1f / (float) Math.pow(base, exponent);
        }
        float[] cos = new float[positions * half], sin = new float[positions * half];
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < half; i++) {
                float angle = p * theta[i];
                cos[p * half + i] = (float) Math.cos(angle);
                sin[p * half + i] = (float) Math.sin(angle);
            }
        }
        return new Tensor[] {Tensor.wrap(cos, positions, half), Tensor.wrap(sin, positions, half)};
    }

    /**
     * {@link #rope(Tensor, Tensor, Tensor, int, boolean)} with tables built for this call
     * ({@link #ropeCosSin}); a module that applies RoPE repeatedly should keep the tables
     * ({@code layers.RotaryEmbedding} does).
     */
    public static Tensor rope(Tensor x, int positionOffset, float base, boolean halfSplit) {
        if (x.dim() < 2 || x.size(-1) % 2 != 0) {
            throw new IllegalArgumentException("rope: input must be (..., T, D) with an even head size D, got shape "
                    + Shapes.str(x.shape()));
        }
        if (positionOffset < 0) {
            throw new IllegalArgumentException("rope: positionOffset must be >= 0, got " + positionOffset);
        }
        Tensor[] cs = ropeCosSin(positionOffset + x.size(-2), x.size(-1), base);
        return rope(x, cs[0], cs[1], positionOffset, halfSplit);
    }

    /**
     * Rotary position embedding (RoPE, Su et al.) of {@code x (..., T, D)}, positions along dimension
     * {@code -2} (so {@code (B, H, T, D)} queries or keys): the feature pairs of the token at position
     * {@code p = positionOffset + t} are rotated by the angles {@code p * theta_i} from the tables
     * {@code cos}, {@code sin} {@code (P, D/2)} ({@link #ropeCosSin}); {@code positionOffset} places the
     * tokens after those already in a KV cache.
     *
     * <p>Two pairings: {@code halfSplit = false} rotates {@code (x[2i], x[2i+1])}, the convention of Meta's
     * Llama code and torchtune's {@code RotaryPositionalEmbeddings}; {@code halfSplit = true} rotates
     * {@code (x[i], x[i + D/2])}, the GPT-NeoX / Hugging Face {@code rotate_half} convention. Each pair
     * {@code (a, b)} becomes {@code (a cos - b sin, b cos + a sin)}. The backward is the rotation by the
     * opposite angle. The tables take no gradient.
     */
    public static Tensor rope(Tensor x, Tensor cos, Tensor sin, int positionOffset, boolean halfSplit) {
        if (x.dim() < 2 || x.size(-1) % 2 != 0) {
            throw new IllegalArgumentException("rope: input must be (..., T, D) with an even head size D, got shape "
                    + Shapes.str(x.shape()));
        }
        int t = x.size(-2), d = x.size(-1), half = d / 2;
        if (cos.dim() != 2 || !Arrays.equals(cos.shape(), sin.shape()) || cos.size(1) != half) {
            throw new IllegalArgumentException("rope: cos and sin must both be (positions, " + half + ") for input shape "
                    + Shapes.str(x.shape()) + ", got cos " + Shapes.str(cos.shape()) + " and sin " + Shapes.str(sin.shape()));
        }
        if (positionOffset < 0 || (long) positionOffset + t > cos.size(0)) {
            throw new IllegalArgumentException("rope: positions " + positionOffset + " .. " + ((long) positionOffset + t - 1)
                    + " of input shape " + Shapes.str(x.shape()) + " are outside the tables of " + cos.size(0) + " positions");
        }
        Tensor xc = x.contiguous(), cc = cos.contiguous(), sc = sin.contiguous();
        Tensor y = Tensor.zeros(x.shape());
        int blocks = t * d == 0 ? 0 : x.numel() / (t * d);
        int tableOff = positionOffset * half;
        ropeRotate(blocks, t, d, halfSplit, xc.data, xc.offset, cc.data, cc.offset + tableOff, sc.data, sc.offset + tableOff,
                false, y.data);
        return Tensor.result(y, "RotaryEmbeddingBackward", g -> {
            Tensor gc = g.contiguous();
            Tensor dx = Tensor.zeros(x.shape());
            ropeRotate(blocks, t, d, halfSplit, gc.data, gc.offset, cc.data, cc.offset + tableOff, sc.data,
                    sc.offset + tableOff, true, dx.data);
            return new Tensor[] {dx};
        }, x);
    }

    /** Rotates each pair of {@code blocks} blocks of {@code t x d} values; {@code inverse} negates the angle. */
    private static void ropeRotate(int blocks, int t, int d, boolean halfSplit, float[] x, int xOff, float[] cos, int cOff,
                                   float[] sin, int sOff, boolean inverse, float[] out) {
        int half = d / 2;
        // Pair (a, b) at offsets (lo, hi) within a row: adjacent for Llama, D/2 apart for NeoX.
        int pairStep = halfSplit ? 1 : 2, partner = halfSplit ? half : 1;
        for (int b = 0; b < blocks; b++) {
            for (int p = 0; p < t; p++) {
                int row = (b * t + p) * d, tab = p * half;
                for (int i = 0; i < half; i++) {
                    int lo = row + i * pairStep, hi = lo + partner;
                    float c = cos[cOff + tab + i], s = sin[sOff + tab + i];
                    if (inverse) {
                        s = -s;
                    }
                    float a = x[xOff + lo], bb = x[xOff + hi];
                    out[lo] = a * c - bb * s;
                    out[hi] = bb * c + a * s;
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------- norms

    /**
     * {@code F.layer_norm(x, normalizedShape, weight, bias, eps)}: normalises over the last
     * {@code normalizedShape.length} dimensions with the biased variance; weight and bias may be null.
     */
    public static Tensor layerNorm(Tensor x, int[] normalizedShape, Tensor weight, Tensor bias, float eps) {
        int cols = checkNormalizedShape("layerNorm", x, normalizedShape, weight, bias);
        int rows = cols == 0 ? 0 : x.numel() / cols;
        Tensor xc = x.contiguous();
        Tensor wc = weight == null ? null : weight.contiguous(), bc = bias == null ? null : bias.contiguous();
        Tensor y = Tensor.zeros(x.shape());
        float[] mean = new float[rows], rstd = new float[rows];
        Norms.layerNorm(rows, cols, xc.data, xc.offset, wc == null ? null : wc.data, wc == null ? 0 : wc.offset,
                bc == null ? null : bc.data, bc == null ? 0 : bc.offset, eps, y.data, 0, mean, 0, rstd, 0);
        return Tensor.result(y, "LayerNormBackward", g -> {
            Tensor gc = g.contiguous();
            Tensor dx = x.requiresGrad() ? Tensor.zeros(x.shape()) : null;
            Tensor dw = weight != null && weight.requiresGrad() ? Tensor.zeros(weight.shape()) : null;
            Tensor db = bias != null && bias.requiresGrad() ? Tensor.zeros(bias.shape()) : null;
            Norms.layerNormBackward(rows, cols, xc.data, xc.offset, wc == null ? null : wc.data, wc == null ? 0 : wc.offset,
                    mean, 0, rstd, 0, gc.data, gc.offset, dx == null ? null : dx.data, 0,
                    dw == null ? null : dw.data, 0, db == null ? null : db.data, 0);
            return new Tensor[] {dx, dw, db};
        }, x, weight, bias);
    }

    /** {@code F.rms_norm(x, normalizedShape, weight, eps)}: {@code x / sqrt(mean(x^2) + eps) * weight}. */
    public static Tensor rmsNorm(Tensor x, int[] normalizedShape, Tensor weight, float eps) {
        int cols = checkNormalizedShape("rmsNorm", x, normalizedShape, weight, null);
        int rows = cols == 0 ? 0 : x.numel() / cols;
        Tensor xc = x.contiguous();
        Tensor wc = weight == null ? null : weight.contiguous();
        Tensor y = Tensor.zeros(x.shape());
        float[] rstd = new float[rows];
        Norms.rmsNorm(rows, cols, xc.data, xc.offset, wc == null ? null : wc.data, wc == null ? 0 : wc.offset, eps,
                y.data, 0, rstd, 0);
        return Tensor.result(y, "RmsNormBackward", g -> {
            Tensor gc = g.contiguous();
            Tensor dx = x.requiresGrad() ? Tensor.zeros(x.shape()) : null;
            Tensor dw = weight != null && weight.requiresGrad() ? Tensor.zeros(weight.shape()) : null;
            Norms.rmsNormBackward(rows, cols, xc.data, xc.offset, wc == null ? null : wc.data, wc == null ? 0 : wc.offset,
                    rstd, 0, gc.data, gc.offset, dx == null ? null : dx.data, 0, dw == null ? null : dw.data, 0);
            return new Tensor[] {dx, dw};
        }, x, weight);
    }

    /**
     * {@code F.batch_norm(x, runningMean, runningVar, weight, bias, training, momentum, eps)} on
     * {@code (N, C)}, {@code (N, C, L)} or {@code (N, C, H, W)}. In training, normalises with the batch
     * statistics and updates the running ones in place (unbiased variance, as PyTorch); in eval, uses the
     * running statistics. Running statistics may be null (then training statistics are used in eval too,
     * as PyTorch does with {@code track_running_stats=False}).
     */
    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                                   boolean training, float momentum, float eps) {
        if (x.dim() < 2) {
            throw new IllegalArgumentException("batchNorm: expected an input of shape (N, C, ...), got " + Shapes.str(x.shape()));
        }
        int batch = x.size(0), channels = x.size(1), spatial = channels == 0 || batch == 0 ? 0 : x.numel() / (batch * channels);
        for (Tensor p : new Tensor[] {runningMean, runningVar, weight, bias}) {
            if (p != null && (p.dim() != 1 || p.size(0) != channels)) {
                throw new IllegalArgumentException("batchNorm: per-channel tensors must have shape [" + channels
                        + "] for input " + Shapes.str(x.shape()) + ", got " + Shapes.str(p.shape()));
            }
        }
        boolean useBatchStats = training || runningMean == null || runningVar == null;
        Tensor xc = x.contiguous();
        Tensor wc = weight == null ? null : weight.contiguous(), bc = bias == null ? null : bias.contiguous();
        Tensor y = Tensor.zeros(x.shape());
        if (!useBatchStats) {
            boolean needsGrad = GradMode.isEnabled() && (x.requiresGrad() || (weight != null && weight.requiresGrad())
                    || (bias != null && bias.requiresGrad()));
            if (needsGrad) {
                // Eval mode with gradients (fine-tuning a frozen-statistics model): an affine map per channel.
                int[] perChannel = new int[x.dim()];
                Arrays.fill(perChannel, 1);
                perChannel[1] = channels;
                Tensor scale = runningVar.add(eps).sqrt().reshape(perChannel);
                Tensor out = x.sub(runningMean.reshape(perChannel)).div(scale);
                if (weight != null) {
                    out = out.mul(weight.reshape(perChannel));
                }
                return bias == null ? out : out.add(bias.reshape(perChannel));
            }
            Norms.batchNormInference(batch, channels, spatial, xc.data, xc.offset, data(wc), off(wc), data(bc), off(bc),
                    runningMean.data, runningMean.offset, runningVar.data, runningVar.offset, eps, y.data, 0);
            return y;
        }
        float[] saveMean = new float[channels], saveRstd = new float[channels];
        Tensor rm = training ? runningMean : null, rv = training ? runningVar : null;
        Norms.batchNormTraining(batch, channels, spatial, xc.data, xc.offset, data(wc), off(wc), data(bc), off(bc), eps,
                momentum, data(rm), off(rm), data(rv), off(rv), y.data, 0, saveMean, 0, saveRstd, 0);
        return Tensor.result(y, "BatchNormBackward", g -> {
            Tensor gc = g.contiguous();
            Tensor dx = x.requiresGrad() ? Tensor.zeros(x.shape()) : null;
            Tensor dw = weight != null && weight.requiresGrad() ? Tensor.zeros(channels) : null;
            Tensor db = bias != null && bias.requiresGrad() ? Tensor.zeros(channels) : null;
            Norms.batchNormBackward(batch, channels, spatial, xc.data, xc.offset, data(wc), off(wc), saveMean, 0,
                    saveRstd, 0, gc.data, gc.offset, data(dx), 0, data(dw), 0, data(db), 0);
            return new Tensor[] {dx, dw, db};
        }, x, weight, bias);
    }

    private static int checkNormalizedShape(String op, Tensor x, int[] normalizedShape, Tensor weight, Tensor bias) {
        int[] shape = x.shape();
        if (normalizedShape.length == 0 || normalizedShape.length > shape.length
                || !Arrays.equals(normalizedShape, Arrays.copyOfRange(shape, shape.length - normalizedShape.length, shape.length))) {
            throw new IllegalArgumentException(op + ": normalized_shape " + Shapes.str(normalizedShape)
                    + " does not match the trailing dimensions of input shape " + Shapes.str(shape));
        }
        for (Tensor p : new Tensor[] {weight, bias}) {
            if (p != null && !Arrays.equals(p.shape(), normalizedShape)) {
                throw new IllegalArgumentException(op + ": weight/bias shape " + Shapes.str(p.shape())
                        + " must equal normalized_shape " + Shapes.str(normalizedShape));
            }
        }
        return Shapes.numel(normalizedShape);
    }

    // --------------------------------------------------------------------------------------- embedding

    /** {@code F.embedding(indices, weight)}: rows of {@code weight (num, dim)} at integer indices of any shape. */
    public static Tensor embedding(Tensor indices, Tensor weight) {
        if (weight.dim() != 2) {
            throw new IllegalArgumentException("embedding: weight must be (num_embeddings, embedding_dim), got "
                    + Shapes.str(weight.shape()));
        }
        int[] idx = toIndices("embedding", indices, weight.size(0));
        int[] outShape = Arrays.copyOf(indices.shape(), indices.dim() + 1);
        outShape[indices.dim()] = weight.size(1);
        return weight.indexSelect(idx).reshape(outShape);
    }

    // ------------------------------------------------------------------------------------------- losses

    /**
     * {@code F.cross_entropy(input, target, ignore_index, label_smoothing, reduction)} over logits.
     * {@code input} is {@code (N, C)} or {@code (N, C, d1, ...)}; {@code target} holds class indices of shape
     * {@code (N)} / {@code (N, d1, ...)}, or class probabilities of the input's shape. One fused kernel pass
     * computes the loss and, when the input requires grad, its gradient.
     */
    public static Tensor crossEntropy(Tensor input, Tensor target, int ignoreIndex, float labelSmoothing, Reduction reduction) {
        if (input.dim() < 1) {
            throw new IllegalArgumentException("crossEntropy: input must have a class dimension, got shape " + Shapes.str(input.shape()));
        }
        if (reduction == Reduction.BATCH_MEAN) {
            throw new IllegalArgumentException("crossEntropy: reduction BATCH_MEAN is only for KL divergence");
        }
        boolean soft = Arrays.equals(target.shape(), input.shape());
        Tensor logits = input.dim() <= 2 ? input : input.movedimLast(1);
        int classes = input.dim() == 1 ? input.size(0) : input.size(1);
        int rows = classes == 0 ? 0 : logits.numel() / classes;
        int[] rowShape = input.dim() == 1 ? new int[0] : removeDim(input.shape(), 1);
        if (!soft && !Arrays.equals(target.shape(), rowShape)) {
            throw new IllegalArgumentException("crossEntropy: target shape " + Shapes.str(target.shape())
                    + " must be " + Shapes.str(rowShape) + " (class indices) or " + Shapes.str(input.shape())
                    + " (probabilities) for input shape " + Shapes.str(input.shape()));
        }
        Tensor lc = logits.contiguous();
        boolean needsGrad = GradMode.isEnabled() && input.requiresGrad();
        float[] dlogits = needsGrad ? new float[rows * classes] : null;
        float[] rowLoss = reduction == Reduction.NONE ? new float[rows] : null;
        double total;
        if (soft) {
            Tensor tc = (input.dim() <= 2 ? target : target.movedimLast(1)).contiguous();
            float scale = reduction == Reduction.MEAN ? 1f / Math.max(1, rows) : 1f;
            total = CrossEntropy.soft(rows, classes, lc.data, lc.offset, tc.data, tc.offset, labelSmoothing,
                    rowLoss, 0, dlogits, 0, scale);
            if (reduction == Reduction.MEAN) {
                total /= rows;
            }
        } else {
            int[] t = toClassIndices(target, ignoreIndex);
            if (reduction == Reduction.MEAN) {
                total = CrossEntropy.mean(rows, classes, lc.data, lc.offset, t, 0, ignoreIndex, labelSmoothing, dlogits, 0);
            } else {
                total = CrossEntropy.rows(rows, classes, lc.data, lc.offset, t, 0, ignoreIndex, labelSmoothing, rowLoss, 0,
                        dlogits, 0, 1f);
            }
        }
        Tensor out = reduction == Reduction.NONE ? Tensor.wrap(rowLoss, rowShape) : Tensor.scalar((float) total);
        final int r = rows;
        return Tensor.result(out, "CrossEntropyBackward", g -> {
            Tensor d = Tensor.wrap(dlogits.clone(), r, classes);
            if (reduction == Reduction.NONE) {
                Tensor gc = g.contiguous();
                Elementwise.binaryColumn(Elementwise.Op.MUL, r, classes, d.data, 0, gc.data, gc.offset, d.data, 0);
            } else {
                d.mul_(g.item());
            }
            Tensor grad = input.dim() <= 2 ? d.reshape(input.shape())
                    : d.reshape(concat(rowShape, classes)).movedim(input.dim() - 1, 1).contiguous();
            return new Tensor[] {grad};
        }, input);
    }

    /** Cross-entropy with PyTorch's defaults: mean over samples, ignore_index -100, no smoothing. */
    public static Tensor crossEntropy(Tensor input, Tensor target) {
        return crossEntropy(input, target, -100, 0f, Reduction.MEAN);
    }

    /** {@code F.nll_loss(input, target, ignore_index, reduction)}: {@code -input[i, target[i]]} over log-probabilities {@code (N, C)}. */
    public static Tensor nllLoss(Tensor input, Tensor target, int ignoreIndex, Reduction reduction) {
        if (input.dim() != 2 || target.dim() != 1 || target.size(0) != input.size(0)) {
            throw new IllegalArgumentException("nllLoss: expects input (N, C) and target (N), got " + Shapes.str(input.shape())
                    + " and " + Shapes.str(target.shape()));
        }
        int n = input.size(0), c = input.size(1);
        int[] t = toClassIndices(target, ignoreIndex);
        float[] weights = new float[n];
        float[] picked = new float[n];
        int counted = 0;
        for (int i = 0; i < n; i++) {
            if (t[i] == ignoreIndex) {
                continue;
            }
            if (t[i] < 0 || t[i] >= c) {
                throw new IllegalArgumentException("nllLoss: target " + t[i] + " is out of bounds for " + c + " classes");
            }
            weights[i] = 1f;
            picked[i] = t[i];
            counted++;
        }
        Tensor mask = Tensor.wrap(weights, n);
        Tensor values = input.gather(1, Tensor.wrap(picked, n, 1)).reshape(n).mul(mask).neg();
        return switch (reduction) {
            case NONE -> values;
            case SUM -> values.sum();
            case MEAN -> values.sum().div(counted);
            case BATCH_MEAN -> throw new IllegalArgumentException("nllLoss: BATCH_MEAN is only for KL divergence");
        };
    }

    /** {@code F.mse_loss}: {@code (input - target)^2}, reduced. */
    public static Tensor mseLoss(Tensor input, Tensor target, Reduction reduction) {
        checkSameShape("mseLoss", input, target);
        Tensor d = input.sub(target);
        return reduce(d.mul(d), reduction, "mseLoss");
    }

    /** {@code F.l1_loss}: {@code |input - target|}, reduced. */
    public static Tensor l1Loss(Tensor input, Tensor target, Reduction reduction) {
        checkSameShape("l1Loss", input, target);
        return reduce(input.sub(target).abs(), reduction, "l1Loss");
    }

    /** {@code F.smooth_l1_loss(beta)}: {@code 0.5 d^2 / beta} where {@code |d| < beta}, else {@code |d| - 0.5 beta}. */
    public static Tensor smoothL1Loss(Tensor input, Tensor target, float beta, Reduction reduction) {
        checkSameShape("smoothL1Loss", input, target);
        if (beta < 0) {
            throw new IllegalArgumentException("smoothL1Loss: beta = " + beta + " must be >= 0");
        }
        if (beta == 0) {
            return l1Loss(input, target, reduction);
        }
        Tensor d = input.sub(target);
        Tensor loss = pointwise(d, "SmoothL1Backward",
                v -> Math.abs(v) < beta ? 0.5f * v * v / beta : Math.abs(v) - 0.5f * beta,
                v -> Math.abs(v) < beta ? v / beta : Math.signum(v));
        return reduce(loss, reduction, "smoothL1Loss");
    }

    /** {@code F.huber_loss(delta)}: {@code 0.5 d^2} where {@code |d| <= delta}, else {@code delta (|d| - 0.5 delta)}. */
    public static Tensor huberLoss(Tensor input, Tensor target, float delta, Reduction reduction) {
        checkSameShape("huberLoss", input, target);
        if (!(delta > 0)) {
            throw new IllegalArgumentException("huberLoss: delta = " + delta + " must be > 0");
        }
        Tensor d = input.sub(target);
        Tensor loss = pointwise(d, "HuberBackward",
                v -> Math.abs(v) <= delta ? 0.5f * v * v : delta * (Math.abs(v) - 0.5f * delta),
                v -> Math.abs(v) <= delta ? v : delta * Math.signum(v));
        return reduce(loss, reduction, "huberLoss");
    }

    /**
     * {@code F.binary_cross_entropy}: {@code -(y log x + (1 - y) log(1 - x))} on probabilities, each log
     * clamped to at least -100 as in PyTorch.
     */
    public static Tensor binaryCrossEntropy(Tensor input, Tensor target, Reduction reduction) {
        checkSameShape("binaryCrossEntropy", input, target);
        float[] x = input.contiguousCopy(), y = target.contiguousCopy();
        float[] loss = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            if (!(x[i] >= 0 && x[i] <= 1)) {
                throw new IllegalArgumentException("binaryCrossEntropy: all elements of input should be between 0 and 1, got "
                        + x[i] + " at " + i);
            }
            double logX = Math.max(Math.log(x[i]), -100), log1mX = Math.max(Math.log1p(-x[i]), -100);
            loss[i] = (float) -(y[i] * logX + (1 - y[i]) * log1mX);
        }
        Tensor out = Tensor.result(Tensor.wrap(loss, input.shape()), "BinaryCrossEntropyBackward", g -> {
            float[] gv = g.contiguousCopy();
            float[] dx = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                // PyTorch: (x - y) / max((1 - x) x, 1e-12)
                dx[i] = (float) (gv[i] * (x[i] - y[i]) / Math.max((1.0 - x[i]) * x[i], 1e-12));
            }
            return new Tensor[] {Tensor.wrap(dx, input.shape())};
        }, input);
        return reduce(out, reduction, "binaryCrossEntropy");
    }

    /**
     * {@code F.binary_cross_entropy_with_logits(input, target, pos_weight)}: the sigmoid and the binary
     * cross-entropy in one stable formula, {@code (1 - y) x + (1 + (pw - 1) y) log(1 + exp(-x))};
     * {@code posWeight} (broadcast over the last dimension) may be null.
     */
    public static Tensor binaryCrossEntropyWithLogits(Tensor input, Tensor target, Tensor posWeight, Reduction reduction) {
        checkSameShape("binaryCrossEntropyWithLogits", input, target);
        float[] x = input.contiguousCopy(), y = target.contiguousCopy();
        float[] pw = posWeight == null ? null : posWeight.expandTo(input.shape()).contiguousCopy();
        float[] loss = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            double lw = pw == null ? 1 : 1 + (pw[i] - 1.0) * y[i];
            double softplusNeg = Math.log1p(Math.exp(-Math.abs(x[i]))) + Math.max(-x[i], 0); // log(1 + e^-x)
            loss[i] = (float) ((1 - y[i]) * x[i] + lw * softplusNeg);
        }
        Tensor out = Tensor.result(Tensor.wrap(loss, input.shape()), "BinaryCrossEntropyWithLogitsBackward", g -> {
            float[] gv = g.contiguousCopy();
            float[] dx = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                double lw = pw == null ? 1 : 1 + (pw[i] - 1.0) * y[i];
                double sigmoidNeg = 1 / (1 + Math.exp(x[i])); // sigmoid(-x)
                dx[i] = (float) (gv[i] * ((1 - y[i]) - lw * sigmoidNeg));
            }
            return new Tensor[] {Tensor.wrap(dx, input.shape())};
        }, input);
        return reduce(out, reduction, "binaryCrossEntropyWithLogits");
    }

    /**
     * {@code F.kl_div(input, target, reduction, log_target)}: {@code input} holds log-probabilities; the
     * pointwise loss is {@code target (log target - input)} (0 where target is 0), or
     * {@code exp(target) (target - input)} when {@code logTarget}. Use {@link Reduction#BATCH_MEAN} for the
     * mathematical KL divergence per sample.
     */
    public static Tensor klDiv(Tensor input, Tensor target, Reduction reduction, boolean logTarget) {
        checkSameShape("klDiv", input, target);
        Tensor pointwise;
        if (logTarget) {
            pointwise = target.exp().mul(target.sub(input));
        } else {
            Tensor logT = target.map(t -> t > 0 ? (float) Math.log(t) : 0f);
            pointwise = target.mul(logT.sub(input));
        }
        if (reduction == Reduction.BATCH_MEAN) {
            return pointwise.sum().div(input.dim() == 0 ? 1 : input.size(0));
        }
        return reduce(pointwise, reduction, "klDiv");
    }

    // ------------------------------------------------------------------------------------------ helpers

    /** An element-wise op on one tensor with scalar forward and derivative formulas (for losses). */
    private static Tensor pointwise(Tensor x, String name, Tensor.FloatUnary f, Tensor.FloatUnary derivative) {
        Tensor y = x.map(f);
        return Tensor.result(y, name, g -> new Tensor[] {g.mul(x.map(derivative))}, x);
    }

    static Tensor reduce(Tensor values, Reduction reduction, String op) {
        return switch (reduction) {
            case NONE -> values;
            case MEAN -> values.mean();
            case SUM -> values.sum();
            case BATCH_MEAN -> throw new IllegalArgumentException(op + ": BATCH_MEAN is only for KL divergence");
        };
    }

    private static void checkSameShape(String op, Tensor input, Tensor target) {
        if (!Arrays.equals(input.shape(), target.shape())) {
            throw new IllegalArgumentException(op + ": input shape " + Shapes.str(input.shape()) + " and target shape "
                    + Shapes.str(target.shape()) + " differ");
        }
    }

    private static int[] toClassIndices(Tensor target, int ignoreIndex) {
        float[] v = target.contiguousCopy();
        int[] t = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            t[i] = (int) v[i];
            if (t[i] != v[i]) {
                throw new IllegalArgumentException("class index target[" + i + "] = " + v[i] + " is not an integer");
            }
        }
        return t;
    }

    private static int[] toIndices(String op, Tensor indices, int size) {
        float[] v = indices.contiguousCopy();
        int[] idx = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            idx[i] = (int) v[i];
            if (idx[i] != v[i] || idx[i] < 0 || idx[i] >= size) {
                throw new IllegalArgumentException(op + ": index " + v[i] + " is out of range [0, " + size + ")");
            }
        }
        return idx;
    }

    private static int[] removeDim(int[] shape, int dim) {
        int[] r = new int[shape.length - 1];
        for (int i = 0, k = 0; i < shape.length; i++) {
            if (i != dim) {
                r[k++] = shape[i];
            }
        }
        return r;
    }

    private static int[] concat(int[] head, int last) {
        int[] r = Arrays.copyOf(head, head.length + 1);
        r[head.length] = last;
        return r;
    }

    private static float[] data(Tensor t) {
        return t == null ? null : t.data;
    }

    private static int off(Tensor t) {
        return t == null ? 0 : t.offset;
    }
}
