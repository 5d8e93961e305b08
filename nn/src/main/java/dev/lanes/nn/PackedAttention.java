package dev.lanes.nn;

import dev.lanes.kernels.Attention;
import dev.lanes.kernels.Gemm;
import dev.lanes.kernels.Softmax;

/**
 * Multi-head self-attention straight from a packed query/key/value projection, as GPT-style models compute
 * it: for {@code qkv (B, T, 3E)} (queries, keys, values side by side, each split into {@code nHead} heads of
 * {@code E / nHead}), the result {@code (B, T, E)} equals
 *
 * <pre>{@code
 * q, k, v = qkv.split(E, dim=2)
 * q = q.view(B, T, nHead, E // nHead).transpose(1, 2)      # and k, v
 * y = F.scaled_dot_product_attention(q, k, v, dropout_p=dropoutP, is_causal=isCausal)
 * y = y.transpose(1, 2).contiguous().view(B, T, E)
 * }</pre>
 *
 * in one autograd node: the heads are gathered once into the kernel's layout and the gradient scattered
 * back once into a {@code (B, T, 3E)} tensor, instead of three slices, three copies, a transpose and their
 * backward passes (each slice's backward allocates and fills a full-size zero gradient).
 *
 * <p>Without dropout, and while the {@code B * nHead * T * T} attention weights take at most
 * {@value #MAX_MATERIALIZED} floats, the weights are materialised and everything is batched GEMM plus a row
 * softmax: {@code S = scale Q K^T} (causal entries above the diagonal set to {@code -inf}),
 * {@code P = softmax(S)}, {@code O = P V}; backward {@code dV = P^T dO}, {@code dP = dO V^T},
 * {@code dS = P (dP - rowsum(dP P))}, {@code dQ = scale dS K}, {@code dK = scale dS^T Q}. For GPT-sized
 * contexts this is several times faster than the fused {@link Attention} kernel as it stands (see
 * docs/sequence-models.md), at the cost of that memory; the results equal the fused kernel's up to float
 * rounding. Otherwise (dropout, long contexts) the fused kernel runs, exactly as
 * {@link F#scaledDotProductAttention} would.
 */
public final class PackedAttention {
    /** The most attention weights ({@code B * nHead * T * T} floats, 64 MiB) the GEMM path materialises. */
    static final long MAX_MATERIALIZED = 1L << 24;

    private PackedAttention() {}

    /**
     * Causal or full self-attention over {@code qkv (B, T, 3E)}; dropout on the attention weights with
     * probability {@code dropoutP} (pass 0 outside training), its seed drawn from {@code generator} (null: the
     * default generator).
     */
    public static Tensor selfAttention(Tensor qkv, int nHead, boolean isCausal, float dropoutP, Generator generator) {
        String op = "PackedAttention.selfAttention";
        if (qkv.dim() != 3 || qkv.size(2) % 3 != 0) {
            throw new IllegalArgumentException(op + ": qkv must be (B, T, 3E), got shape " + Shapes.str(qkv.shape()));
        }
        int b = qkv.size(0), t = qkv.size(1), e = qkv.size(2) / 3;
        if (nHead < 1 || e % nHead != 0) {
            throw new IllegalArgumentException(op + ": nHead = " + nHead + " must be >= 1 and divide E = " + e
                    + " (qkv shape " + Shapes.str(qkv.shape()) + ")");
        }
        if (!(dropoutP >= 0 && dropoutP <= 1)) {
            throw new IllegalArgumentException(op + ": dropoutP must be in [0, 1], got " + dropoutP);
        }
        int hd = e / nHead, bh = b * nHead;
        long seed = 0;
        if (dropoutP > 0) {
            Generator g = generator == null ? Generator.defaultGenerator() : generator;
            synchronized (g) {
                seed = g.nextLong();
            }
        }
        Tensor x = qkv.contiguous();
        int n = b * t * e;
        float[] q = new float[n], k = new float[n], v = new float[n], out = new float[n];
        gather(x.data, x.offset, b, t, nHead, hd, q, k, v);
        boolean needsGrad = GradMode.isEnabled() && qkv.requiresGrad();
        float scale = Attention.defaultScale(hd);
        boolean viaGemm = dropoutP == 0 && (long) bh * t * t <= MAX_MATERIALIZED;
        float[] lse = needsGrad && !viaGemm ? new float[bh * t] : null;
        float[] p = viaGemm ? new float[bh * t * t] : null;
        if (viaGemm) {
            attentionByGemm(bh, t, hd, scale, isCausal, q, k, v, p, out);
        } else {
            Attention.forward(bh, t, t, hd, q, 0, k, 0, v, 0, null, 0, 0, isCausal, scale, dropoutP, seed, out, 0, lse, 0);
        }
        Tensor y = Tensor.zeros(b, t, e);
        for (int bi = 0; bi < b; bi++) {
            for (int h = 0; h < nHead; h++) {
                for (int ti = 0; ti < t; ti++) {
                    System.arraycopy(out, ((bi * nHead + h) * t + ti) * hd, y.data, (bi * t + ti) * e + h * hd, hd);
                }
            }
        }
        if (!needsGrad) {
            return y;
        }
        final long sd = seed;
        int[] shape = qkv.shape();
        return Tensor.result(y, "PackedSelfAttentionBackward", g -> {
            Tensor gc = g.contiguous();
            float[] dout = new float[n];
            for (int bi = 0; bi < b; bi++) {
                for (int h = 0; h < nHead; h++) {
                    for (int ti = 0; ti < t; ti++) {
                        System.arraycopy(gc.data, gc.offset + (bi * t + ti) * e + h * hd, dout, ((bi * nHead + h) * t + ti) * hd, hd);
                    }
                }
            }
            float[] dq = new float[n], dk = new float[n], dv = new float[n];
            if (viaGemm) {
                attentionByGemmBackward(bh, t, hd, scale, q, k, v, p, dout, dq, dk, dv);
            } else {
                Attention.backward(bh, t, t, hd, q, 0, k, 0, v, 0, null, 0, 0, isCausal, scale, dropoutP, sd,
                        out, 0, lse, 0, dout, 0, dq, 0, dk, 0, dv, 0);
            }
            Tensor dqkv = Tensor.zeros(shape);
            scatter(dq, dk, dv, b, t, nHead, hd, dqkv.data);
            return new Tensor[] {dqkv};
        }, qkv);
    }

    /** {@code out = softmax(scale q k^T [causal]) v} for {@code bh} problems of {@code t x hd}, keeping the weights in {@code p}. */
    private static void attentionByGemm(int bh, int t, int hd, float scale, boolean causal, float[] q, float[] k, float[] v,
                                        float[] p, float[] out) {
        int tt = t * t, td = t * hd;
        Gemm.sgemmStridedBatched(false, true, t, t, hd, scale, q, 0, hd, td, k, 0, hd, td, 0f, p, 0, t, tt, bh);
        if (causal) {
            for (int b = 0; b < bh; b++) {
                for (int i = 0; i < t - 1; i++) {
                    java.util.Arrays.fill(p, b * tt + i * t + i + 1, b * tt + (i + 1) * t, Float.NEGATIVE_INFINITY);
                }
            }
        }
        Softmax.softmax(bh * t, t, p, 0, p, 0);
        Gemm.sgemmStridedBatched(false, false, t, hd, t, 1f, p, 0, t, tt, v, 0, hd, td, 0f, out, 0, hd, td, bh);
    }

    /** The backward of {@link #attentionByGemm}: masked weights are 0 in {@code p}, so their gradients are too. */
    private static void attentionByGemmBackward(int bh, int t, int hd, float scale, float[] q, float[] k, float[] v, float[] p,
                                                float[] dout, float[] dq, float[] dk, float[] dv) {
        int tt = t * t, td = t * hd;
        Gemm.sgemmStridedBatched(true, false, t, hd, t, 1f, p, 0, t, tt, dout, 0, hd, td, 0f, dv, 0, hd, td, bh);
        float[] dp = new float[bh * tt], ds = new float[bh * tt];
        Gemm.sgemmStridedBatched(false, true, t, t, hd, 1f, dout, 0, hd, td, v, 0, hd, td, 0f, dp, 0, t, tt, bh);
        Softmax.softmaxBackward(bh * t, t, p, 0, dp, 0, ds, 0);
        Gemm.sgemmStridedBatched(false, false, t, hd, t, scale, ds, 0, t, tt, k, 0, hd, td, 0f, dq, 0, hd, td, bh);
        Gemm.sgemmStridedBatched(true, false, t, hd, t, scale, ds, 0, t, tt, q, 0, hd, td, 0f, dk, 0, hd, td, bh);
    }

    /** {@code (B, T, 3E)} rows into three {@code (B, H, T, hd)} arrays. */
    private static void gather(float[] src, int off, int b, int t, int heads, int hd, float[] q, float[] k, float[] v) {
        int e = heads * hd;
        for (int bi = 0; bi < b; bi++) {
            for (int ti = 0; ti < t; ti++) {
                int row = off + (bi * t + ti) * 3 * e;
                for (int h = 0; h < heads; h++) {
                    int dst = ((bi * heads + h) * t + ti) * hd;
                    System.arraycopy(src, row + h * hd, q, dst, hd);
                    System.arraycopy(src, row + e + h * hd, k, dst, hd);
                    System.arraycopy(src, row + 2 * e + h * hd, v, dst, hd);
                }
            }
        }
    }

    /** The inverse of {@link #gather}, into a zeroed or overwritten {@code (B, T, 3E)} array. */
    private static void scatter(float[] q, float[] k, float[] v, int b, int t, int heads, int hd, float[] dst) {
        int e = heads * hd;
        for (int bi = 0; bi < b; bi++) {
            for (int ti = 0; ti < t; ti++) {
                int row = (bi * t + ti) * 3 * e;
                for (int h = 0; h < heads; h++) {
                    int src = ((bi * heads + h) * t + ti) * hd;
                    System.arraycopy(q, src, dst, row + h * hd, hd);
                    System.arraycopy(k, src, dst, row + e + h * hd, hd);
                    System.arraycopy(v, src, dst, row + 2 * e + h * hd, hd);
                }
            }
        }
    }
}
