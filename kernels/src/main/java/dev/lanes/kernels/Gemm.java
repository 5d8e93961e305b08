package dev.lanes.kernels;

import dev.lanes.kernels.gemm.GemmBackend;
import dev.lanes.kernels.internal.KernelProvider;

/**
 * Single-precision matrix multiplication, row-major, with the semantics of CBLAS ({@code CblasRowMajor}).
 *
 * <p>{@code C[m x n] = alpha * op(A) * op(B) + beta * C}, where {@code op(A)} is {@code m x k} (A is stored
 * {@code m x k}, or {@code k x m} when {@code transA}) and {@code op(B)} is {@code k x n} (B stored
 * {@code k x n}, or {@code n x k} when {@code transB}). Every matrix is addressed by an array, an offset and a
 * leading dimension (the distance between the starts of two stored rows), so any slice of any buffer works.
 *
 * <ul>
 *   <li>{@code beta == 0}: C is only written, never read; NaN or garbage in it does not reach the result.</li>
 *   <li>{@code alpha == 0} or {@code k == 0}: A and B are not read; {@code C = beta * C}.</li>
 *   <li>{@code m == 0} or {@code n == 0}: nothing happens (after the arguments are checked).</li>
 *   <li>Invalid arguments throw {@link IllegalArgumentException} naming the parameter, before anything is
 *       written (like BLAS's xerbla).</li>
 *   <li>The result has the same bits whatever {@link Threads#count()} is.</li>
 * </ul>
 *
 * Shapes with {@code m == 1} or {@code n == 1} run on matrix-vector kernels; everything else on a packed,
 * cache-blocked micro-kernel engine (see {@code docs/gemm.md}). Without the Vector API, every call runs on
 * the scalar twin.
 */
public final class Gemm {
    private static final GemmBackend BACKEND = KernelProvider.get().gemm();

    private Gemm() {}

    /** The implementation in use, e.g. {@code "vector (256-bit, micro-kernel 4x16)"} or {@code "scalar"}. */
    public static String implementation() {
        return BACKEND.name();
    }

    /** {@code C = A * B} for contiguous row-major {@code A (m x k)}, {@code B (k x n)}, {@code C (m x n)}. */
    public static void sgemm(int m, int n, int k, float[] a, float[] b, float[] c) {
        sgemm(false, false, m, n, k, 1f, a, 0, Math.max(1, k), b, 0, Math.max(1, n), 0f, c, 0, Math.max(1, n));
    }

    /** {@code C = alpha * op(A) * op(B) + beta * C}; see the class comment for every rule. */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k,
                             float alpha, float[] a, int aOff, int lda,
                             float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        checkGemm("sgemm", transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        multiply(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc,
                null, 0, Activation.IDENTITY);
    }

    /**
     * {@code C = act(alpha * op(A) * op(B) + beta * C + bias)}, with {@code bias} (length {@code n} from
     * {@code biasOff}, or null for none) added to every row. Bias and activation are applied to each tile as
     * it is finished, so a Linear layer's forward is one pass over C: {@code sgemmFused(false, true, batch,
     * out, in, 1, x, 0, in, weight, 0, in, 0, y, 0, out, bias, 0, Activation.RELU)} is PyTorch's
     * {@code relu(x @ weight.T + bias)}.
     */
    public static void sgemmFused(boolean transA, boolean transB, int m, int n, int k,
                                  float alpha, float[] a, int aOff, int lda,
                                  float[] b, int bOff, int ldb,
                                  float beta, float[] c, int cOff, int ldc,
                                  float[] bias, int biasOff, Activation activation) {
        checkGemm("sgemmFused", transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        if (activation == null) {
            throw new IllegalArgumentException("Gemm.sgemmFused: activation is null (use Activation.IDENTITY)");
        }
        if (bias != null) {
            checkExtent("sgemmFused", "bias", bias, "biasOff", biasOff, 1, n, n, "the bias, a row of n");
        } else if (biasOff < 0) {
            throw new IllegalArgumentException("Gemm.sgemmFused: biasOff = " + biasOff + " is negative");
        }
        multiply(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc,
                bias, biasOff, activation);
    }

    /**
     * {@code batchCount} independent products of the same shape:
     * {@code C_i = alpha * op(A_i) * op(B_i) + beta * C_i} where matrix {@code i} of A starts at
     * {@code aOff + i * strideA}, and likewise for B and C (cuBLAS's {@code gemmStridedBatched}). A stride of
     * 0 reuses one matrix for every product (e.g. shared weights). C matrices must not overlap.
     */
    public static void sgemmStridedBatched(boolean transA, boolean transB, int m, int n, int k,
                                           float alpha, float[] a, int aOff, int lda, int strideA,
                                           float[] b, int bOff, int ldb, int strideB,
                                           float beta, float[] c, int cOff, int ldc, int strideC,
                                           int batchCount) {
        String routine = "sgemmStridedBatched";
        if (batchCount < 0) {
            throw new IllegalArgumentException("Gemm." + routine + ": batchCount = " + batchCount + " is negative");
        }
        checkNonNegative(routine, "strideA", strideA);
        checkNonNegative(routine, "strideB", strideB);
        checkNonNegative(routine, "strideC", strideC);
        checkGemm(routine, transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        if (batchCount == 0) {
            return;
        }
        long lastA = aOff + (long) (batchCount - 1) * strideA;
        long lastB = bOff + (long) (batchCount - 1) * strideB;
        long lastC = cOff + (long) (batchCount - 1) * strideC;
        // The last matrix of each operand must fit too (the first was checked above).
        checkGemm("sgemmStridedBatched (last batch)", transA, transB, m, n, k,
                a, toIndex(routine, "strideA", lastA), lda, b, toIndex(routine, "strideB", lastB), ldb,
                c, toIndex(routine, "strideC", lastC), ldc);
        if (batchCount > 1 && m > 0 && n > 0 && strideC < (long) (m - 1) * ldc + n) {
            throw new IllegalArgumentException("Gemm." + routine + ": strideC = " + strideC
                    + " is smaller than one C matrix (" + ((long) (m - 1) * ldc + n)
                    + " floats for m = " + m + ", n = " + n + ", ldc = " + ldc + "), so the products would overlap");
        }
        if (m == 0 || n == 0) {
            return;
        }
        // Many small products: one thread per product. Few large ones: each product uses all threads.
        // Either way each product's bits are the same.
        if (batchCount >= Threads.count()) {
            Threads.parallelFor(batchCount, i -> multiply(transA, transB, m, n, k,
                    alpha, a, aOff + i * strideA, lda, b, bOff + i * strideB, ldb,
                    beta, c, cOff + i * strideC, ldc, null, 0, Activation.IDENTITY));
        } else {
            for (int i = 0; i < batchCount; i++) {
                multiply(transA, transB, m, n, k, alpha, a, aOff + i * strideA, lda, b, bOff + i * strideB, ldb,
                        beta, c, cOff + i * strideC, ldc, null, 0, Activation.IDENTITY);
            }
        }
    }

    /**
     * A matrix {@code op(B)} ({@code k x n}) packed once into the layout the GEMM engine reads, for many
     * products {@link #sgemmPacked} with different left operands: the weights of a recurrent layer, multiplied
     * by a new hidden state at every time step, are then not repacked at every step. A snapshot: changing the
     * source array afterwards does not change it. Only {@link #packB(boolean, int, int, float[], int, int, PackedB)}
     * rewrites one (the contents of its storage); otherwise it is immutable, so threads may share it. The fields
     * stay final so that a pack handed to another thread without synchronization is still seen whole.
     */
    public static final class PackedB {
        private final int k, n;
        private final float[] data;

        private PackedB(int k, int n, float[] data) {
            this.k = k;
            this.n = n;
            this.data = data;
        }

        /** Rows of op(B): the depth of the products. */
        public int k() {
            return k;
        }

        /** Columns of op(B) and of the products. */
        public int n() {
            return n;
        }
    }

    /**
     * Packs {@code op(B)} ({@code k x n}; B stored {@code k x n}, or {@code n x k} when {@code transB}) for
     * {@link #sgemmPacked}. Costs one pass over B and {@code k * n} floats (rounded up to whole micro-panels).
     */
    public static PackedB packB(boolean transB, int k, int n, float[] b, int bOff, int ldb) {
        String routine = "packB";
        checkNonNegative(routine, "k", k);
        checkNonNegative(routine, "n", n);
        int bRows = transB ? n : k, bCols = transB ? k : n;
        String bShape = transB ? "B stored n x k" : "B stored k x n";
        checkLeadingDimension(routine, "ldb", ldb, bRows, bCols, bShape);
        checkExtent(routine, "b", b, "bOff", bOff, bRows, bCols, ldb, bShape);
        float[] data = k == 0 || n == 0 ? new float[0] : BACKEND.packB(transB, k, n, b, bOff, ldb, null);
        return new PackedB(k, n, data);
    }

    /**
     * {@link #packB(boolean, int, int, float[], int, int)} into the storage of an earlier pack {@code into} of
     * the same shape ({@code k x n}), which is overwritten and returned: a caller that repacks changing weights
     * (one pack per call of a generation loop) then allocates nothing. {@code into} must not be in use by
     * another thread meanwhile.
     */
    public static PackedB packB(boolean transB, int k, int n, float[] b, int bOff, int ldb, PackedB into) {
        String routine = "packB";
        if (into == null) {
            throw new IllegalArgumentException("Gemm.packB: into is null");
        }
        checkNonNegative(routine, "k", k);
        checkNonNegative(routine, "n", n);
        if (into.k != k || into.n != n) {
            throw new IllegalArgumentException("Gemm.packB: into is " + into.k + " x " + into.n
                    + " but k x n = " + k + " x " + n);
        }
        int bRows = transB ? n : k, bCols = transB ? k : n;
        String bShape = transB ? "B stored n x k" : "B stored k x n";
        checkLeadingDimension(routine, "ldb", ldb, bRows, bCols, bShape);
        checkExtent(routine, "b", b, "bOff", bOff, bRows, bCols, ldb, bShape);
        if (k != 0 && n != 0) {
            // The packed size depends on k and n only, so the backend always writes into into.data.
            float[] data = BACKEND.packB(transB, k, n, b, bOff, ldb, into.data);
            if (data != into.data) {
                throw new IllegalStateException("Gemm.packB: the backend did not reuse the pack's storage");
            }
        }
        return into;
    }

    /**
     * {@code C = alpha * A * B + beta * C + bias} for row-major {@code A (m x k)} and {@code B} packed by
     * {@link #packB} ({@code k x n}); {@code bias} (length {@code n} from {@code biasOff}) may be null. The
     * rules of {@link #sgemm} apply ({@code beta == 0} does not read C, results do not depend on the thread
     * count); for {@code m, n >= 2} the bits are those of {@code sgemm} on the unpacked B. One row
     * ({@code m = 1}) is a matrix-vector product in the "axpy form" over the k-major panels, with no per-output
     * lane sums: for a fixed matrix multiplied by one vector at a time (batch-1 generation) it is about twice
     * {@link #sgemv}'s speed on rows of a few hundred floats, once the packing is paid.
     */
    public static void sgemmPacked(int m, float alpha, float[] a, int aOff, int lda, PackedB b,
                                   float beta, float[] c, int cOff, int ldc, float[] bias, int biasOff) {
        String routine = "sgemmPacked";
        if (b == null) {
            throw new IllegalArgumentException("Gemm.sgemmPacked: b is null");
        }
        int n = b.n, k = b.k;
        checkNonNegative(routine, "m", m);
        checkLeadingDimension(routine, "lda", lda, m, k, "A stored m x k");
        checkLeadingDimension(routine, "ldc", ldc, m, n, "C stored m x n");
        checkExtent(routine, "a", a, "aOff", aOff, m, k, lda, "A stored m x k");
        checkExtent(routine, "c", c, "cOff", cOff, m, n, ldc, "C stored m x n");
        if (bias != null) {
            checkExtent(routine, "bias", bias, "biasOff", biasOff, 1, n, n, "the bias, a row of n");
        } else if (biasOff < 0) {
            throw new IllegalArgumentException("Gemm.sgemmPacked: biasOff = " + biasOff + " is negative");
        }
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0 || alpha == 0f) { // B is not read: the general path's handling of C and the bias
            multiply(false, false, m, n, k, alpha, a, aOff, lda, b.data, 0, Math.max(1, n), beta, c, cOff, ldc,
                    bias, biasOff, Activation.IDENTITY);
            return;
        }
        BACKEND.gemmPacked(m, n, k, alpha, a, aOff, lda, b.data, beta, c, cOff, ldc, bias, biasOff);
    }

    /**
     * Matrix-vector product (BLAS sgemv, row-major): for A stored {@code m x n},
     * {@code y = alpha * A * x + beta * y} ({@code x} has n elements, {@code y} has m) or, when {@code trans},
     * {@code y = alpha * A^T * x + beta * y} ({@code x} has m elements, {@code y} has n). {@code incx} and
     * {@code incy} are the distances between consecutive elements and must be positive.
     */
    public static void sgemv(boolean trans, int m, int n, float alpha, float[] a, int aOff, int lda,
                             float[] x, int xOff, int incx, float beta, float[] y, int yOff, int incy) {
        String routine = "sgemv";
        checkNonNegative(routine, "m", m);
        checkNonNegative(routine, "n", n);
        checkLeadingDimension(routine, "lda", lda, m, n, "A stored m x n");
        checkExtent(routine, "a", a, "aOff", aOff, m, n, lda, "A stored m x n");
        if (incx < 1) {
            throw new IllegalArgumentException("Gemm.sgemv: incx = " + incx + " must be >= 1");
        }
        if (incy < 1) {
            throw new IllegalArgumentException("Gemm.sgemv: incy = " + incy + " must be >= 1");
        }
        int xLen = trans ? m : n;
        int yLen = trans ? n : m;
        checkExtent(routine, "x", x, "xOff", xOff, xLen, 1, incx, "x, a vector with increment incx");
        checkExtent(routine, "y", y, "yOff", yOff, yLen, 1, incy, "y, a vector with increment incy");
        if (yLen == 0) {
            return;
        }
        if (xLen == 0 || alpha == 0f) {
            for (int i = 0; i < yLen; i++) {
                int at = yOff + i * incy;
                y[at] = beta == 0f ? 0f : beta * y[at];
            }
            return;
        }
        float[] xs = x;
        int xsOff = xOff;
        if (incx != 1) {
            xs = gather(x, xOff, incx, xLen);
            xsOff = 0;
        }
        if (incy == 1) {
            BACKEND.gemv(trans, m, n, alpha, a, aOff, lda, xs, xsOff, beta, y, yOff);
        } else {
            float[] ys = beta == 0f ? new float[yLen] : gather(y, yOff, incy, yLen);
            BACKEND.gemv(trans, m, n, alpha, a, aOff, lda, xs, xsOff, beta, ys, 0);
            scatter(ys, y, yOff, incy);
        }
    }

    // ------------------------------------------------------------------------------------------ dispatch

    /** Arguments are valid: routes to the matrix-vector kernels or the packed engine. */
    private static void multiply(boolean transA, boolean transB, int m, int n, int k,
                                 float alpha, float[] a, int aOff, int lda,
                                 float[] b, int bOff, int ldb,
                                 float beta, float[] c, int cOff, int ldc,
                                 float[] bias, int biasOff, Activation act) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0 || alpha == 0f) {
            for (int i = 0; i < m; i++) {
                int row = cOff + i * ldc;
                for (int j = 0; j < n; j++) {
                    c[row + j] = beta == 0f ? 0f : beta * c[row + j];
                }
                BACKEND.biasActivation(c, row, n, bias, biasOff, act);
            }
            return;
        }
        if (m == 1) {
            // One row of C: y = alpha * x op(B) + beta * y, with x the one row of op(A).
            float[] x = a;
            int xOff = aOff;
            if (transA && lda != 1) { // A stored k x 1: the row of op(A) is a column with stride lda
                x = gather(a, aOff, lda, k);
                xOff = 0;
            }
            if (transB) { // B stored n x k: y_j = dot(B[j, :], x)
                BACKEND.gemv(false, n, k, alpha, b, bOff, ldb, x, xOff, beta, c, cOff);
            } else {      // B stored k x n: y = sum_p x_p B[p, :]
                BACKEND.gemv(true, k, n, alpha, b, bOff, ldb, x, xOff, beta, c, cOff);
            }
            BACKEND.biasActivation(c, cOff, n, bias, biasOff, act);
            return;
        }
        if (n == 1) {
            // One column of C: y = alpha * op(A) x + beta * y, with x the one column of op(B).
            float[] x = b;
            int xOff = bOff;
            if (!transB && ldb != 1) { // B stored k x 1: the column is strided by ldb
                x = gather(b, bOff, ldb, k);
                xOff = 0;
            }
            boolean contiguous = ldc == 1 && bias == null && act == Activation.IDENTITY;
            float[] y = contiguous ? c : (beta == 0f ? new float[m] : gather(c, cOff, ldc, m));
            int yOff = contiguous ? cOff : 0;
            if (transA) { // A stored k x m
                BACKEND.gemv(true, k, m, alpha, a, aOff, lda, x, xOff, beta, y, yOff);
            } else {      // A stored m x k
                BACKEND.gemv(false, m, k, alpha, a, aOff, lda, x, xOff, beta, y, yOff);
            }
            if (!contiguous) {
                if (bias != null) {
                    for (int i = 0; i < m; i++) {
                        y[i] += bias[biasOff]; // the one column's bias, added to every row
                    }
                }
                BACKEND.biasActivation(y, 0, m, null, 0, act);
                scatter(y, c, cOff, ldc);
            }
            return;
        }
        BACKEND.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc,
                bias, biasOff, act);
    }

    private static float[] gather(float[] src, int off, int stride, int len) {
        float[] out = new float[len];
        for (int i = 0; i < len; i++) {
            out[i] = src[off + i * stride];
        }
        return out;
    }

    private static void scatter(float[] src, float[] dst, int off, int stride) {
        for (int i = 0; i < src.length; i++) {
            dst[off + i * stride] = src[i];
        }
    }

    // -------------------------------------------------------------------------------- argument checks

    private static void checkGemm(String routine, boolean transA, boolean transB, int m, int n, int k,
                                  float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                  float[] c, int cOff, int ldc) {
        checkNonNegative(routine, "m", m);
        checkNonNegative(routine, "n", n);
        checkNonNegative(routine, "k", k);
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        String aShape = transA ? "A stored k x m" : "A stored m x k";
        String bShape = transB ? "B stored n x k" : "B stored k x n";
        checkLeadingDimension(routine, "lda", lda, aRows, aCols, aShape);
        checkLeadingDimension(routine, "ldb", ldb, bRows, bCols, bShape);
        checkLeadingDimension(routine, "ldc", ldc, m, n, "C stored m x n");
        checkExtent(routine, "a", a, "aOff", aOff, aRows, aCols, lda, aShape);
        checkExtent(routine, "b", b, "bOff", bOff, bRows, bCols, ldb, bShape);
        checkExtent(routine, "c", c, "cOff", cOff, m, n, ldc, "C stored m x n");
    }

    private static void checkNonNegative(String routine, String name, int value) {
        if (value < 0) {
            throw new IllegalArgumentException("Gemm." + routine + ": " + name + " = " + value + " is negative");
        }
    }

    /** Checks {@code ld >= max(1, cols)}; {@code what} names the layout, e.g. "A stored m x k". */
    private static void checkLeadingDimension(String routine, String name, int ld, int rows, int cols, String what) {
        if (ld < Math.max(1, cols)) {
            throw new IllegalArgumentException("Gemm." + routine + ": " + name + " = " + ld + " must be >= max(1, "
                    + cols + "), the row length of " + what + " = " + rows + " x " + cols);
        }
    }

    /**
     * Checks that {@code rows x cols} floats with row stride {@code ld} from {@code off} fit in {@code array}.
     * The message is only built when the check fails, so valid calls allocate nothing here.
     */
    private static void checkExtent(String routine, String arrayName, float[] array, String offName, int off,
                                    int rows, int cols, int ld, String what) {
        if (array == null) {
            throw new IllegalArgumentException("Gemm." + routine + ": " + arrayName + " is null");
        }
        if (off < 0) {
            throw new IllegalArgumentException("Gemm." + routine + ": " + offName + " = " + off + " is negative");
        }
        if (rows == 0 || cols == 0) {
            return;
        }
        long needed = off + (long) (rows - 1) * ld + cols;
        if (needed > array.length) {
            throw new IllegalArgumentException("Gemm." + routine + ": " + arrayName + " is too short: " + what
                    + " = " + rows + " x " + cols + " with row stride " + ld + " from " + offName + " = " + off
                    + " needs " + needed + " floats, " + arrayName + ".length = " + array.length);
        }
    }

    private static int toIndex(String routine, String strideName, long index) {
        if (index > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("Gemm." + routine + ": " + strideName
                    + " puts the last batch at index " + index + ", past any Java array");
        }
        return (int) index;
    }
}
