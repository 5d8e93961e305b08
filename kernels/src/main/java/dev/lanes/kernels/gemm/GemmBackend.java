package dev.lanes.kernels.gemm;

import dev.lanes.kernels.Activation;

/**
 * One implementation of the GEMM family: the scalar twin ({@link ScalarGemm}) or the Vector API engine
 * ({@code VectorGemm}). {@link dev.lanes.kernels.Gemm} validates every argument, handles the empty and
 * {@code alpha == 0} cases, and then calls exactly one backend, chosen once at class initialisation.
 *
 * <p>Contract shared by all methods: arguments are valid, sizes are at least 1, {@code beta == 0} means the
 * output is not read, and the result bits do not depend on {@link dev.lanes.kernels.Threads#count()}.
 */
public interface GemmBackend {

    /** A short name for logs and benchmark reports. */
    String name();

    /**
     * {@code C = act(alpha * op(A) * op(B) + beta * C + bias)}, row-major, {@code m, n, k >= 1}.
     * {@code bias} (length {@code n} from {@code biasOff}) may be null; {@code act} is never null.
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k,
              float alpha, float[] a, int aOff, int lda,
              float[] b, int bOff, int ldb,
              float beta, float[] c, int cOff, int ldc,
              float[] bias, int biasOff, Activation act);

    /**
     * Matrix-vector product with contiguous vectors: for {@code A} stored {@code rows x cols} (row-major,
     * leading dimension {@code lda}), {@code y = alpha * A * x + beta * y} ({@code y} has {@code rows}
     * elements) or, when {@code trans}, {@code y = alpha * A^T * x + beta * y} ({@code y} has {@code cols}).
     */
    void gemv(boolean trans, int rows, int cols, float alpha, float[] a, int aOff, int lda,
              float[] x, int xOff, float beta, float[] y, int yOff);

    /** {@code v[i] = act(v[i] + bias[i])} for {@code len} elements; {@code bias} may be null. */
    void biasActivation(float[] v, int off, int len, float[] bias, int biasOff, Activation act);

    /**
     * op(B) ({@code k x n}, B stored {@code n x k} when {@code transB}) in the form {@link #gemmPacked} reads;
     * {@code k, n >= 1}. The result is a copy: later changes to {@code b} do not reach it. Written into
     * {@code into} (every element) when it is non-null and came from this method with the same {@code k, n};
     * else into a new array.
     */
    float[] packB(boolean transB, int k, int n, float[] b, int bOff, int ldb, float[] into);

    /**
     * {@code C = alpha * A * B + beta * C + bias} for row-major {@code A (m x k)} and B packed by
     * {@link #packB} with the same {@code k, n}; {@code m, n, k >= 1}, {@code bias} may be null.
     */
    void gemmPacked(int m, int n, int k, float alpha, float[] a, int aOff, int lda, float[] packed,
                    float beta, float[] c, int cOff, int ldc, float[] bias, int biasOff);
}
