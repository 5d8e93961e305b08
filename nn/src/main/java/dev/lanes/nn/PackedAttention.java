package dev.lanes.nn;

import dev.lanes.kernels.Attention;
import dev.lanes.kernels.Threads;

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
 * <p>The attention itself is the fused {@link Attention} kernel, exactly as {@link F#scaledDotProductAttention}
 * runs it. (An earlier version materialised the weights and used batched GEMM + softmax at GPT sizes; once
 * the fused kernel was register-blocked it became faster at those sizes too: 12 against 17 ms for forward +
 * backward at B 16, 4 heads, T 128, head size 64, one thread, on a 2 vCPU AMD EPYC Zen 5 with AVX-512 and
 * JDK 25; how it was measured is in docs/sequence-models.md, "Profile of the training step".)
 */
public final class PackedAttention {
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
        boolean needsGrad = GradMode.isEnabled() && qkv.requiresGrad();
        float scale = Attention.defaultScale(hd);
        if (!needsGrad && dropoutP == 0 && (Threads.count() == 1 || b >= 2 * Threads.count())) {
            return inference(x, b, t, nHead, hd, isCausal, scale);
        }
        int n = b * t * e;
        float[] heads = new float[3 * n], out = new float[n]; // q, k and v as (B, H, T, hd), one after the other
        gather(x.data, x.offset, b, t, nHead, hd, heads, 0, n);
        float[] lse = needsGrad ? new float[bh * t] : null;
        Attention.forward(bh, t, t, hd, heads, 0, heads, n, heads, 2 * n, null, 0, 0, isCausal, scale, dropoutP, seed,
                out, 0, lse, 0);
        Tensor y = Tensor.zeros(b, t, e);
        headsToRows(out, 0, b, t, nHead, hd, y.data, 0);
        if (!needsGrad) {
            return y;
        }
        final long sd = seed;
        int[] shape = qkv.shape();
        return Tensor.result(y, "PackedSelfAttentionBackward", g -> {
            Tensor gc = g.contiguous();
            float[] dout = new float[n];
            rowsToHeads(gc.data, gc.offset, b, t, nHead, hd, dout);
            float[] dq = new float[n], dk = new float[n], dv = new float[n];
            Attention.backward(bh, t, t, hd, heads, 0, heads, n, heads, 2 * n, null, 0, 0, isCausal, scale, dropoutP, sd,
                    out, 0, lse, 0, dout, 0, dq, 0, dk, 0, dv, 0);
            Tensor dqkv = Tensor.zeros(shape);
            scatter(dq, dk, dv, b, t, nHead, hd, dqkv.data);
            return new Tensor[] {dqkv};
        }, qkv);
    }

    /** Per-thread buffers of {@link #inference}: one batch element's q, k, v and output, reused call to call. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[1][0]);

    /**
     * The forward without autograd or dropout, one task per batch element: its heads are gathered into a
     * per-thread buffer ({@code 4 * T * E} floats, L2-sized at GPT sizes), attended and written straight into
     * the output rows, so the copies run on every thread and hit cache instead of streaming four
     * {@code (B, H, T, hd)} arrays through memory. The kernel computes each (batch, head) problem with the same
     * calls as the batched path, so the result has the same bits.
     */
    private static Tensor inference(Tensor x, int b, int t, int heads, int hd, boolean isCausal, float scale) {
        int e = heads * hd, per = t * e;
        Tensor y = Tensor.zeros(b, t, e);
        float[] src = x.data, dst = y.data;
        int off = x.offset;
        Threads.parallelFor(b, bi -> {
            float[][] holder = SCRATCH.get();
            if (holder[0].length < 4 * per) {
                holder[0] = new float[4 * per];
            }
            float[] buf = holder[0];
            gather(src, off + bi * t * 3 * e, 1, t, heads, hd, buf, 0, per);
            Attention.forward(heads, t, t, hd, buf, 0, buf, per, buf, 2 * per, null, 0, 0, isCausal, scale,
                    buf, 3 * per, null, 0);
            headsToRows(buf, 3 * per, 1, t, heads, hd, dst, bi * per);
        });
        return y;
    }

    /** {@link #gather} into one array: q at {@code base}, k at {@code base + stride}, v at {@code base + 2 stride}. */
    private static void gather(float[] src, int off, int b, int t, int heads, int hd, float[] qkv, int base, int stride) {
        int e = heads * hd;
        for (int bi = 0; bi < b; bi++) {
            for (int ti = 0; ti < t; ti++) {
                int row = off + (bi * t + ti) * 3 * e;
                for (int h = 0; h < heads; h++) {
                    int d = base + ((bi * heads + h) * t + ti) * hd;
                    System.arraycopy(src, row + h * hd, qkv, d, hd);
                    System.arraycopy(src, row + e + h * hd, qkv, d + stride, hd);
                    System.arraycopy(src, row + 2 * e + h * hd, qkv, d + 2 * stride, hd);
                }
            }
        }
    }

    /** {@code (B, H, T, hd)} at {@code src[srcOff]} into the rows of a {@code (B, T, E)} array at {@code dst[dstOff]}. */
    private static void headsToRows(float[] src, int srcOff, int b, int t, int heads, int hd, float[] dst, int dstOff) {
        int e = heads * hd;
        for (int bi = 0; bi < b; bi++) {
            for (int h = 0; h < heads; h++) {
                for (int ti = 0; ti < t; ti++) {
                    System.arraycopy(src, srcOff + ((bi * heads + h) * t + ti) * hd, dst, dstOff + (bi * t + ti) * e + h * hd, hd);
                }
            }
        }
    }

    /** The inverse of {@link #headsToRows}: a {@code (B, T, E)} array's rows into {@code (B, H, T, hd)}. */
    private static void rowsToHeads(float[] src, int srcOff, int b, int t, int heads, int hd, float[] dst) {
        int e = heads * hd;
        for (int bi = 0; bi < b; bi++) {
            for (int h = 0; h < heads; h++) {
                for (int ti = 0; ti < t; ti++) {
                    System.arraycopy(src, srcOff + (bi * t + ti) * e + h * hd, dst, ((bi * heads + h) * t + ti) * hd, hd);
                }
            }
        }
    }

    /** The inverse of {@link #gather} (q, k and v in three arrays), into a zeroed or overwritten {@code (B, T, 3E)} array. */
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
