package dev.lanes.kernels.ops;

import static dev.lanes.kernels.Attention.TILE;
import static dev.lanes.kernels.internal.VectorMath.S;

import dev.lanes.kernels.internal.VectorMath;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Fused attention tiles with the Vector API. Every product of tiles goes through one register-blocked
 * micro-kernel, {@code mm}: {@code C += A B} with {@code A} read one scalar at a time (broadcast, any
 * strides, so a transposed operand costs nothing) and {@code B}'s rows along the lanes, a register tile of
 * 4 rows x 4 vectors (2 below 512 bits, where there are 16 vector registers) accumulated over the inner
 * dimension in order. Each element of {@code C} is one chain of fused multiply-adds over the inner index,
 * whichever block it falls in, so results depend on the shapes only.
 *
 * <p>The forward keeps a query tile transposed ({@code d x rows}), so that the scores come out transposed
 * ({@code keys x rows}, query rows along the lanes) and the online softmax's running maximum, sum and
 * rescaling factor are vectors over query rows; a single query row (decoding with a KV cache) takes dot
 * products along {@code d} instead ({@code forwardRow}). The backward walks one problem's key tiles in order, and
 * for each the query tiles in order, with that key tile's K and V transposed ({@code d x TILE}, keys along
 * the lanes): it forms the weights and their gradient once per pair of tiles and adds into dK, dV (per key
 * tile) and dQ (a per-problem accumulator), so every gradient element is summed by one task in a fixed
 * order. Scratch is per thread ({@link Scratch}) and reused across calls; nothing relies on it being zero.
 * No vector crosses a method boundary (a vector passed to a method C2 does not inline is boxed), and no
 * vector loop variable is the receiver of a call (see {@code onlineSoftmaxT}). Twins: {@link ScalarAttention}
 * (which keeps the two-pass backward: dQ over query tiles, dK and dV over key tiles).
 */
public final class VectorAttention {
    private static final int V = S.length();
    /** Vectors per register-tile row: 4 x 4 accumulators need 16 of the 32 AVX-512 registers. */
    private static final boolean WIDE = V >= 16;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private VectorAttention() {}

    /**
     * One thread's scratch arrays, grown on demand and kept: at most a few tiles, plus the backward's dQ
     * accumulator and row dots of one problem ({@code tq x padded(d)} and {@code tq} floats).
     */
    private static final class Scratch {
        float[] a = new float[0], b = new float[0], c = new float[0], e = new float[0], f = new float[0];
        float[] g = new float[0], h = new float[0], r = new float[0], w = new float[0], x = new float[0];
        float[] y = new float[0], z = new float[0];

        static float[] fit(float[] old, int n) {
            return old.length >= n ? old : new float[n];
        }
    }

    private static int padded(int n) {
        return (n + V - 1) / V * V;
    }

    private static int keyEnd(int i1, int tk, boolean causal) {
        return causal ? Math.min(tk, i1) : tk;
    }

    // ---------------------------------------------------------------------------------------------------
    // The micro-kernel

    /**
     * {@code C[i][j] += sum_t A(i, t) B[t][j]} for {@code i < m}, {@code j < n} (a
     * multiple of V), {@code t < kd}, with {@code A(i, t) = a[ao + i * ars + t * ats]}, {@code B[t][j] =
     * b[bo + t * ldb + j]} and {@code C[i][j] = c[co + i * ldc + j]}.
     */
    static void mm(int m, int n, int kd, float[] a, int ao, int ars, int ats, float[] b, int bo, int ldb,
                   float[] c, int co, int ldc) {
        int i = 0;
        for (; i + 4 <= m; i += 4) {
            int ai = ao + i * ars, ci = co + i * ldc, j = 0;
            if (WIDE) {
                for (; j + 4 * V <= n; j += 4 * V) {
                    mm4x4(kd, a, ai, ars, ats, b, bo + j, ldb, c, ci + j, ldc);
                }
            }
            for (; j + 2 * V <= n; j += 2 * V) {
                mm4x2(kd, a, ai, ars, ats, b, bo + j, ldb, c, ci + j, ldc);
            }
            for (; j < n; j += V) {
                mm4x1(kd, a, ai, ars, ats, b, bo + j, ldb, c, ci + j, ldc);
            }
        }
        for (; i < m; i++) {
            int ai = ao + i * ars, ci = co + i * ldc, j = 0;
            for (; j + 4 * V <= n; j += 4 * V) {
                mm1x4(kd, a, ai, ats, b, bo + j, ldb, c, ci + j);
            }
            for (; j < n; j += V) {
                mm1x1(kd, a, ai, ats, b, bo + j, ldb, c, ci + j);
            }
        }
    }

    private static void mm4x4(int kd, float[] a, int ao, int ars, int ats, float[] b, int bo, int ldb,
                              float[] c, int co, int ldc) {
        int c1 = co + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        FloatVector s00 = FloatVector.fromArray(S, c, co), s01 = FloatVector.fromArray(S, c, co + V), s02 = FloatVector.fromArray(S, c, co + 2 * V);
        FloatVector s03 = FloatVector.fromArray(S, c, co + 3 * V);
        FloatVector s10 = FloatVector.fromArray(S, c, c1), s11 = FloatVector.fromArray(S, c, c1 + V), s12 = FloatVector.fromArray(S, c, c1 + 2 * V);
        FloatVector s13 = FloatVector.fromArray(S, c, c1 + 3 * V);
        FloatVector s20 = FloatVector.fromArray(S, c, c2), s21 = FloatVector.fromArray(S, c, c2 + V), s22 = FloatVector.fromArray(S, c, c2 + 2 * V);
        FloatVector s23 = FloatVector.fromArray(S, c, c2 + 3 * V);
        FloatVector s30 = FloatVector.fromArray(S, c, c3), s31 = FloatVector.fromArray(S, c, c3 + V), s32 = FloatVector.fromArray(S, c, c3 + 2 * V);
        FloatVector s33 = FloatVector.fromArray(S, c, c3 + 3 * V);
        for (int t = 0, ap = ao, bp = bo; t < kd; t++, ap += ats, bp += ldb) {
            FloatVector b0 = FloatVector.fromArray(S, b, bp), b1 = FloatVector.fromArray(S, b, bp + V);
            FloatVector b2 = FloatVector.fromArray(S, b, bp + 2 * V), b3 = FloatVector.fromArray(S, b, bp + 3 * V);
            FloatVector x = FloatVector.broadcast(S, a[ap]);
            s00 = x.fma(b0, s00);
            s01 = x.fma(b1, s01);
            s02 = x.fma(b2, s02);
            s03 = x.fma(b3, s03);
            x = FloatVector.broadcast(S, a[ap + ars]);
            s10 = x.fma(b0, s10);
            s11 = x.fma(b1, s11);
            s12 = x.fma(b2, s12);
            s13 = x.fma(b3, s13);
            x = FloatVector.broadcast(S, a[ap + 2 * ars]);
            s20 = x.fma(b0, s20);
            s21 = x.fma(b1, s21);
            s22 = x.fma(b2, s22);
            s23 = x.fma(b3, s23);
            x = FloatVector.broadcast(S, a[ap + 3 * ars]);
            s30 = x.fma(b0, s30);
            s31 = x.fma(b1, s31);
            s32 = x.fma(b2, s32);
            s33 = x.fma(b3, s33);
        }
        s00.intoArray(c, co);
        s01.intoArray(c, co + V);
        s02.intoArray(c, co + 2 * V);
        s03.intoArray(c, co + 3 * V);
        s10.intoArray(c, c1);
        s11.intoArray(c, c1 + V);
        s12.intoArray(c, c1 + 2 * V);
        s13.intoArray(c, c1 + 3 * V);
        s20.intoArray(c, c2);
        s21.intoArray(c, c2 + V);
        s22.intoArray(c, c2 + 2 * V);
        s23.intoArray(c, c2 + 3 * V);
        s30.intoArray(c, c3);
        s31.intoArray(c, c3 + V);
        s32.intoArray(c, c3 + 2 * V);
        s33.intoArray(c, c3 + 3 * V);
    }

    private static void mm4x2(int kd, float[] a, int ao, int ars, int ats, float[] b, int bo, int ldb,
                              float[] c, int co, int ldc) {
        int c1 = co + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        FloatVector s00 = FloatVector.fromArray(S, c, co), s01 = FloatVector.fromArray(S, c, co + V);
        FloatVector s10 = FloatVector.fromArray(S, c, c1), s11 = FloatVector.fromArray(S, c, c1 + V);
        FloatVector s20 = FloatVector.fromArray(S, c, c2), s21 = FloatVector.fromArray(S, c, c2 + V);
        FloatVector s30 = FloatVector.fromArray(S, c, c3), s31 = FloatVector.fromArray(S, c, c3 + V);
        for (int t = 0, ap = ao, bp = bo; t < kd; t++, ap += ats, bp += ldb) {
            FloatVector b0 = FloatVector.fromArray(S, b, bp), b1 = FloatVector.fromArray(S, b, bp + V);
            FloatVector x = FloatVector.broadcast(S, a[ap]);
            s00 = x.fma(b0, s00);
            s01 = x.fma(b1, s01);
            x = FloatVector.broadcast(S, a[ap + ars]);
            s10 = x.fma(b0, s10);
            s11 = x.fma(b1, s11);
            x = FloatVector.broadcast(S, a[ap + 2 * ars]);
            s20 = x.fma(b0, s20);
            s21 = x.fma(b1, s21);
            x = FloatVector.broadcast(S, a[ap + 3 * ars]);
            s30 = x.fma(b0, s30);
            s31 = x.fma(b1, s31);
        }
        s00.intoArray(c, co);
        s01.intoArray(c, co + V);
        s10.intoArray(c, c1);
        s11.intoArray(c, c1 + V);
        s20.intoArray(c, c2);
        s21.intoArray(c, c2 + V);
        s30.intoArray(c, c3);
        s31.intoArray(c, c3 + V);
    }

    private static void mm4x1(int kd, float[] a, int ao, int ars, int ats, float[] b, int bo, int ldb,
                              float[] c, int co, int ldc) {
        int c1 = co + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        FloatVector s0 = FloatVector.fromArray(S, c, co), s1 = FloatVector.fromArray(S, c, c1), s2 = FloatVector.fromArray(S, c, c2), s3 = FloatVector.fromArray(S, c, c3);
        for (int t = 0, ap = ao, bp = bo; t < kd; t++, ap += ats, bp += ldb) {
            FloatVector b0 = FloatVector.fromArray(S, b, bp);
            s0 = FloatVector.broadcast(S, a[ap]).fma(b0, s0);
            s1 = FloatVector.broadcast(S, a[ap + ars]).fma(b0, s1);
            s2 = FloatVector.broadcast(S, a[ap + 2 * ars]).fma(b0, s2);
            s3 = FloatVector.broadcast(S, a[ap + 3 * ars]).fma(b0, s3);
        }
        s0.intoArray(c, co);
        s1.intoArray(c, c1);
        s2.intoArray(c, c2);
        s3.intoArray(c, c3);
    }

    private static void mm1x4(int kd, float[] a, int ao, int ats, float[] b, int bo, int ldb, float[] c, int co) {
        FloatVector s0 = FloatVector.fromArray(S, c, co), s1 = FloatVector.fromArray(S, c, co + V);
        FloatVector s2 = FloatVector.fromArray(S, c, co + 2 * V), s3 = FloatVector.fromArray(S, c, co + 3 * V);
        for (int t = 0, ap = ao, bp = bo; t < kd; t++, ap += ats, bp += ldb) {
            FloatVector x = FloatVector.broadcast(S, a[ap]);
            s0 = x.fma(FloatVector.fromArray(S, b, bp), s0);
            s1 = x.fma(FloatVector.fromArray(S, b, bp + V), s1);
            s2 = x.fma(FloatVector.fromArray(S, b, bp + 2 * V), s2);
            s3 = x.fma(FloatVector.fromArray(S, b, bp + 3 * V), s3);
        }
        s0.intoArray(c, co);
        s1.intoArray(c, co + V);
        s2.intoArray(c, co + 2 * V);
        s3.intoArray(c, co + 3 * V);
    }

    private static void mm1x1(int kd, float[] a, int ao, int ats, float[] b, int bo, int ldb, float[] c, int co) {
        FloatVector s0 = FloatVector.fromArray(S, c, co);
        for (int t = 0, ap = ao, bp = bo; t < kd; t++, ap += ats, bp += ldb) {
            s0 = FloatVector.broadcast(S, a[ap]).fma(FloatVector.fromArray(S, b, bp), s0);
        }
        s0.intoArray(c, co);
    }

    // ---------------------------------------------------------------------------------------------------
    // Copies

    /** Copies {@code n} rows of {@code d} floats to rows of {@code dp}, zeroing the padding. */
    private static void copyRows(int n, int d, int dp, float[] src, int so, float[] dst) {
        for (int r = 0; r < n; r++) {
            System.arraycopy(src, so + r * d, dst, r * dp, d);
            Arrays.fill(dst, r * dp + d, r * dp + dp, 0f);
        }
    }

    /** Transposes {@code n} rows of {@code d} floats into {@code dst[x * ld + c]}, zeroing columns n..w. */
    private static void transpose(int n, int w, int d, float[] src, int so, float[] dst, int ld) {
        for (int c = 0; c < n; c++) {
            int s = so + c * d;
            for (int x = 0; x < d; x++) {
                dst[x * ld + c] = src[s + x];
            }
        }
        if (w > n) {
            for (int x = 0; x < d; x++) {
                Arrays.fill(dst, x * ld + n, x * ld + w, 0f);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // Forward

    /** Forward of query rows {@code i0..i1}; see {@link ScalarAttention#forward}. */
    public static void forward(int i0, int i1, int tk, int d, float[] q, int qo, float[] k, int ko, float[] v, int vo,
                               float[] mask, int mo, boolean causal, float scale,
                               int key0, int key1, int threshold, float keepScale, float[] out, int oo,
                               float[] lse, int lo) {
        if (i1 - i0 == 1) {
            forwardRow(i0, tk, d, q, qo, k, ko, v, vo, mask, mo, causal, scale, key0, key1, threshold, keepScale,
                    out, oo, lse, lo);
            return;
        }
        int rows = i1 - i0, rt = padded(rows), dp = padded(d);
        boolean direct = d == dp; // V rows are whole vectors: read them in place
        Scratch sc = SCRATCH.get();
        float[] qT = sc.a = Scratch.fit(sc.a, d * rt);
        float[] sT = sc.b = Scratch.fit(sc.b, (TILE + 1) * rt); // row nc: see onlineSoftmaxT
        float[] acc = sc.c = Scratch.fit(sc.c, rows * dp);
        float[] st = sc.e = Scratch.fit(sc.e, 5 * rt); // running max and sum, rescaling factor, tile max and sum
        float[] vb = direct ? v : (sc.f = Scratch.fit(sc.f, TILE * dp));
        transpose(rows, rt, d, q, qo + i0 * d, qT, rt);
        Arrays.fill(acc, 0, rows * dp, 0f);
        Arrays.fill(st, 0, rt, Float.NEGATIVE_INFINITY);
        Arrays.fill(st, rt, 2 * rt, 0f);
        int jEnd = keyEnd(i1, tk, causal);
        for (int j0 = 0; j0 < jEnd; j0 += TILE) {
            int nc = Math.min(jEnd, j0 + TILE) - j0;
            Arrays.fill(sT, 0, nc * rt, 0f);
            mm(nc, rt, d, k, ko + j0 * d, d, 1, qT, 0, rt, sT, 0, rt); // S^T = K Q^T
            finishScoresT(i0, rows, rt, j0, nc, tk, mask, mo, causal, scale, sT);
            onlineSoftmaxT(nc, rt, sT, st);
            if (threshold != 0) {
                for (int c = 0; c < nc; c++) {
                    for (int r = 0; r < rows; r++) {
                        sT[c * rt + r] *= ScalarAttention.keep(key0, key1, threshold, keepScale, i0 + r, j0 + c, tk);
                    }
                }
            }
            for (int r = 0; r < rows; r++) {
                float alpha = st[2 * rt + r];
                if (alpha != 1f) {
                    scaleRow(acc, r * dp, dp, alpha);
                }
            }
            int vbo = vo + j0 * d, ldv = d;
            if (!direct) {
                copyRows(nc, d, dp, v, vbo, vb);
                vbo = 0;
                ldv = dp;
            }
            mm(rows, dp, nc, sT, 0, 1, rt, vb, vbo, ldv, acc, 0, dp); // O += P V
        }
        for (int r = 0; r < rows; r++) {
            int i = i0 + r;
            float l = st[rt + r];
            boolean empty = l == 0;
            float inv = 1f / l;
            for (int x = 0; x < d; x++) {
                out[oo + i * d + x] = empty ? 0f : acc[r * dp + x] * inv;
            }
            if (lse != null) {
                lse[lo + i] = empty ? Float.NEGATIVE_INFINITY : st[r] + (float) Math.log(l);
            }
        }
    }

    /**
     * The forward of a single query row (generation with a KV cache: one new query against all cached keys),
     * where a register tile of query rows would leave all lanes but one idle: the scores are dot products
     * along {@code d} (4 keys at a time, reduced in the order of {@link VectorMath#sumLanes(float[], int)}), the
     * softmax runs over the whole row of scores with the keys along the lanes, and {@code P V} is a
     * 1-row product.
     */
    private static void forwardRow(int i, int tk, int d, float[] q, int qo, float[] k, int ko, float[] v, int vo,
                                   float[] mask, int mo, boolean causal, float scale, int key0, int key1,
                                   int threshold, float keepScale, float[] out, int oo, float[] lse, int lo) {
        int jEnd = causal ? Math.min(tk, i + 1) : tk, dp = padded(d), dv = d - d % V, wj = padded(jEnd);
        boolean direct = d == dp;
        Scratch sc = SCRATCH.get();
        float[] s = sc.a = Scratch.fit(sc.a, wj);
        float[] lanes = sc.e = Scratch.fit(sc.e, 4 * V);
        float[] acc = sc.c = Scratch.fit(sc.c, dp);
        float[] vb = direct ? v : (sc.f = Scratch.fit(sc.f, TILE * dp));
        int qi = qo + i * d;
        int c = 0;
        for (; c + 4 <= jEnd; c += 4) {
            dots4(dv, q, qi, k, ko + c * d, d, lanes);
            sumLanes4(lanes, s, c);
        }
        for (; c < jEnd; c++) {
            dots4(dv, q, qi, k, ko + c * d, 0, lanes); // the same key four times: simplest, and rare
            s[c] = VectorMath.sumLanes(lanes, 0);
        }
        float max = Float.NEGATIVE_INFINITY;
        for (c = 0; c < jEnd; c++) {
            float dot = s[c];
            for (int x = dv; x < d; x++) {
                dot += q[qi + x] * k[ko + c * d + x];
            }
            float sc1 = dot * scale;
            if (mask != null) {
                sc1 += mask[mo + i * tk + c];
            }
            s[c] = sc1;
            max = Math.max(max, sc1);
        }
        if (max == Float.NEGATIVE_INFINITY) { // no key seen (or none at all): zeros, as PyTorch
            Arrays.fill(out, oo + i * d, oo + i * d + d, 0f);
            if (lse != null) {
                lse[lo + i] = Float.NEGATIVE_INFINITY;
            }
            return;
        }
        Arrays.fill(s, jEnd, wj, Float.NEGATIVE_INFINITY);
        expTile(s, 0, 1, 0, wj, 1f, max, null, 0);
        float l = 0;
        for (c = 0; c < jEnd; c++) {
            l += s[c];
        }
        if (threshold != 0) {
            for (c = 0; c < jEnd; c++) {
                s[c] *= ScalarAttention.keep(key0, key1, threshold, keepScale, i, c, tk);
            }
        }
        Arrays.fill(acc, 0, dp, 0f);
        for (int j0 = 0; j0 < jEnd; j0 += TILE) {
            int nc = Math.min(jEnd, j0 + TILE) - j0, vbo = vo + j0 * d, ldv = d;
            if (!direct) {
                copyRows(nc, d, dp, v, vbo, vb);
                vbo = 0;
                ldv = dp;
            }
            mm(1, dp, nc, s, j0, 0, 1, vb, vbo, ldv, acc, 0, dp); // o += p V
        }
        float inv = 1f / l;
        for (int x = 0; x < d; x++) {
            out[oo + i * d + x] = acc[x] * inv;
        }
        if (lse != null) {
            lse[lo + i] = max + (float) Math.log(l);
        }
    }

    /**
     * {@code s[so + u] = VectorMath.sumLanes(lanes, u V)} for u < 4, bit for bit (the same pairwise halving),
     * with the four halvings interleaved so that their additions overlap instead of waiting on each other.
     */
    private static void sumLanes4(float[] lanes, float[] s, int so) {
        for (int h = V / 2; h >= 1; h /= 2) {
            for (int i = 0; i < h; i++) {
                lanes[i] += lanes[i + h];
                lanes[V + i] += lanes[V + i + h];
                lanes[2 * V + i] += lanes[2 * V + i + h];
                lanes[3 * V + i] += lanes[3 * V + i + h];
            }
        }
        s[so] = lanes[0];
        s[so + 1] = lanes[V];
        s[so + 2] = lanes[2 * V];
        s[so + 3] = lanes[3 * V];
    }

    /**
     * {@code lanes[u V ..+ V] = sum over x < dv (step V) of q[qi + x ..] * k[ko + u ks + x ..]}, u < 4: the
     * lane-wise partial dot products of one query row with four key rows {@code ks} apart ({@code dv} a
     * multiple of V).
     */
    private static void dots4(int dv, float[] q, int qi, float[] k, int ko, int ks, float[] lanes) {
        FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S);
        FloatVector a3 = FloatVector.zero(S);
        for (int x = 0; x < dv; x += V) {
            FloatVector qv = FloatVector.fromArray(S, q, qi + x);
            a0 = FloatVector.fromArray(S, k, ko + x).fma(qv, a0);
            a1 = FloatVector.fromArray(S, k, ko + ks + x).fma(qv, a1);
            a2 = FloatVector.fromArray(S, k, ko + 2 * ks + x).fma(qv, a2);
            a3 = FloatVector.fromArray(S, k, ko + 3 * ks + x).fma(qv, a3);
        }
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, V);
        a2.intoArray(lanes, 2 * V);
        a3.intoArray(lanes, 3 * V);
    }

    private static void scaleRow(float[] a, int off, int n, float alpha) {
        for (int x = 0; x < n; x += V) {
            FloatVector.fromArray(S, a, off + x).mul(alpha).intoArray(a, off + x);
        }
    }

    /**
     * Scales the transposed raw scores of a tile ({@code sT[c * rt + r]}, key c, query row r), adds the mask
     * and hides causally later keys with {@code -inf}. Padding lanes ({@code r >= rows}) stay finite.
     */
    private static void finishScoresT(int i0, int rows, int rt, int j0, int nc, int tk, float[] mask, int mo,
                                      boolean causal, float scale, float[] sT) {
        if (mask == null) {
            for (int e = 0; e < nc * rt; e += V) {
                FloatVector.fromArray(S, sT, e).mul(scale).intoArray(sT, e);
            }
        } else {
            for (int c = 0; c < nc; c++) {
                int base = mo + i0 * tk + j0 + c;
                for (int r = 0; r < rows; r++) {
                    sT[c * rt + r] = sT[c * rt + r] * scale + mask[base + r * tk];
                }
            }
        }
        if (causal) {
            for (int c = Math.max(0, i0 + 1 - j0); c < nc; c++) { // key j0 + c is hidden from rows i < j0 + c
                Arrays.fill(sT, c * rt, c * rt + Math.min(rows, j0 + c - i0), Float.NEGATIVE_INFINITY);
            }
        }
    }

    /**
     * The online softmax over one tile of transposed scores, lanes = query rows: with {@code st} holding
     * the running maximum {@code m} ({@code [0, rt)}) and sum {@code l} ({@code [rt, 2 rt)}), replaces the
     * scores by {@code exp(s - m_new)}, sets {@code l = l alpha + sum_c exp(...)} and writes
     * {@code alpha = exp(m - m_new)} to {@code [2 rt, 3 rt)}. A row that has seen no key yet
     * ({@code m_new = -inf}) shifts by 0 ({@code [3 rt, 4 rt)}), so its weights, sum and alpha are 0. The old
     * maximum goes through row {@code nc} of {@code sT} so that one exp pass covers it.
     *
     * <p>The tile's maximum and sum are kept in {@code st} ({@code [3 rt, 4 rt)}, {@code [4 rt, 5 rt)}), not
     * in vector variables carried around a loop as receivers ({@code max = max.max(x)}): C2 may type such a
     * loop variable as a plain FloatVector, and then cannot bind the call statically, cannot intrinsify it and
     * boxes every iteration (19 MB per forward of a GPT's attention, T = 128 x 64 problems, when it did). The
     * micro-kernels carry their sums as arguments ({@code b.fma(x, sum)}), whose receiver is a fresh vector.
     */
    private static void onlineSoftmaxT(int nc, int rt, float[] sT, float[] st) {
        int mx = 3 * rt, sum = 4 * rt;
        System.arraycopy(sT, 0, st, mx, rt);
        for (int c = 1; c < nc; c++) {
            for (int r = 0; r < rt; r += V) {
                FloatVector.fromArray(S, st, mx + r).max(FloatVector.fromArray(S, sT, c * rt + r)).intoArray(st, mx + r);
            }
        }
        for (int r = 0; r < rt; r += V) {
            FloatVector mOld = FloatVector.fromArray(S, st, r);
            FloatVector mNew = mOld.max(FloatVector.fromArray(S, st, mx + r));
            mOld.intoArray(sT, nc * rt + r);
            mNew.intoArray(st, r);
            mNew.blend(0f, mNew.compare(VectorOperators.EQ, Float.NEGATIVE_INFINITY)).intoArray(st, mx + r);
        }
        expTile(sT, 0, nc + 1, rt, rt, 1f, 0f, st, mx);
        System.arraycopy(sT, 0, st, sum, rt);
        for (int c = 1; c < nc; c++) {
            for (int r = 0; r < rt; r += V) {
                FloatVector.fromArray(S, st, sum + r).add(FloatVector.fromArray(S, sT, c * rt + r)).intoArray(st, sum + r);
            }
        }
        for (int r = 0; r < rt; r += V) {
            FloatVector alpha = FloatVector.fromArray(S, sT, nc * rt + r);
            FloatVector.fromArray(S, st, rt + r).mul(alpha).add(FloatVector.fromArray(S, st, sum + r))
                    .intoArray(st, rt + r);
            alpha.intoArray(st, 2 * rt + r);
        }
    }

    private static final float EXP_MIN = -103.97208f; // ln(2^-150): below it e^x rounds to zero
    private static final float EXP_MAX = 88.72283f; // the largest float whose e^x is finite
    private static final float LOG2E = 1.442695041f;
    private static final float ROUNDER = 12582912f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;

    /**
     * {@code a[e] = exp(a[e] * mul - shift_j)} over {@code count} rows ({@code e = off + c * stride + j},
     * {@code j < width}, a multiple of V), with {@code shift_j = sh[so + j]}, or the scalar {@code shift} when
     * {@code sh} is null. The same algorithm as {@link VectorMath#exp} (bit for bit), written out here because
     * a call to it is not always inlined: once C2 has compiled {@code VectorMath.exp} on its own it refuses to
     * inline it ("already compiled into a medium method") and every vector crossing the call is boxed (one
     * polluted warm-up made the forward allocate 0.9 MB a call).
     */
    private static void expTile(float[] a, int off, int count, int stride, int width, float mul, float shift,
                                float[] sh, int so) {
        for (int c = 0; c < count; c++) {
            int base = off + c * stride;
            for (int j = 0; j < width; j += V) {
                FloatVector x = FloatVector.fromArray(S, a, base + j).mul(mul);
                x = sh == null ? x.sub(shift) : x.sub(FloatVector.fromArray(S, sh, so + j));
                FloatVector cx = x.max(EXP_MIN).min(EXP_MAX);
                FloatVector n = cx.fma(FloatVector.broadcast(S, LOG2E), FloatVector.broadcast(S, ROUNDER)).sub(ROUNDER);
                FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), cx);
                r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
                FloatVector p = r.fma(1f / 5040, 1f / 720);
                p = p.fma(r, FloatVector.broadcast(S, 1f / 120));
                p = p.fma(r, FloatVector.broadcast(S, 1f / 24));
                p = p.fma(r, FloatVector.broadcast(S, 1f / 6));
                p = p.fma(r, FloatVector.broadcast(S, 0.5f));
                p = p.fma(r, FloatVector.broadcast(S, 1f));
                p = p.fma(r, FloatVector.broadcast(S, 1f));
                IntVector ni = (IntVector) n.convert(VectorOperators.F2I, 0);
                IntVector half = ni.lanewise(VectorOperators.ASHR, 1);
                FloatVector scale1 = half.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
                FloatVector scale2 = ni.sub(half).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
                FloatVector result = p.mul(scale1).mul(scale2);
                result = result.blend(0f, x.compare(VectorOperators.LT, EXP_MIN));
                result.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, EXP_MAX)).intoArray(a, base + j);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // Backward

    /** {@code D_i = sum(dOut_i * out_i)}, in double (as the scalar twin). */
    private static float rowDot(int i, int d, float[] out, int oo, float[] dOut, int dOo) {
        double dot = 0;
        for (int x = 0; x < d; x++) {
            dot += (double) dOut[dOo + i * d + x] * out[oo + i * d + x];
        }
        return (float) dot;
    }

    /**
     * dQ, dK and dV of one problem ({@code tq} queries, {@code tk} keys): for each key tile in order, for each
     * query tile in order, {@code S = Q K^T}, {@code dP = dOut V^T}, the weights {@code P = exp(S - lse)} and
     * {@code dS}, then {@code dV += P^T dOut}, {@code dK += dS^T Q} and {@code dQ += dS K}. Arguments as
     * {@link ScalarAttention#backwardQuery} and {@link ScalarAttention#backwardKey} together.
     */
    public static void backward(int tq, int tk, int d, float[] q, int qo, float[] k, int ko, float[] v, int vo,
                                float[] mask, int mo, boolean causal, float scale,
                                int key0, int key1, int threshold, float keepScale,
                                float[] out, int oo, float[] lse, int lo, float[] dOut, int dOo,
                                float[] dq, int dqo, float[] dk, int dko, float[] dv, int dvo) {
        int dp = padded(d);
        boolean direct = d == dp; // rows of Q, dOut and K are whole vectors: read them in place
        Scratch sc = SCRATCH.get();
        float[] di = sc.a = Scratch.fit(sc.a, tq);
        float[] dqAcc = sc.b = Scratch.fit(sc.b, tq * dp);
        float[] kT = sc.c = Scratch.fit(sc.c, d * TILE);
        float[] vT = sc.e = Scratch.fit(sc.e, d * TILE);
        float[] p = sc.f = Scratch.fit(sc.f, TILE * TILE);
        float[] ds = sc.g = Scratch.fit(sc.g, TILE * TILE);
        float[] dkAcc = sc.h = Scratch.fit(sc.h, TILE * dp);
        float[] dvAcc = sc.r = Scratch.fit(sc.r, TILE * dp);
        float[] fr = sc.w = Scratch.fit(sc.w, TILE);
        float[] kb = k, qb = q, gb = dOut;
        if (!direct) {
            kb = sc.x = Scratch.fit(sc.x, TILE * dp);
            qb = sc.y = Scratch.fit(sc.y, TILE * dp);
            gb = sc.z = Scratch.fit(sc.z, TILE * dp);
        }
        for (int i = 0; i < tq; i++) {
            di[i] = rowDot(i, d, out, oo, dOut, dOo);
        }
        Arrays.fill(dqAcc, 0, tq * dp, 0f);
        for (int j0 = 0; j0 < tk; j0 += TILE) {
            int nc = Math.min(tk, j0 + TILE) - j0, wc = padded(nc);
            transpose(nc, wc, d, k, ko + j0 * d, kT, TILE);
            transpose(nc, wc, d, v, vo + j0 * d, vT, TILE);
            int kbo = ko + j0 * d, ldk = d;
            if (!direct) {
                copyRows(nc, d, dp, k, kbo, kb);
                kbo = 0;
                ldk = dp;
            }
            Arrays.fill(dkAcc, 0, nc * dp, 0f);
            Arrays.fill(dvAcc, 0, nc * dp, 0f);
            for (int a0 = causal ? j0 : 0; a0 < tq; a0 += TILE) {
                int rows = Math.min(tq, a0 + TILE) - a0;
                Arrays.fill(p, 0, rows * TILE, 0f);
                Arrays.fill(ds, 0, rows * TILE, 0f);
                mm(rows, wc, d, q, qo + a0 * d, d, 1, kT, 0, TILE, p, 0, TILE); // S = Q K^T
                mm(rows, wc, d, dOut, dOo + a0 * d, d, 1, vT, 0, TILE, ds, 0, TILE); // dP = dOut V^T
                for (int r = 0; r < rows; r++) {
                    int i = a0 + r;
                    weightsRow(i, j0, nc, wc, tk, mask, mo, causal, scale, key0, key1, threshold, keepScale,
                            lse[lo + i], di[i], p, ds, r * TILE, fr);
                }
                int qbo = qo + a0 * d, gbo = dOo + a0 * d, ldq = d;
                if (!direct) {
                    copyRows(rows, d, dp, q, qbo, qb);
                    copyRows(rows, d, dp, dOut, gbo, gb);
                    qbo = 0;
                    gbo = 0;
                    ldq = dp;
                }
                mm(nc, dp, rows, p, 0, 1, TILE, gb, gbo, ldq, dvAcc, 0, dp); // dV += P^T dOut
                mm(nc, dp, rows, ds, 0, 1, TILE, qb, qbo, ldq, dkAcc, 0, dp); // dK += dS^T Q
                mm(rows, dp, nc, ds, 0, TILE, 1, kb, kbo, ldk, dqAcc, a0 * dp, dp); // dQ += dS K
            }
            for (int c = 0; c < nc; c++) {
                System.arraycopy(dkAcc, c * dp, dk, dko + (j0 + c) * d, d);
                System.arraycopy(dvAcc, c * dp, dv, dvo + (j0 + c) * d, d);
            }
        }
        for (int i = 0; i < tq; i++) {
            System.arraycopy(dqAcc, i * dp, dq, dqo + i * d, d);
        }
    }

    /**
     * Turns row {@code i}'s raw scores {@code p[po ..+ wc]} and {@code dP = dOut_i V^T} ({@code ds[po ..]}) of
     * key tile {@code j0} into the dropped weights {@code P f} and {@code dS = P (dP f - D_i) scale}, zero for
     * causally hidden keys, the padding, and a row that saw no key.
     */
    private static void weightsRow(int i, int j0, int nc, int wc, int tk, float[] mask, int mo, boolean causal,
                                   float scale, int key0, int key1, int threshold, float keepScale, float rowLse,
                                   float di, float[] p, float[] ds, int po, float[] fr) {
        if (rowLse == Float.NEGATIVE_INFINITY) {
            Arrays.fill(p, po, po + wc, 0f); // the row saw no key: weights 0
            Arrays.fill(ds, po, po + wc, 0f);
            return;
        }
        int visible = causal ? Math.max(0, Math.min(nc, i - j0 + 1)) : nc;
        float mul = scale;
        if (mask != null) {
            int base = mo + i * tk + j0;
            for (int c = 0; c < nc; c++) {
                p[po + c] = p[po + c] * scale + mask[base + c];
            }
            mul = 1f;
        }
        expTile(p, po, 1, 0, wc, mul, rowLse, null, 0);
        Arrays.fill(p, po + visible, po + wc, 0f);
        if (threshold != 0) {
            for (int c = 0; c < nc; c++) {
                float f = ScalarAttention.keep(key0, key1, threshold, keepScale, i, j0 + c, tk);
                fr[c] = f;
                ds[po + c] *= f;
            }
        }
        for (int c = 0; c < wc; c += V) {
            FloatVector w = FloatVector.fromArray(S, p, po + c);
            FloatVector.fromArray(S, ds, po + c).sub(di).mul(w).mul(scale).intoArray(ds, po + c);
        }
        if (threshold != 0) {
            for (int c = 0; c < nc; c++) {
                p[po + c] *= fr[c]; // dV takes the dropped weights
            }
        }
    }
}
