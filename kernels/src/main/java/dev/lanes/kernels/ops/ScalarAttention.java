package dev.lanes.kernels.ops;

import static dev.lanes.kernels.Attention.TILE;

/**
 * Scalar twins of {@link VectorAttention}: the same tiles and online softmax in plain loops, dot products
 * and row sums in double. Offsets point at one problem's {@code Q}, {@code K}, {@code V}, mask (row stride
 * {@code tk}) and logsumexp; {@code i0..i1} are query rows, {@code j0..j1} key rows of that problem.
 */
public final class ScalarAttention {
    private ScalarAttention() {}

    /** The scaled, masked score of query {@code i} against key {@code j}; {@code -inf} when causally hidden. */
    private static float score(int i, int j, int tk, int d, float[] q, int qo, float[] k, int ko, float[] mask, int mo,
                               boolean causal, float scale) {
        if (causal && j > i) {
            return Float.NEGATIVE_INFINITY;
        }
        double dot = 0;
        for (int x = 0; x < d; x++) {
            dot += (double) q[qo + i * d + x] * k[ko + j * d + x];
        }
        float s = (float) dot * scale;
        return mask == null ? s : s + mask[mo + i * tk + j];
    }

    /**
     * The dropout factor of attention weight {@code (i, j)} of a problem: {@code keepScale} when kept, 0 when
     * dropped (the hash of {@code i * tk + j} with the problem's keys, see {@link DropoutHash}); 1 without
     * dropout ({@code threshold = 0}).
     */
    static float keep(int key0, int key1, int threshold, float keepScale, int i, int j, int tk) {
        if (threshold == 0) {
            return 1f;
        }
        return DropoutHash.uniform24(key0, key1, i * tk + j) >= threshold ? keepScale : 0f;
    }

    /** Keys query rows {@code < i1} can see: all, or with {@code causal} those up to {@code i1 - 1}. */
    private static int keyEnd(int i1, int tk, boolean causal) {
        return causal ? Math.min(tk, i1) : tk;
    }

    /** Forward of query rows {@code i0..i1}: their output rows and logsumexps. */
    public static void forward(int i0, int i1, int tk, int d, float[] q, int qo, float[] k, int ko, float[] v, int vo,
                               float[] mask, int mo, boolean causal, float scale,
                               int key0, int key1, int threshold, float keepScale, float[] out, int oo,
                               float[] lse, int lo) {
        int rows = i1 - i0;
        float[] s = new float[TILE];
        double[] acc = new double[rows * d];
        float[] m = new float[rows];
        double[] l = new double[rows];
        java.util.Arrays.fill(m, Float.NEGATIVE_INFINITY);
        int jEnd = keyEnd(i1, tk, causal);
        for (int j0 = 0; j0 < jEnd; j0 += TILE) {
            int nc = Math.min(jEnd, j0 + TILE) - j0;
            for (int r = 0; r < rows; r++) {
                int i = i0 + r;
                float max = Float.NEGATIVE_INFINITY;
                for (int c = 0; c < nc; c++) {
                    s[c] = score(i, j0 + c, tk, d, q, qo, k, ko, mask, mo, causal, scale);
                    max = Math.max(max, s[c]);
                }
                float mNew = Math.max(m[r], max);
                if (mNew == Float.NEGATIVE_INFINITY) {
                    continue; // no key seen yet: nothing to add
                }
                double alpha = Math.exp((double) m[r] - mNew);
                double sum = 0;
                for (int x = 0; x < d; x++) {
                    acc[r * d + x] *= alpha;
                }
                for (int c = 0; c < nc; c++) {
                    double p = Math.exp((double) s[c] - mNew);
                    sum += p;
                    p *= keep(key0, key1, threshold, keepScale, i, j0 + c, tk); // the sum l is of undropped weights
                    for (int x = 0; x < d; x++) {
                        acc[r * d + x] += p * v[vo + (j0 + c) * d + x];
                    }
                }
                l[r] = l[r] * alpha + sum;
                m[r] = mNew;
            }
        }
        for (int r = 0; r < rows; r++) {
            int i = i0 + r;
            boolean empty = l[r] == 0;
            for (int x = 0; x < d; x++) {
                out[oo + i * d + x] = empty ? 0f : (float) (acc[r * d + x] / l[r]);
            }
            if (lse != null) {
                lse[lo + i] = empty ? Float.NEGATIVE_INFINITY : (float) (m[r] + Math.log(l[r]));
            }
        }
    }

    /** {@code D_i = sum(dOut_i * out_i)} for query rows {@code i0..i1}. */
    private static double[] rowDots(int i0, int i1, int d, float[] out, int oo, float[] dOut, int dOo) {
        double[] di = new double[i1 - i0];
        for (int i = i0; i < i1; i++) {
            double dot = 0;
            for (int x = 0; x < d; x++) {
                dot += (double) dOut[dOo + i * d + x] * out[oo + i * d + x];
            }
            di[i - i0] = dot;
        }
        return di;
    }

    /** The attention weight {@code exp(s - lse)}, 0 for a row that saw no key. */
    private static double weight(float s, float lse) {
        return lse == Float.NEGATIVE_INFINITY ? 0 : Math.exp((double) s - lse);
    }

    /** dQ of query rows {@code i0..i1}: {@code dq_i = scale * sum_j P_ij (dOut_i . v_j - D_i) k_j}. */
    public static void backwardQuery(int i0, int i1, int tk, int d, float[] q, int qo, float[] k, int ko,
                                     float[] v, int vo, float[] mask, int mo, boolean causal, float scale,
                                     int key0, int key1, int threshold, float keepScale,
                                     float[] out, int oo, float[] lse, int lo, float[] dOut, int dOo,
                                     float[] dq, int dqo) {
        int rows = i1 - i0;
        double[] di = rowDots(i0, i1, d, out, oo, dOut, dOo);
        double[] acc = new double[rows * d];
        int jEnd = keyEnd(i1, tk, causal);
        for (int j0 = 0; j0 < jEnd; j0 += TILE) {
            int j1 = Math.min(jEnd, j0 + TILE);
            for (int r = 0; r < rows; r++) {
                int i = i0 + r;
                for (int j = j0; j < j1; j++) {
                    double p = weight(score(i, j, tk, d, q, qo, k, ko, mask, mo, causal, scale), lse[lo + i]);
                    if (p == 0) {
                        continue;
                    }
                    double dp = 0;
                    for (int x = 0; x < d; x++) {
                        dp += (double) dOut[dOo + i * d + x] * v[vo + j * d + x];
                    }
                    dp *= keep(key0, key1, threshold, keepScale, i, j, tk);
                    double ds = p * (dp - di[r]) * scale;
                    for (int x = 0; x < d; x++) {
                        acc[r * d + x] += ds * k[ko + j * d + x];
                    }
                }
            }
        }
        for (int r = 0; r < rows * d; r++) {
            dq[dqo + i0 * d + r] = (float) acc[r];
        }
    }

    /**
     * dK and dV of key rows {@code j0..j1}: {@code dv_j = sum_i P_ij dOut_i},
     * {@code dk_j = scale * sum_i P_ij (dOut_i . v_j - D_i) q_i}, over query tiles in order.
     */
    public static void backwardKey(int j0, int j1, int tq, int tk, int d, float[] q, int qo, float[] k, int ko,
                                   float[] v, int vo, float[] mask, int mo, boolean causal, float scale,
                                   int key0, int key1, int threshold, float keepScale,
                                   float[] out, int oo, float[] lse, int lo, float[] dOut, int dOo,
                                   float[] dk, int dko, float[] dv, int dvo) {
        int cols = j1 - j0;
        double[] accK = new double[cols * d], accV = new double[cols * d];
        for (int a0 = causal ? j0 : 0; a0 < tq; a0 += TILE) {
            int a1 = Math.min(tq, a0 + TILE);
            double[] di = rowDots(a0, a1, d, out, oo, dOut, dOo);
            for (int i = a0; i < a1; i++) {
                for (int c = 0; c < cols; c++) {
                    int j = j0 + c;
                    double p = weight(score(i, j, tk, d, q, qo, k, ko, mask, mo, causal, scale), lse[lo + i]);
                    if (p == 0) {
                        continue;
                    }
                    double f = keep(key0, key1, threshold, keepScale, i, j, tk);
                    double dp = 0;
                    for (int x = 0; x < d; x++) {
                        dp += (double) dOut[dOo + i * d + x] * v[vo + j * d + x];
                        accV[c * d + x] += p * f * dOut[dOo + i * d + x];
                    }
                    double ds = p * (dp * f - di[i - a0]) * scale;
                    for (int x = 0; x < d; x++) {
                        accK[c * d + x] += ds * q[qo + i * d + x];
                    }
                }
            }
        }
        for (int e = 0; e < cols * d; e++) {
            dk[dko + j0 * d + e] = (float) accK[e];
            dv[dvo + j0 * d + e] = (float) accV[e];
        }
    }
}
