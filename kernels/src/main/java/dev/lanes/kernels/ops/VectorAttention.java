package dev.lanes.kernels.ops;

import static dev.lanes.kernels.Attention.TILE;
import static dev.lanes.kernels.internal.VectorMath.S;

import dev.lanes.kernels.internal.VectorMath;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * Fused attention tiles with the Vector API. Each task copies its tiles into scratch: query, upstream
 * gradient and value rows padded to {@code dp} (a whole number of vectors), and keys (and, in the backward,
 * values) transposed to {@code d x TILE}, so that every inner loop is a broadcast multiply-add over a
 * contiguous, padded run: scores over the keys of a tile, outputs and gradients over {@code d}. No
 * vector crosses a method boundary (a vector passed to a method C2 does not inline is boxed); the helpers
 * take arrays and offsets. Twins: {@link ScalarAttention}, whose arguments these share.
 */
public final class VectorAttention {
    private static final int V = S.length();

    private VectorAttention() {}

    private static int padded(int n) {
        return (n + V - 1) / V * V;
    }

    private static int keyEnd(int i1, int tk, boolean causal) {
        return causal ? Math.min(tk, i1) : tk;
    }

    /** Copies {@code n} rows of {@code d} floats to rows of {@code dp} (the padding stays as it is: zero). */
    private static void copyRows(int n, int d, float[] src, int so, float[] dst, int dp) {
        for (int r = 0; r < n; r++) {
            System.arraycopy(src, so + r * d, dst, r * dp, d);
        }
    }

    /** Transposes {@code n <= TILE} rows of {@code d} floats into {@code dst[x * TILE + c]}, zeroing columns n..wc. */
    private static void transpose(int n, int wc, int d, float[] src, int so, float[] dst) {
        for (int c = 0; c < n; c++) {
            for (int x = 0; x < d; x++) {
                dst[x * TILE + c] = src[so + c * d + x];
            }
        }
        for (int x = 0; x < d; x++) {
            Arrays.fill(dst, x * TILE + n, x * TILE + wc, 0f);
        }
    }

    /** {@code s[so + c] = sum_x a[ao + x] * bt[x * TILE + c]} for {@code c < wc} (a multiple of V). */
    private static void rowTimesTile(int d, float[] a, int ao, float[] bt, int wc, float[] s, int so) {
        for (int c = 0; c < wc; c += V) {
            FloatVector acc = FloatVector.zero(S);
            for (int x = 0; x < d; x++) {
                acc = FloatVector.broadcast(S, a[ao + x]).fma(FloatVector.fromArray(S, bt, x * TILE + c), acc);
            }
            acc.intoArray(s, so + c);
        }
    }

    /** Scales a row of raw scores, adds the mask, hides causally later keys and the padding with -inf. */
    private static void finishScores(int i, int j0, int nc, int wc, int tk, float[] mask, int mo, boolean causal,
                                     float scale, float[] s, int so) {
        for (int c = 0; c < nc; c++) {
            s[so + c] *= scale;
        }
        if (mask != null) {
            int base = mo + i * tk + j0;
            for (int c = 0; c < nc; c++) {
                s[so + c] += mask[base + c];
            }
        }
        int visible = causal ? Math.max(0, Math.min(nc, i - j0 + 1)) : nc;
        Arrays.fill(s, so + visible, so + wc, Float.NEGATIVE_INFINITY);
    }

    /**
     * {@code s = exp(s - shift)} over {@code wc} values (a multiple of V); returns their sum, reduced through
     * {@code lanes} (V floats of scratch) because a vector passed to an out-of-line sumLanes would be boxed.
     */
    private static float expShift(float[] s, int so, int wc, float shift, float[] lanes) {
        FloatVector sum = FloatVector.zero(S);
        for (int c = 0; c < wc; c += V) {
            FloatVector p = VectorMath.exp(FloatVector.fromArray(S, s, so + c).sub(shift));
            p.intoArray(s, so + c);
            sum = sum.add(p);
        }
        sum.intoArray(lanes, 0);
        return VectorMath.sumLanes(lanes, 0);
    }

    /** Multiplies {@code s[so + c]} by the dropout factor of weight {@code (i, j0 + c)}, {@code c < nc}. */
    private static void dropout(int i, int j0, int nc, int tk, int key0, int key1, int threshold, float keepScale,
                                float[] s, int so) {
        if (threshold != 0) {
            for (int c = 0; c < nc; c++) {
                s[so + c] *= ScalarAttention.keep(key0, key1, threshold, keepScale, i, j0 + c, tk);
            }
        }
    }

    /** {@code ds = p * (dp - di) * scale} over {@code wc} values; {@code p} in {@code s}, {@code dp} in {@code g}. */
    private static void dScores(float[] s, int so, float[] g, int go, int wc, float di, float scale,
                                float[] ds, int dso) {
        for (int c = 0; c < wc; c += V) {
            FloatVector p = FloatVector.fromArray(S, s, so + c);
            FloatVector.fromArray(S, g, go + c).sub(di).mul(p).mul(scale).intoArray(ds, dso + c);
        }
    }

    /**
     * {@code acc[ao ..+ dp] = alpha * acc + sum_t w[wo + t * ws] * rows[ro + t * rs ..+ dp]} for
     * {@code t < n}: one accumulator vector per chunk of {@code dp}, kept in a register over {@code t}.
     */
    private static void accumulate(float[] acc, int ao, int dp, float alpha, int n, float[] w, int wo, int ws,
                                   float[] rows, int ro, int rs) {
        for (int x = 0; x < dp; x += V) {
            FloatVector a = FloatVector.fromArray(S, acc, ao + x).mul(alpha);
            for (int t = 0; t < n; t++) {
                a = FloatVector.broadcast(S, w[wo + t * ws]).fma(FloatVector.fromArray(S, rows, ro + t * rs + x), a);
            }
            a.intoArray(acc, ao + x);
        }
    }

    /** Forward of query rows {@code i0..i1}; see {@link ScalarAttention#forward}. */
    public static void forward(int i0, int i1, int tk, int d, float[] q, int qo, float[] k, int ko, float[] v, int vo,
                               float[] mask, int mo, boolean causal, float scale,
                               int key0, int key1, int threshold, float keepScale, float[] out, int oo,
                               float[] lse, int lo) {
        int rows = i1 - i0, dp = padded(d);
        float[] qt = new float[rows * dp];
        float[] kt = new float[d * TILE];
        float[] vt = new float[TILE * dp];
        float[] s = new float[TILE];
        float[] lanes = new float[V];
        float[] acc = new float[rows * dp];
        float[] m = new float[rows];
        float[] l = new float[rows];
        Arrays.fill(m, Float.NEGATIVE_INFINITY);
        copyRows(rows, d, q, qo + i0 * d, qt, dp);
        int jEnd = keyEnd(i1, tk, causal);
        for (int j0 = 0; j0 < jEnd; j0 += TILE) {
            int nc = Math.min(jEnd, j0 + TILE) - j0, wc = padded(nc);
            transpose(nc, wc, d, k, ko + j0 * d, kt);
            copyRows(nc, d, v, vo + j0 * d, vt, dp);
            for (int r = 0; r < rows; r++) {
                int i = i0 + r;
                rowTimesTile(d, qt, r * dp, kt, wc, s, 0);
                finishScores(i, j0, nc, wc, tk, mask, mo, causal, scale, s, 0);
                float max = Float.NEGATIVE_INFINITY;
                for (int c = 0; c < nc; c++) {
                    max = Math.max(max, s[c]);
                }
                float mNew = Math.max(m[r], max);
                if (mNew == Float.NEGATIVE_INFINITY) {
                    continue; // no key seen yet: nothing to add
                }
                float alpha = (float) Math.exp((double) m[r] - mNew);
                float sum = expShift(s, 0, wc, mNew, lanes);
                l[r] = l[r] * alpha + sum; // the sum of undropped weights: dropout comes after the softmax
                m[r] = mNew;
                dropout(i, j0, nc, tk, key0, key1, threshold, keepScale, s, 0);
                accumulate(acc, r * dp, dp, alpha, nc, s, 0, 1, vt, 0, dp);
            }
        }
        for (int r = 0; r < rows; r++) {
            int i = i0 + r;
            boolean empty = l[r] == 0;
            float inv = 1f / l[r];
            for (int x = 0; x < d; x++) {
                out[oo + i * d + x] = empty ? 0f : acc[r * dp + x] * inv;
            }
            if (lse != null) {
                lse[lo + i] = empty ? Float.NEGATIVE_INFINITY : m[r] + (float) Math.log(l[r]);
            }
        }
    }

    /** {@code D_i = sum(dOut_i * out_i)}, in double so that both backward passes agree exactly. */
    private static float rowDot(int i, int d, float[] out, int oo, float[] dOut, int dOo) {
        double dot = 0;
        for (int x = 0; x < d; x++) {
            dot += (double) dOut[dOo + i * d + x] * out[oo + i * d + x];
        }
        return (float) dot;
    }

    /** dQ of query rows {@code i0..i1}; see {@link ScalarAttention#backwardQuery}. */
    public static void backwardQuery(int i0, int i1, int tk, int d, float[] q, int qo, float[] k, int ko,
                                     float[] v, int vo, float[] mask, int mo, boolean causal, float scale,
                                     int key0, int key1, int threshold, float keepScale,
                                     float[] out, int oo, float[] lse, int lo, float[] dOut, int dOo,
                                     float[] dq, int dqo) {
        int rows = i1 - i0, dp = padded(d);
        float[] qt = new float[rows * dp];
        float[] gt = new float[rows * dp];
        float[] kt = new float[d * TILE];
        float[] vtT = new float[d * TILE];
        float[] kr = new float[TILE * dp];
        float[] s = new float[TILE];
        float[] g = new float[TILE];
        float[] lanes = new float[V];
        float[] acc = new float[rows * dp];
        float[] di = new float[rows];
        copyRows(rows, d, q, qo + i0 * d, qt, dp);
        copyRows(rows, d, dOut, dOo + i0 * d, gt, dp);
        for (int r = 0; r < rows; r++) {
            di[r] = rowDot(i0 + r, d, out, oo, dOut, dOo);
        }
        int jEnd = keyEnd(i1, tk, causal);
        for (int j0 = 0; j0 < jEnd; j0 += TILE) {
            int nc = Math.min(jEnd, j0 + TILE) - j0, wc = padded(nc);
            transpose(nc, wc, d, k, ko + j0 * d, kt);
            transpose(nc, wc, d, v, vo + j0 * d, vtT);
            copyRows(nc, d, k, ko + j0 * d, kr, dp);
            for (int r = 0; r < rows; r++) {
                int i = i0 + r;
                float rowLse = lse[lo + i];
                if (rowLse == Float.NEGATIVE_INFINITY) {
                    continue; // the row saw no key: its weights and gradient are 0
                }
                rowTimesTile(d, qt, r * dp, kt, wc, s, 0);
                finishScores(i, j0, nc, wc, tk, mask, mo, causal, scale, s, 0);
                expShift(s, 0, wc, rowLse, lanes);
                rowTimesTile(d, gt, r * dp, vtT, wc, g, 0);
                dropout(i, j0, nc, tk, key0, key1, threshold, keepScale, g, 0);
                dScores(s, 0, g, 0, wc, di[r], scale, s, 0);
                accumulate(acc, r * dp, dp, 1f, nc, s, 0, 1, kr, 0, dp);
            }
        }
        for (int r = 0; r < rows; r++) {
            System.arraycopy(acc, r * dp, dq, dqo + (i0 + r) * d, d);
        }
    }

    /** dK and dV of key rows {@code j0..j1}; see {@link ScalarAttention#backwardKey}. */
    public static void backwardKey(int j0, int j1, int tq, int tk, int d, float[] q, int qo, float[] k, int ko,
                                   float[] v, int vo, float[] mask, int mo, boolean causal, float scale,
                                   int key0, int key1, int threshold, float keepScale,
                                   float[] out, int oo, float[] lse, int lo, float[] dOut, int dOo,
                                   float[] dk, int dko, float[] dv, int dvo) {
        int nc = j1 - j0, wc = padded(nc), dp = padded(d);
        float[] kt = new float[d * TILE];
        float[] vtT = new float[d * TILE];
        float[] qt = new float[TILE * dp];
        float[] gt = new float[TILE * dp];
        float[] p = new float[TILE * TILE];
        float[] ds = new float[TILE * TILE];
        float[] g = new float[TILE];
        float[] lanes = new float[V];
        float[] accK = new float[nc * dp];
        float[] accV = new float[nc * dp];
        transpose(nc, wc, d, k, ko + j0 * d, kt);
        transpose(nc, wc, d, v, vo + j0 * d, vtT);
        for (int a0 = causal ? j0 : 0; a0 < tq; a0 += TILE) {
            int rows = Math.min(tq, a0 + TILE) - a0;
            copyRows(rows, d, q, qo + a0 * d, qt, dp);
            copyRows(rows, d, dOut, dOo + a0 * d, gt, dp);
            for (int r = 0; r < rows; r++) {
                int i = a0 + r;
                float rowLse = lse[lo + i];
                if (rowLse == Float.NEGATIVE_INFINITY) {
                    Arrays.fill(p, r * TILE, r * TILE + wc, 0f); // the row saw no key: weights 0
                    Arrays.fill(ds, r * TILE, r * TILE + wc, 0f);
                    continue;
                }
                rowTimesTile(d, qt, r * dp, kt, wc, p, r * TILE);
                finishScores(i, j0, nc, wc, tk, mask, mo, causal, scale, p, r * TILE);
                expShift(p, r * TILE, wc, rowLse, lanes);
                rowTimesTile(d, gt, r * dp, vtT, wc, g, 0);
                dropout(i, j0, nc, tk, key0, key1, threshold, keepScale, g, 0);
                dScores(p, r * TILE, g, 0, wc, rowDot(i, d, out, oo, dOut, dOo), scale, ds, r * TILE);
                dropout(i, j0, nc, tk, key0, key1, threshold, keepScale, p, r * TILE); // dV takes dropped weights
            }
            for (int c = 0; c < nc; c++) {
                accumulate(accV, c * dp, dp, 1f, rows, p, c, TILE, gt, 0, dp);
                accumulate(accK, c * dp, dp, 1f, rows, ds, c, TILE, qt, 0, dp);
            }
        }
        for (int c = 0; c < nc; c++) {
            System.arraycopy(accK, c * dp, dk, dko + (j0 + c) * d, d);
            System.arraycopy(accV, c * dp, dv, dvo + (j0 + c) * d, d);
        }
    }
}
