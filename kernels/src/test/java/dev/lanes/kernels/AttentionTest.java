package dev.lanes.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.lanes.kernels.ops.ScalarAttention;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link Attention} against a naive double-precision reference that stores the whole score matrix:
 * sequence lengths that are not multiples of the tile (1, 7, 33, 65, 130), head sizes 1, 8, 17, 64, causal
 * and additive masks (shared and per problem, with fully masked rows), operands at offsets; forward,
 * backward, dropout against the reference given the same mask, a finite-difference check of the backward
 * (with and without dropout), the scalar twin, thread-count independence and
 * argument checks.
 *
 * <p>Tolerance: every result within {@code 1e-5 * max(1, max|want|)} of the reference (80 ulp of the
 * largest value; the twins differ from the reference by 1.3e-6 of it at most). Outputs are convex
 * combinations of V rows with float scores and running sums; gradients sum up to 130 terms of size
 * ~max|dOut| max|V|. The largest error measured is in dK for {@code tk = 1}, exactly 0 in real arithmetic:
 * {@code D_i = dOut_i . out_i} and {@code dOut_i . v_j} are rounded differently.
 */
class AttentionTest {
    private static final int OFF = 3;
    private static final float SENTINEL = -7.5e29f;

    /** A problem: shapes, options and operands (each at offset OFF, sentinel padded). */
    private record Problem(int bh, int tq, int tk, int d, boolean causal, float scale, float[] q, float[] k,
                           float[] v, float[] mask, int maskStride, float[] dOut, float dropoutP, long seed) {
        Problem withDropout(float p, long s) {
            return new Problem(bh, tq, tk, d, causal, scale, q, k, v, mask, maskStride, dOut, p, s);
        }

        /** The dropout factor of weight (i, j) of problem b: 0, or 1 / (1 - p). */
        double factor(int b, int i, int j) {
            if (dropoutP == 0) {
                return 1;
            }
            return Attention.keeps(seed, dropoutP, b, i, j, tk) ? 1.0 / (1.0 - dropoutP) : 0;
        }

        int qSize() {
            return bh * tq * d;
        }

        int kSize() {
            return bh * tk * d;
        }
    }

    private static float[] random(Random r, int n, float scale) {
        float[] a = new float[OFF + n + 2];
        Arrays.fill(a, 1e30f);
        for (int i = 0; i < n; i++) {
            a[OFF + i] = (float) (r.nextGaussian() * scale);
        }
        return a;
    }

    private static float[] out(int n) {
        float[] a = new float[OFF + n + 2];
        Arrays.fill(a, SENTINEL);
        return a;
    }

    /**
     * maskKind 0: none; 1: one shared mask (maskStride 0) with random values and some -inf; 2: per-problem
     * padding masks (trailing keys -inf, one fully masked row).
     */
    private static Problem problem(Random r, int bh, int tq, int tk, int d, boolean causal, int maskKind) {
        float[] mask = null;
        int stride = 0;
        if (maskKind == 1) {
            mask = random(r, tq * tk, 1f);
            for (int e = 0; e < tq * tk; e++) {
                if (r.nextInt(5) == 0) {
                    mask[OFF + e] = Float.NEGATIVE_INFINITY;
                }
            }
        } else if (maskKind == 2) {
            stride = tq * tk + 4;
            mask = new float[OFF + bh * stride];
            Arrays.fill(mask, 1e30f);
            for (int b = 0; b < bh; b++) {
                int valid = 1 + r.nextInt(tk);
                for (int i = 0; i < tq; i++) {
                    for (int j = 0; j < tk; j++) {
                        boolean hidden = j >= valid || (b == 0 && i == tq - 1 && tq > 1);
                        mask[OFF + b * stride + i * tk + j] = hidden ? Float.NEGATIVE_INFINITY : 0f;
                    }
                }
            }
        }
        return new Problem(bh, tq, tk, d, causal, Attention.defaultScale(d), random(r, bh * tq * d, 1f),
                random(r, bh * tk * d, 1f), random(r, bh * tk * d, 1f), mask, stride, random(r, bh * tq * d, 1f),
                0f, 0L);
    }

    /** Reference results in double: out, lse, dq, dk, dv (each without offset). */
    private static double[][] reference(Problem p) {
        int bh = p.bh, tq = p.tq, tk = p.tk, d = p.d;
        double[] o = new double[p.qSize()], lse = new double[bh * tq], dq = new double[p.qSize()];
        double[] dk = new double[p.kSize()], dv = new double[p.kSize()];
        for (int b = 0; b < bh; b++) {
            int qb = b * tq * d, kb = b * tk * d;
            for (int i = 0; i < tq; i++) {
                double[] s = new double[tk];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < tk; j++) {
                    if (p.causal && j > i) {
                        s[j] = Double.NEGATIVE_INFINITY;
                    } else {
                        double dot = 0;
                        for (int x = 0; x < d; x++) {
                            dot += (double) p.q[OFF + qb + i * d + x] * p.k[OFF + kb + j * d + x];
                        }
                        s[j] = dot * p.scale + (p.mask == null ? 0 : p.mask[OFF + b * p.maskStride + i * tk + j]);
                    }
                    max = Math.max(max, s[j]);
                }
                if (max == Double.NEGATIVE_INFINITY) {
                    lse[b * tq + i] = Double.NEGATIVE_INFINITY;
                    continue; // all masked: out and gradients 0, as PyTorch
                }
                double sum = 0;
                double[] prob = new double[tk];
                for (int j = 0; j < tk; j++) {
                    prob[j] = Math.exp(s[j] - max);
                    sum += prob[j];
                }
                lse[b * tq + i] = max + Math.log(sum);
                double[] dp = new double[tk];
                double rowDot = 0;
                for (int j = 0; j < tk; j++) {
                    prob[j] /= sum;
                    double f = p.factor(b, i, j); // dropout after the softmax: out = (P f) V
                    for (int x = 0; x < d; x++) {
                        o[qb + i * d + x] += prob[j] * f * p.v[OFF + kb + j * d + x];
                        dp[j] += (double) p.dOut[OFF + qb + i * d + x] * p.v[OFF + kb + j * d + x];
                    }
                    dp[j] *= f;
                    rowDot += prob[j] * dp[j];
                }
                for (int j = 0; j < tk; j++) {
                    double ds = prob[j] * (dp[j] - rowDot) * p.scale;
                    double f = p.factor(b, i, j);
                    for (int x = 0; x < d; x++) {
                        dq[qb + i * d + x] += ds * p.k[OFF + kb + j * d + x];
                        dk[kb + j * d + x] += ds * p.q[OFF + qb + i * d + x];
                        dv[kb + j * d + x] += prob[j] * f * p.dOut[OFF + qb + i * d + x];
                    }
                }
            }
        }
        return new double[][] {o, lse, dq, dk, dv};
    }

    /** Lanes' results: out, lse, dq, dk, dv (each at offset OFF, sentinel padded). */
    private static float[][] lanes(Problem p) {
        float[] o = out(p.qSize()), lse = out(p.bh * p.tq);
        float[] dq = out(p.qSize()), dk = out(p.kSize()), dv = out(p.kSize());
        int mo = p.mask == null ? 0 : OFF;
        if (p.dropoutP == 0 && p.seed == 0) { // the overloads without dropout
            Attention.forward(p.bh, p.tq, p.tk, p.d, p.q, OFF, p.k, OFF, p.v, OFF, p.mask, mo, p.maskStride,
                    p.causal, p.scale, o, OFF, lse, OFF);
            Attention.backward(p.bh, p.tq, p.tk, p.d, p.q, OFF, p.k, OFF, p.v, OFF, p.mask, mo, p.maskStride,
                    p.causal, p.scale, o, OFF, lse, OFF, p.dOut, OFF, dq, OFF, dk, OFF, dv, OFF);
        } else {
            Attention.forward(p.bh, p.tq, p.tk, p.d, p.q, OFF, p.k, OFF, p.v, OFF, p.mask, mo, p.maskStride,
                    p.causal, p.scale, p.dropoutP, p.seed, o, OFF, lse, OFF);
            Attention.backward(p.bh, p.tq, p.tk, p.d, p.q, OFF, p.k, OFF, p.v, OFF, p.mask, mo, p.maskStride,
                    p.causal, p.scale, p.dropoutP, p.seed, o, OFF, lse, OFF, p.dOut, OFF, dq, OFF, dk, OFF, dv, OFF);
        }
        return new float[][] {o, lse, dq, dk, dv};
    }

    /** The same results from the scalar twin, driven over the same tiles as the front end. */
    private static float[][] scalarTwin(Problem p) {
        float[] o = out(p.qSize()), lse = out(p.bh * p.tq);
        float[] dq = out(p.qSize()), dk = out(p.kSize()), dv = out(p.kSize());
        int tq = p.tq, tk = p.tk, d = p.d, t = Attention.TILE;
        for (int b = 0; b < p.bh; b++) {
            int mo = p.mask == null ? 0 : OFF + b * p.maskStride;
            int qo = OFF + b * tq * d, ko = OFF + b * tk * d, lo = OFF + b * tq;
            for (int i0 = 0; i0 < tq; i0 += t) {
                ScalarAttention.forward(i0, Math.min(tq, i0 + t), tk, d, p.q, qo, p.k, ko, p.v, ko, p.mask, mo,
                        p.causal, p.scale, 0, 0, 0, 1f, o, qo, lse, lo);
            }
            for (int i0 = 0; i0 < tq; i0 += t) {
                ScalarAttention.backwardQuery(i0, Math.min(tq, i0 + t), tk, d, p.q, qo, p.k, ko, p.v, ko, p.mask, mo,
                        p.causal, p.scale, 0, 0, 0, 1f, o, qo, lse, lo, p.dOut, qo, dq, qo);
            }
            for (int j0 = 0; j0 < tk; j0 += t) {
                ScalarAttention.backwardKey(j0, Math.min(tk, j0 + t), tq, tk, d, p.q, qo, p.k, ko, p.v, ko, p.mask,
                        mo, p.causal, p.scale, 0, 0, 0, 1f, o, qo, lse, lo, p.dOut, qo, dk, ko, dv, ko);
            }
        }
        return new float[][] {o, lse, dq, dk, dv};
    }

    private static final String[] NAMES = {"out", "lse", "dq", "dk", "dv"};

    /** Compares against the reference: {@code |got - want| <= tol * (max|want| of that result, at least 1)}. */
    private static void assertNear(String what, double[][] want, float[][] got, double tol) {
        for (int r = 0; r < want.length; r++) {
            double[] w = want[r];
            float[] g = got[r];
            double scale = 1;
            for (double x : w) {
                if (Double.isFinite(x)) {
                    scale = Math.max(scale, Math.abs(x));
                }
            }
            for (int i = 0; i < g.length; i++) {
                if (i < OFF || i >= OFF + w.length) {
                    if (g[i] != SENTINEL) {
                        fail(what + " " + NAMES[r] + ": wrote outside its span at " + i);
                    }
                    continue;
                }
                double wi = w[i - OFF], gi = g[i];
                if (wi == Double.NEGATIVE_INFINITY) {
                    assertEquals(Float.NEGATIVE_INFINITY, g[i], what + " " + NAMES[r] + "[" + (i - OFF) + "]");
                    continue;
                }
                if (!(Math.abs(gi - wi) <= tol * scale)) {
                    fail(what + " " + NAMES[r] + "[" + (i - OFF) + "] = " + gi + ", want " + wi
                            + " (scale " + scale + ")");
                }
            }
        }
    }

    private static void assertNear(String what, float[][] want, float[][] got, double tol) {
        double[][] w = new double[want.length][];
        for (int r = 0; r < want.length; r++) {
            w[r] = new double[want[r].length - OFF - 2];
            for (int i = 0; i < w[r].length; i++) {
                w[r][i] = want[r][OFF + i];
            }
        }
        assertNear(what, w, got, tol);
    }

    @Test
    void matchesNaiveReference() {
        Random r = new Random(11);
        int[] lengths = {1, 7, 33, 65, 130};
        int[] dims = {1, 8, 17, 64};
        int cases = 0;
        for (int tq : lengths) {
            for (int tk : lengths) {
                int d = dims[(tq + 3 * tk) % dims.length];
                if ((long) tq * tk * d > 300_000) {
                    d = 17; // keeps the double reference quick; 64 is covered by the smaller shapes
                }
                for (int variant = 0; variant < 3; variant++) {
                    boolean causal = variant == 1 || (variant == 2 && tq % 2 == 1);
                    int maskKind = variant == 0 ? (tk % 3) : variant == 1 ? 0 : 1 + tq % 2;
                    Problem p = problem(r, 1 + r.nextInt(3), tq, tk, d, causal, maskKind);
                    String what = "tq=" + tq + " tk=" + tk + " d=" + d + " causal=" + causal + " mask=" + maskKind;
                    float[][] got = lanes(p);
                    assertNear(what, reference(p), got, 1e-5);
                    assertNear(what + " vs scalar twin", scalarTwin(p), got, 1e-5);
                    cases++;
                }
            }
        }
        assertTrue(cases >= 75);
    }

    @Test
    void everyHeadSizeAtEveryLength() {
        Random r = new Random(5);
        for (int d : new int[] {1, 8, 17, 64}) {
            for (int t : new int[] {1, 7, 33, 65}) {
                Problem p = problem(r, 2, t, t + 1, d, true, 2);
                assertNear("d=" + d + " t=" + t, reference(p), lanes(p), 1e-5);
            }
        }
    }

    /**
     * The micro-kernel's edges: one query against many keys (generation with a KV cache, every key tile
     * against a single-row register tile), query and key counts that leave 1-3 rows beside the 4-row blocks,
     * head sizes that are not a whole number of vectors (1, 3, 80 at 512 bits) and wider than 4 vectors (128).
     */
    @Test
    void microKernelEdges() {
        Random r = new Random(21);
        int[][] shapes = {{1, 300, 64}, {1, 129, 80}, {1, 64, 1}, {2, 70, 3}, {5, 6, 128}, {66, 67, 80},
            {3, 130, 128}, {67, 3, 1}};
        for (int[] sh : shapes) {
            for (boolean causal : new boolean[] {false, true}) {
                int maskKind = (sh[0] + sh[1]) % 3;
                Problem p = problem(r, 2, sh[0], sh[1], sh[2], causal, maskKind);
                String what = "tq=" + sh[0] + " tk=" + sh[1] + " d=" + sh[2] + " causal=" + causal + " mask=" + maskKind;
                assertNear(what, reference(p), lanes(p), 1e-5);
            }
        }
    }

    @Test
    void fullyMaskedRowsGiveZeros() {
        Random r = new Random(3);
        Problem p = problem(r, 2, 5, 9, 8, false, 1);
        for (int j = 0; j < 9; j++) {
            p.mask[OFF + 2 * 9 + j] = Float.NEGATIVE_INFINITY; // row 2 of every problem sees nothing
        }
        float[][] got = lanes(p);
        for (int b = 0; b < 2; b++) {
            assertEquals(Float.NEGATIVE_INFINITY, got[1][OFF + b * 5 + 2]);
            for (int x = 0; x < 8; x++) {
                assertEquals(0f, got[0][OFF + (b * 5 + 2) * 8 + x]);
                assertEquals(0f, got[2][OFF + (b * 5 + 2) * 8 + x]);
            }
        }
        assertNear("masked rows", reference(p), got, 1e-5);
        // no keys at all: every row is empty
        Problem none = problem(r, 2, 3, 0, 4, false, 0);
        float[][] empty = lanes(none);
        for (int i = 0; i < 6; i++) {
            assertEquals(Float.NEGATIVE_INFINITY, empty[1][OFF + i]);
        }
        for (int i = 0; i < 24; i++) {
            assertEquals(0f, empty[0][OFF + i]);
            assertEquals(0f, empty[2][OFF + i]);
        }
    }

    @Test
    void sameBitsOnOneTwoAndThreeThreads() {
        Random r = new Random(8);
        for (float dropoutP : new float[] {0f, 0.3f}) {
            Problem p = problem(r, 3, 130, 100, 64, true, 2).withDropout(dropoutP, 99); // enough work for the pool
            assertSameOnThreads(p);
        }
    }

    private static void assertSameOnThreads(Problem p) {
        float[][][] runs = new float[3][][];
        for (int threads = 1; threads <= 3; threads++) {
            int t = threads;
            KernelTesting.withThreads(threads, () -> runs[t - 1] = lanes(p));
        }
        for (int t = 1; t < 3; t++) {
            for (int e = 0; e < 5; e++) {
                KernelTesting.assertSameBits((t + 1) + " threads " + NAMES[e] + " dropout " + p.dropoutP, runs[0][e],
                        runs[t][e]);
            }
        }
    }

    /** Central differences of {@code L = sum(out * dOut)} in double against the backward. */
    @Test
    void backwardMatchesFiniteDifferences() {
        Random r = new Random(21);
        for (int variant = 0; variant < 3; variant++) {
            boolean causal = variant == 1;
            Problem p = problem(r, 1, 5, 4, 3, causal, 1).withDropout(variant == 2 ? 0.4f : 0f, 5);
            float[][] got = lanes(p);
            float[][] operands = {p.q, p.k, p.v};
            for (int which = 0; which < 3; which++) {
                float[] a = operands[which];
                for (int e = OFF; e < a.length - 2; e++) {
                    float keep = a[e];
                    double h = 1e-3;
                    float up = (float) (keep + h), down = (float) (keep - h);
                    a[e] = up;
                    double plus = loss(p);
                    a[e] = down;
                    double minus = loss(p);
                    a[e] = keep;
                    double numeric = (plus - minus) / ((double) up - down);
                    double analytic = got[2 + which][e];
                    assertEquals(numeric, analytic, 2e-3 + 2e-3 * Math.abs(numeric),
                            NAMES[2 + which] + "[" + (e - OFF) + "] variant " + variant);
                }
            }
        }
    }

    /** {@code sum(out * dOut)} with the out of the double reference (a smooth function of the operands). */
    private static double loss(Problem p) {
        double[] o = reference(p)[0];
        double sum = 0;
        for (int i = 0; i < o.length; i++) {
            sum += o[i] * p.dOut[OFF + i];
        }
        return sum;
    }

    @Test
    void dropoutMatchesReferenceWithTheSameMask() {
        Random r = new Random(31);
        int[][] shapes = {{1, 1, 1}, {7, 33, 8}, {65, 130, 17}, {130, 7, 64}, {33, 65, 1}, {1, 300, 64}};
        for (int[] sh : shapes) {
            for (float dropoutP : new float[] {0.1f, 0.5f}) {
                boolean causal = sh[0] % 2 == 1;
                Problem p = problem(r, 2, sh[0], sh[1], sh[2], causal, sh[0] % 3).withDropout(dropoutP, r.nextLong());
                assertNear("dropout " + dropoutP + " tq=" + sh[0] + " tk=" + sh[1] + " d=" + sh[2], reference(p),
                        lanes(p), 1e-5);
            }
        }
    }

    @Test
    void dropoutExtremesAndMaskStatistics() {
        Random r = new Random(2);
        Problem p = problem(r, 2, 9, 70, 8, false, 0);
        float[][] plain = lanes(p);
        float[][] zero = lanes(p.withDropout(0f, 1234));
        for (int e = 0; e < 5; e++) {
            KernelTesting.assertSameBits("dropoutP 0 " + NAMES[e], plain[e], zero[e]);
        }
        float[][] all = lanes(p.withDropout(1f, 1234));
        KernelTesting.assertSameBits("dropoutP 1 lse", plain[1], all[1]);
        for (int e : new int[] {0, 2, 3, 4}) {
            for (int i = OFF; i < all[e].length - 2; i++) {
                assertEquals(0f, all[e][i], "dropoutP 1 " + NAMES[e]);
            }
        }
        // the kept fraction is 1 - p, and different problems and seeds get different masks
        int kept = 0, same = 0, sameSeed = 0, n = 200 * 300;
        for (int i = 0; i < 200; i++) {
            for (int j = 0; j < 300; j++) {
                boolean k0 = Attention.keeps(7, 0.25f, 0, i, j, 300);
                kept += k0 ? 1 : 0;
                same += k0 == Attention.keeps(7, 0.25f, 1, i, j, 300) ? 1 : 0;
                sameSeed += k0 == Attention.keeps(8, 0.25f, 0, i, j, 300) ? 1 : 0;
            }
        }
        assertEquals(0.75, kept / (double) n, 0.01);
        assertEquals(0.625, same / (double) n, 0.01); // independent masks agree with probability p^2 + (1-p)^2
        assertEquals(0.625, sameSeed / (double) n, 0.01);
    }

    /**
     * Once warm, a call allocates (almost) nothing: the tile scratch is per thread and kept, so what remains
     * is the task lambda and the thread pool's bookkeeping, a few hundred bytes. A FloatVector that C2 fails to
     * keep in a register (one passed to a method left out of line, or an exp that C2 gave up inlining) costs
     * ~100 bytes per vector and tile, which the bound catches (the forward boxed 6 MB a call at T = 2048 when
     * its online softmax had two inlined exps). Shapes: full tiles with d a whole number of vectors (a GPT
     * head's T = 128, d = 64), one query against 500 keys (generation with a KV cache) and d = 80.
     */
    @Test
    void allocatesNothingBigOnceWarm() {
        int[][] shapes = {{2, 2 * Attention.TILE, 2 * Attention.TILE, 64}, {4, 1, 500, 64}, {3, 70, 90, 80}};
        int before = Threads.count();
        Threads.setCount(1);
        try {
            for (int[] sh : shapes) {
                int bh = sh[0], tq = sh[1], tk = sh[2], d = sh[3];
                Problem p = problem(new Random(1), bh, tq, tk, d, tq > 1, 0);
                float[] o = new float[p.qSize()], lse = new float[bh * tq], dq = new float[p.qSize()];
                float[] dk = new float[p.kSize()], dv = new float[p.kSize()];
                // Each pass warmed separately, 20 calls a round for up to 15 s (40 fixed rounds of both were
                // once too few at 128 bits on a busy CI run).
                long[] perCall = {
                    KernelTesting.warmAllocationPerCall(() -> Attention.forward(bh, tq, tk, d, p.q, OFF, p.k, OFF, p.v, OFF,
                            null, 0, 0, p.causal, p.scale, o, 0, lse, 0), 20, 2048, 15),
                    KernelTesting.warmAllocationPerCall(() -> Attention.backward(bh, tq, tk, d, p.q, OFF, p.k, OFF, p.v, OFF,
                            null, 0, 0, p.causal, p.scale, o, 0, lse, 0, p.dOut, OFF, dq, 0, dk, 0, dv, 0), 20, 2048, 15)};
                String what = "bh=" + bh + " tq=" + tq + " tk=" + tk + " d=" + d;
                assertTrue(perCall[0] < 2048, what + ": forward allocated " + perCall[0] + " bytes a call");
                assertTrue(perCall[1] < 2048, what + ": backward allocated " + perCall[1] + " bytes a call");
            }
        } finally {
            Threads.setCount(before);
        }
    }

    @Test
    void forwardWithoutLseAndOwnScale() {
        Random r = new Random(4);
        Problem p = problem(r, 2, 9, 12, 8, false, 0);
        Problem scaled = new Problem(p.bh, p.tq, p.tk, p.d, false, 0.7f, p.q, p.k, p.v, null, 0, p.dOut, 0f, 0L);
        float[] o = out(p.qSize());
        Attention.forward(2, 9, 12, 8, p.q, OFF, p.k, OFF, p.v, OFF, null, 0, 0, false, 0.7f, o, OFF, null, 0);
        assertNear("scale 0.7", new double[][] {reference(scaled)[0]}, new float[][] {o}, 1e-5);
        assertArrayEquals(lanes(scaled)[0], o);
    }

    @Test
    void badArgumentsThrowBeforeWriting() {
        Random r = new Random(9);
        Problem p = problem(r, 2, 4, 5, 3, false, 0);
        float[] o = out(p.qSize()), lse = out(8), dq = out(p.qSize()), dk = out(p.kSize()), dv = out(p.kSize());
        float[] shortMask = new float[4 * 5]; // enough for one shared mask, not for two at stride 1
        Object[][] cases = {
            {-1, 4, 5, 3, p.q, p.k, p.v, null, 0, 1f, o, "bh = -1"},
            {2, -4, 5, 3, p.q, p.k, p.v, null, 0, 1f, o, "tq = -4"},
            {2, 4, 5, -3, p.q, p.k, p.v, null, 0, 1f, o, "d = -3"},
            {2, 4, 5, 3, null, p.k, p.v, null, 0, 1f, o, "q is null"},
            {2, 4, 6, 3, p.q, p.k, p.v, null, 0, 1f, o, "k is too short"},
            {2, 4, 5, 3, p.q, p.k, p.v, shortMask, 1, 1f, o, "mask is too short"},
            {2, 4, 5, 3, p.q, p.k, p.v, shortMask, -1, 1f, o, "maskStride = -1"},
            {2, 4, 5, 3, p.q, p.k, p.v, null, 0, Float.NaN, o, "scale = NaN"},
            {2, 4, 5, 3, p.q, p.k, p.v, null, 0, 1f, new float[10], "out is too short"},
        };
        for (Object[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Attention.forward(
                    (int) c[0], (int) c[1], (int) c[2], (int) c[3], (float[]) c[4], OFF, (float[]) c[5], OFF,
                    (float[]) c[6], OFF, (float[]) c[7], 0, (int) c[8], false, (float) c[9], (float[]) c[10], OFF,
                    lse, OFF));
            assertTrue(e.getMessage().startsWith("Attention.forward") && e.getMessage().contains((String) c[11]),
                    e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Attention.forward(2, 4, 5, 3,
                p.q, OFF, p.k, OFF, p.v, OFF, null, 0, 0, false, 1f, o, OFF, new float[5], 0));
        assertTrue(e.getMessage().contains("lse is too short"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Attention.backward(2, 4, 5, 3, p.q, OFF, p.k, OFF,
                p.v, OFF, null, 0, 0, false, 1f, o, OFF, lse, OFF, p.dOut, OFF, dq, OFF, dk, OFF, new float[3], 0));
        assertTrue(e.getMessage().startsWith("Attention.backward") && e.getMessage().contains("dv is too short"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Attention.forward(2, 4, 5, 3, p.q, OFF, p.k, OFF,
                p.v, OFF, null, 0, 0, false, 1f, 1.5f, 0L, o, OFF, lse, OFF));
        assertTrue(e.getMessage().startsWith("Attention.forward") && e.getMessage().contains("dropoutP = 1.5"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Attention.backward(2, 4, 5, 3, p.q, OFF, p.k, OFF,
                p.v, OFF, null, 0, 0, false, 1f, Float.NaN, 0L, o, OFF, lse, OFF, p.dOut, OFF, dq, OFF, dk, OFF, dv,
                OFF));
        assertTrue(e.getMessage().contains("dropoutP = NaN"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Attention.backward(2, 4, 5, 3, p.q, OFF, p.k, OFF,
                p.v, OFF, null, 0, 0, false, 1f, o, OFF, null, 0, p.dOut, OFF, dq, OFF, dk, OFF, dv, OFF));
        assertTrue(e.getMessage().contains("lse is null"), e.getMessage());
        for (float[] a : new float[][] {o, lse, dq, dk, dv}) {
            for (float x : a) {
                assertEquals(SENTINEL, x, "an output was written before a check failed");
            }
        }
    }
}
