package dev.lanes.kernels;

import dev.lanes.kernels.internal.Checks;
import dev.lanes.kernels.internal.KernelProvider;
import dev.lanes.kernels.ops.DropoutHash;
import dev.lanes.kernels.ops.ScalarAttention;
import dev.lanes.kernels.ops.VectorAttention;

/**
 * Fused scaled dot-product attention, as {@code torch.nn.functional.scaled_dot_product_attention(q, k, v,
 * attn_mask, is_causal=causal, scale=scale)} without dropout:
 * {@code out = softmax(Q K^T * scale + mask) V} for {@code bh} independent problems (batch times heads),
 * with {@code Q} of shape {@code (bh, tq, d)}, {@code K} and {@code V} of shape {@code (bh, tk, d)} and
 * {@code out} of shape {@code (bh, tq, d)}, all row-major and contiguous from their offsets.
 *
 * <p>Flash-attention style: a tile of queries meets the keys a tile at a time with an online softmax (a
 * running maximum and sum per query row), so the {@code tq x tk} score matrix is never stored; each task
 * holds one tile of scores (and its thread's scratch is reused from call to call). The forward is split
 * over {@code bh} times query tiles; the backward over the {@code bh} problems, each walking its key tiles
 * and, for each, its query tiles in order (the scalar twin: two passes, over query tiles for dQ and over key
 * tiles for dK and dV). Tiles are fixed by the shapes alone, so the results are the same bits for any
 * thread count; the backward uses at most {@code bh} threads.
 *
 * <p>Options, with PyTorch's meaning: {@code scale} multiplies the scores ({@link #defaultScale} is
 * PyTorch's default {@code 1/sqrt(d)}); {@code causal} lets query {@code i} see keys {@code j <= i}
 * only, aligned at the top left also when {@code tq != tk} (PyTorch's {@code is_causal}: the mask is
 * {@code ones(tq, tk).tril(0)}); {@code mask}, when not null, is an additive {@code tq x tk} float mask per
 * problem, problem {@code b}'s at {@code maskOff + b * maskStride} ({@code maskStride = 0} shares one mask
 * among all problems), where {@code -inf} hides a key. Causal and mask may be combined.
 *
 * <p>A query row that sees no key (all its keys masked with {@code -inf}, or {@code tk = 0}) gets an output
 * row of zeros and zero gradients, which is what PyTorch 2.13's {@code scaled_dot_product_attention} returns
 * on CPU (its math backend uses a "safe" softmax that gives 0 for such rows); its logsumexp is {@code -inf}.
 *
 * <p>Outputs must not overlap the inputs. Bad arguments throw {@link IllegalArgumentException} before
 * anything is written. Dropout on the attention weights: the overloads taking {@code dropoutP} and
 * {@code seed}.
 */
public final class Attention {
    private static final boolean VECTOR = KernelProvider.get().vectorized();

    /** Queries per tile of the forward and of the dQ pass, and keys per tile of every pass. */
    public static final int TILE = 64;

    /**
     * Below this many multiply-adds ({@code bh tq tk d}) a call stays on the calling thread. Low enough that a
     * decoding step (4 heads, one query against 512 keys: 2^17, about 10 us a head, bound by reading K and V)
     * is shared: the caller starts on the tasks at once, so a helper that wakes late costs nothing.
     */
    private static final long PARALLEL_WORK = 1L << 16;

    private Attention() {}

    /** PyTorch's default scale {@code 1/sqrt(d)} (computed in double, rounded to float). */
    public static float defaultScale(int d) {
        return (float) (1.0 / Math.sqrt(d));
    }

    /**
     * The forward pass: writes {@code out} ({@code bh x tq x d}) and, when {@code lse} is not null, the
     * logsumexp of every row of scaled, masked scores ({@code bh x tq}, natural log), which
     * {@link #backward} needs.
     */
    public static void forward(int bh, int tq, int tk, int d,
                               float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                               float[] mask, int maskOff, int maskStride, boolean causal, float scale,
                               float[] out, int outOff, float[] lse, int lseOff) {
        forward(bh, tq, tk, d, q, qOff, k, kOff, v, vOff, mask, maskOff, maskStride, causal, scale, 0f, 0L,
                out, outOff, lse, lseOff);
    }

    /**
     * The forward pass with dropout on the attention weights, as {@code scaled_dot_product_attention(...,
     * dropout_p=dropoutP)}: {@code out = dropout(softmax(S)) V}, each weight kept with probability
     * {@code 1 - dropoutP} and scaled by {@code 1 / (1 - dropoutP)} ({@code dropoutP = 1} drops all: zeros).
     * The mask is a counter-based hash of {@code (seed, problem, query, key)} (see {@link Dropout}), so it is
     * the same on any thread count and {@link #backward} regenerates it from the same seed; PyTorch draws its
     * mask from its own generator, so the two masks differ; {@link #keeps} tells which weights are kept.
     * {@code lse} is that of the undropped weights.
     */
    public static void forward(int bh, int tq, int tk, int d,
                               float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                               float[] mask, int maskOff, int maskStride, boolean causal, float scale,
                               float dropoutP, long seed, float[] out, int outOff, float[] lse, int lseOff) {
        String routine = "Attention.forward";
        checkInputs(routine, bh, tq, tk, d, q, qOff, k, kOff, v, vOff, mask, maskOff, maskStride, scale, dropoutP);
        int threshold = DropoutHash.threshold(dropoutP);
        float keepScale = dropoutP == 1f ? 0f : 1f / (1f - dropoutP);
        Checks.span(routine, "out", out, outOff, (long) bh * tq * d);
        Checks.optionalSpan(routine, "lse", lse, lseOff, (long) bh * tq);
        int tiles = tiles(tq);
        run(bh, tiles, (long) bh * tq * tk * d, t -> {
            int b = t / tiles, i0 = (t % tiles) * TILE, i1 = Math.min(tq, i0 + TILE);
            int mo = mask == null ? 0 : maskOff + b * maskStride;
            long qkv = (long) b * tq * d, kv = (long) b * tk * d;
            if (VECTOR) {
                VectorAttention.forward(i0, i1, tk, d, q, qOff + (int) qkv, k, kOff + (int) kv, v, vOff + (int) kv,
                        mask, mo, causal, scale, key0(seed, b), key1(seed, b), threshold, keepScale,
                        out, outOff + (int) qkv, lse, lseOff + b * tq);
            } else {
                ScalarAttention.forward(i0, i1, tk, d, q, qOff + (int) qkv, k, kOff + (int) kv, v, vOff + (int) kv,
                        mask, mo, causal, scale, key0(seed, b), key1(seed, b), threshold, keepScale,
                        out, outOff + (int) qkv, lse, lseOff + b * tq);
            }
        });
    }

    /**
     * The backward pass, FlashAttention-2 style: given the upstream gradient {@code dOut} and the forward's
     * {@code out} and {@code lse}, recomputes the attention weights tile by tile as
     * {@code P = exp(S - lse)} and writes (overwrites) {@code dq}, {@code dk} and {@code dv}. The options
     * must be those of the forward call. Every gradient element is summed by one task in a fixed order.
     */
    public static void backward(int bh, int tq, int tk, int d,
                                float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                                float[] mask, int maskOff, int maskStride, boolean causal, float scale,
                                float[] out, int outOff, float[] lse, int lseOff, float[] dOut, int dOutOff,
                                float[] dq, int dqOff, float[] dk, int dkOff, float[] dv, int dvOff) {
        backward(bh, tq, tk, d, q, qOff, k, kOff, v, vOff, mask, maskOff, maskStride, causal, scale, 0f, 0L,
                out, outOff, lse, lseOff, dOut, dOutOff, dq, dqOff, dk, dkOff, dv, dvOff);
    }

    /**
     * The backward of the forward pass with dropout: the same {@code dropoutP} and {@code seed} regenerate
     * the forward's dropout mask. With {@code P} the undropped weights, {@code f} the dropout factors
     * ({@code 0} or {@code 1 / (1 - dropoutP)}): {@code dV = (P f)^T dOut},
     * {@code dS = P ((dOut V^T) f - D)} with {@code D_i = dOut_i . out_i}, {@code dQ = scale dS K},
     * {@code dK = scale dS^T Q}.
     */
    public static void backward(int bh, int tq, int tk, int d,
                                float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                                float[] mask, int maskOff, int maskStride, boolean causal, float scale,
                                float dropoutP, long seed,
                                float[] out, int outOff, float[] lse, int lseOff, float[] dOut, int dOutOff,
                                float[] dq, int dqOff, float[] dk, int dkOff, float[] dv, int dvOff) {
        String routine = "Attention.backward";
        checkInputs(routine, bh, tq, tk, d, q, qOff, k, kOff, v, vOff, mask, maskOff, maskStride, scale, dropoutP);
        int threshold = DropoutHash.threshold(dropoutP);
        float keepScale = dropoutP == 1f ? 0f : 1f / (1f - dropoutP);
        long qSize = (long) bh * tq * d, kSize = (long) bh * tk * d;
        Checks.span(routine, "out", out, outOff, qSize);
        Checks.span(routine, "lse", lse, lseOff, (long) bh * tq);
        Checks.span(routine, "dOut", dOut, dOutOff, qSize);
        Checks.span(routine, "dq", dq, dqOff, qSize);
        Checks.span(routine, "dk", dk, dkOff, kSize);
        Checks.span(routine, "dv", dv, dvOff, kSize);
        long work = (long) bh * tq * tk * d;
        if (VECTOR) {
            // One task per problem: its key tiles in order, each meeting its query tiles in order, so the
            // weights are formed once per pair of tiles and dQ is summed in a fixed order without a second pass.
            run(bh, 1, work, b -> {
                int mo = mask == null ? 0 : maskOff + b * maskStride;
                int qo = (int) ((long) b * tq * d), ko = (int) ((long) b * tk * d);
                VectorAttention.backward(tq, tk, d, q, qOff + qo, k, kOff + ko, v, vOff + ko, mask, mo, causal, scale,
                        key0(seed, b), key1(seed, b), threshold, keepScale, out, outOff + qo, lse, lseOff + b * tq,
                        dOut, dOutOff + qo, dq, dqOff + qo, dk, dkOff + ko, dv, dvOff + ko);
            });
            return;
        }
        int qTiles = tiles(tq);
        run(bh, qTiles, work, t -> {
            int b = t / qTiles, i0 = (t % qTiles) * TILE, i1 = Math.min(tq, i0 + TILE);
            int mo = mask == null ? 0 : maskOff + b * maskStride;
            int qo = (int) ((long) b * tq * d), ko = (int) ((long) b * tk * d);
            ScalarAttention.backwardQuery(i0, i1, tk, d, q, qOff + qo, k, kOff + ko, v, vOff + ko, mask, mo,
                    causal, scale, key0(seed, b), key1(seed, b), threshold, keepScale, out, outOff + qo, lse,
                    lseOff + b * tq, dOut, dOutOff + qo, dq, dqOff + qo);
        });
        int kTiles = tiles(tk);
        run(bh, kTiles, work, t -> {
            int b = t / kTiles, j0 = (t % kTiles) * TILE, j1 = Math.min(tk, j0 + TILE);
            int mo = mask == null ? 0 : maskOff + b * maskStride;
            int qo = (int) ((long) b * tq * d), ko = (int) ((long) b * tk * d);
            ScalarAttention.backwardKey(j0, j1, tq, tk, d, q, qOff + qo, k, kOff + ko, v, vOff + ko, mask, mo,
                    causal, scale, key0(seed, b), key1(seed, b), threshold, keepScale, out, outOff + qo, lse,
                    lseOff + b * tq, dOut, dOutOff + qo, dk, dkOff + ko, dv, dvOff + ko);
        });
    }

    /**
     * True when the dropout of a call with this seed and {@code dropoutP} keeps attention weight
     * {@code (query, key)} of problem {@code problem} in a problem with {@code tk} keys. The hash index is
     * {@code query * tk + key} in int arithmetic (it wraps beyond 2^31, which only changes which bits are hashed).
     */
    public static boolean keeps(long seed, float dropoutP, int problem, int query, int key, int tk) {
        Checks.inRange("Attention.keeps", "dropoutP", dropoutP, 0, 1);
        return DropoutHash.threshold(dropoutP) == 0
                || DropoutHash.uniform24(key0(seed, problem), key1(seed, problem), query * tk + key)
                        >= DropoutHash.threshold(dropoutP);
    }

    /** Problem {@code b}'s dropout keys: the seed advanced by b SplitMix64 steps, then hashed as Dropout's. */
    private static int key0(long seed, int b) {
        return DropoutHash.key0(seed + b * 0x9E3779B97F4A7C15L);
    }

    private static int key1(long seed, int b) {
        return DropoutHash.key1(seed + b * 0x9E3779B97F4A7C15L);
    }

    private static int tiles(int n) {
        return (n + TILE - 1) / TILE;
    }

    /** Runs {@code bh * tiles} tasks, on the pool when there is enough work. */
    private static void run(int bh, int tiles, long work, java.util.function.IntConsumer task) {
        int tasks = bh * tiles;
        if (work < PARALLEL_WORK || tasks <= 1) {
            for (int t = 0; t < tasks; t++) {
                task.accept(t);
            }
        } else {
            Threads.parallelFor(tasks, task);
        }
    }

    private static void checkInputs(String routine, int bh, int tq, int tk, int d,
                                    float[] q, int qOff, float[] k, int kOff, float[] v, int vOff,
                                    float[] mask, int maskOff, int maskStride, float scale, float dropoutP) {
        Checks.nonNegative(routine, "bh", bh);
        Checks.nonNegative(routine, "tq", tq);
        Checks.nonNegative(routine, "tk", tk);
        Checks.nonNegative(routine, "d", d);
        Checks.nonNegative(routine, "maskStride", maskStride);
        Checks.finite(routine, "scale", scale);
        Checks.inRange(routine, "dropoutP", dropoutP, 0, 1);
        long qSize = (long) bh * tq * d, kSize = (long) bh * tk * d;
        if (qSize > Integer.MAX_VALUE || kSize > Integer.MAX_VALUE || (long) bh * tq > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(routine + ": bh = " + bh + ", tq = " + tq + ", tk = " + tk + ", d = " + d
                    + " give more than Integer.MAX_VALUE elements");
        }
        Checks.span(routine, "q", q, qOff, qSize);
        Checks.span(routine, "k", k, kOff, kSize);
        Checks.span(routine, "v", v, vOff, kSize);
        if (mask != null) {
            long problem = (long) tq * tk;
            long span = bh == 0 || problem == 0 ? 0 : (long) (bh - 1) * maskStride + problem;
            Checks.span(routine, "mask", mask, maskOff, span);
        }
    }
}
