package dev.lanes.kernels.gemm;

import dev.lanes.kernels.Activation;

/**
 * The scalar twin of the GEMM family: plain loops written to be read, checked (like the vectorized engine)
 * against a double-precision reference, and the implementation used when the Vector API is not available.
 *
 * <p>Each output element is one float sum over {@code p = 0 .. k-1} in order, then
 * {@code act(alpha * sum + beta * c + bias)}; nothing depends on the thread count (it uses one thread).
 */
public final class ScalarGemm implements GemmBackend {

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float alpha, float[] a, int aOff, int lda,
                     float[] b, int bOff, int ldb,
                     float beta, float[] c, int cOff, int ldc,
                     float[] bias, int biasOff, Activation act) {
        float[] row = new float[n]; // one row of op(A) * op(B), accumulated over p
        for (int i = 0; i < m; i++) {
            java.util.Arrays.fill(row, 0f);
            for (int p = 0; p < k; p++) {
                float aip = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                if (transB) {
                    for (int j = 0; j < n; j++) {
                        row[j] += aip * b[bOff + j * ldb + p];
                    }
                } else {
                    int bRow = bOff + p * ldb;
                    for (int j = 0; j < n; j++) {
                        row[j] += aip * b[bRow + j];
                    }
                }
            }
            int cRow = cOff + i * ldc;
            for (int j = 0; j < n; j++) {
                c[cRow + j] = combine(alpha, row[j], beta, c[cRow + j]);
            }
            biasActivation(c, cRow, n, bias, biasOff, act);
        }
    }

    /** The scalar packed form: op(B) copied as a row-major {@code k x n} matrix. */
    @Override
    public float[] packB(boolean transB, int k, int n, float[] b, int bOff, int ldb, float[] into) {
        int size = Math.multiplyExact(k, n);
        float[] packed = into != null && into.length == size ? into : new float[size];
        for (int p = 0; p < k; p++) {
            for (int j = 0; j < n; j++) {
                packed[p * n + j] = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
            }
        }
        return packed;
    }

    @Override
    public void gemmPacked(int m, int n, int k, float alpha, float[] a, int aOff, int lda, float[] packed,
                           float beta, float[] c, int cOff, int ldc, float[] bias, int biasOff) {
        gemm(false, false, m, n, k, alpha, a, aOff, lda, packed, 0, n, beta, c, cOff, ldc, bias, biasOff,
                Activation.IDENTITY);
    }

    @Override
    public void gemv(boolean trans, int rows, int cols, float alpha, float[] a, int aOff, int lda,
                     float[] x, int xOff, float beta, float[] y, int yOff) {
        if (!trans) {
            for (int i = 0; i < rows; i++) {
                float sum = 0f;
                for (int j = 0; j < cols; j++) {
                    sum += a[aOff + i * lda + j] * x[xOff + j];
                }
                y[yOff + i] = combine(alpha, sum, beta, y[yOff + i]);
            }
        } else {
            float[] sums = new float[cols];
            for (int i = 0; i < rows; i++) {
                float xi = x[xOff + i];
                for (int j = 0; j < cols; j++) {
                    sums[j] += xi * a[aOff + i * lda + j];
                }
            }
            for (int j = 0; j < cols; j++) {
                y[yOff + j] = combine(alpha, sums[j], beta, y[yOff + j]);
            }
        }
    }

    @Override
    public void biasActivation(float[] v, int off, int len, float[] bias, int biasOff, Activation act) {
        if (bias == null && act == Activation.IDENTITY) {
            return;
        }
        for (int j = 0; j < len; j++) {
            float s = bias == null ? v[off + j] : v[off + j] + bias[biasOff + j];
            v[off + j] = act.apply(s);
        }
    }

    /** {@code alpha * sum + beta * old}, where {@code beta == 0} ignores {@code old} (it may be NaN). */
    static float combine(float alpha, float sum, float beta, float old) {
        return beta == 0f ? alpha * sum : Math.fma(sum, alpha, beta * old);
    }
}
