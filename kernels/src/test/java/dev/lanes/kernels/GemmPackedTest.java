package dev.lanes.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link Gemm#packB} and {@link Gemm#sgemmPacked} against {@link Gemm#sgemm} on the unpacked matrix: the
 * same bits for {@code m >= 2} (the same tasks and micro-kernel calls), on shapes that cross the depth
 * block ({@code k} 1 to 700), odd column counts, both layouts of B, offsets, {@code beta} 0 and not, with
 * and without a bias, on 1 and 2 threads; {@code m = 1} (its own axpy-form path), {@code k = 0} and
 * {@code alpha = 0} against a double reference; argument checks.
 */
class GemmPackedTest {
    private static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    @Test
    void packedProductsHaveTheBitsOfSgemm() {
        Random r = new Random(1);
        int[][] shapes = {{2, 3, 1}, {7, 33, 17}, {32, 1024, 256}, {32, 256, 1024}, {9, 70, 700}, {33, 65, 300}};
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            for (boolean transB : new boolean[] {false, true}) {
                for (float beta : new float[] {0f, 0.5f}) {
                    for (boolean withBias : new boolean[] {false, true}) {
                        int lda = k + 3, ldb = (transB ? k : n) + 2, ldc = n + 1, off = 4;
                        float[] a = random(r, off + m * lda), b = random(r, off + (transB ? n : k) * ldb);
                        float[] c0 = random(r, off + m * ldc), bias = withBias ? random(r, n + 2) : null;
                        float[] want = c0.clone();
                        Gemm.sgemmFused(false, transB, m, n, k, 0.75f, a, off, lda, b, off, ldb, beta, want, off, ldc,
                                bias, 1, Activation.IDENTITY);
                        Gemm.PackedB packed = Gemm.packB(transB, k, n, b, off, ldb);
                        Arrays.fill(b, Float.NaN); // a snapshot: the source is not read again
                        for (int threads : new int[] {1, 2}) {
                            float[] got = c0.clone();
                            KernelTesting.withThreads(threads, () -> Gemm.sgemmPacked(m, 0.75f, a, off, lda, packed,
                                    beta, got, off, ldc, bias, 1));
                            KernelTesting.assertSameBits("m=" + m + " n=" + n + " k=" + k + " transB=" + transB
                                    + " beta=" + beta + " bias=" + withBias + " threads=" + threads, want, got);
                        }
                    }
                }
            }
        }
    }

    @Test
    void oneRowNoDepthAndZeroAlphaMatchTheReference() {
        Random r = new Random(2);
        for (int[] s : new int[][] {{1, 40, 13}, {3, 5, 0}, {2, 6, 4}}) {
            int m = s[0], n = s[1], k = s[2];
            float alpha = s[0] == 2 ? 0f : 1.5f;
            float[] a = random(r, m * k), b = random(r, k * n), c = random(r, m * n), bias = random(r, n);
            float[] got = c.clone();
            Gemm.sgemmPacked(m, alpha, a, 0, Math.max(1, k), Gemm.packB(false, k, n, b, 0, Math.max(1, n)), 0.5f,
                    got, 0, n, bias, 0);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = 0;
                    for (int p = 0; p < k; p++) {
                        sum += (double) a[i * k + p] * b[p * n + j];
                    }
                    double want = alpha * sum + 0.5 * c[i * n + j] + bias[j];
                    assertEquals(want, got[i * n + j], 1e-4 * (1 + Math.abs(want)), "m=" + m + " k=" + k + " [" + i + "," + j + "]");
                }
            }
        }
    }

    /**
     * One row (the batch-1 matrix-vector path, which runs the packed panels in the axpy form): shapes with
     * whole groups of four micro-panels plus leftovers and partial panels, depth across the depth block,
     * both layouts of B, offsets, alpha, beta and bias, against a double reference; the same bits on 1 and 2
     * threads and the padding around C untouched.
     */
    @Test
    void oneRowProductsMatchTheReference() {
        Random r = new Random(3);
        int[][] shapes = {{1, 1}, {5, 3}, {33, 17}, {161, 256}, {256, 1024}, {1024, 256}, {129, 700}, {300, 513}};
        for (int[] s : shapes) {
            int n = s[0], k = s[1];
            for (boolean transB : new boolean[] {false, true}) {
                for (float beta : new float[] {0f, 1f, 0.5f}) {
                    for (boolean withBias : new boolean[] {false, true}) {
                        int ldb = (transB ? k : n) + 3, off = 5;
                        float alpha = beta == 0.5f ? -0.75f : 1f;
                        float[] x = random(r, off + k), b = random(r, off + (transB ? n : k) * ldb);
                        float[] c0 = random(r, off + n + 2), bias = withBias ? random(r, n + 2) : null;
                        Gemm.PackedB packed = Gemm.packB(transB, k, n, b, off, ldb);
                        double[] want = new double[n], tol = new double[n];
                        for (int j = 0; j < n; j++) {
                            double sum = 0, mag = 0;
                            for (int p = 0; p < k; p++) {
                                double bv = transB ? b[off + j * ldb + p] : b[off + p * ldb + j];
                                sum += x[off + p] * bv;
                                mag += Math.abs(x[off + p] * bv);
                            }
                            want[j] = alpha * sum + beta * c0[off + j] + (withBias ? bias[1 + j] : 0);
                            tol[j] = 1e-5 * (1 + mag + Math.abs(c0[off + j]));
                        }
                        float[] first = null;
                        for (int threads : new int[] {1, 2}) {
                            float[] got = c0.clone();
                            KernelTesting.withThreads(threads, () -> Gemm.sgemmPacked(1, alpha, x, off, k, packed,
                                    beta, got, off, n, bias, 1));
                            String where = "n=" + n + " k=" + k + " transB=" + transB + " beta=" + beta + " bias="
                                    + withBias + " threads=" + threads;
                            for (int j = 0; j < n; j++) {
                                assertEquals(want[j], got[off + j], tol[j], where + " [" + j + "]");
                            }
                            for (int i = 0; i < off; i++) {
                                assertEquals(c0[i], got[i], where + " before C");
                            }
                            assertEquals(c0[off + n], got[off + n], where + " after C");
                            if (first == null) {
                                first = got;
                            } else {
                                KernelTesting.assertSameBits(where, first, got);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void repackingIntoAnEarlierPackSeesTheNewMatrixAndReusesIt() {
        Random r = new Random(5);
        int[][] shapes = {{1, 1}, {17, 33}, {256, 768}, {300, 65}};
        for (int[] s : shapes) {
            int k = s[0], n = s[1];
            for (boolean transB : new boolean[] {false, true}) {
                int ldb = transB ? k + 2 : n + 3, rows = transB ? n : k;
                float[] b1 = random(r, 1 + rows * ldb), b2 = random(r, 1 + rows * ldb);
                Gemm.PackedB p = Gemm.packB(transB, k, n, b1, 1, ldb);
                Gemm.PackedB q = Gemm.packB(transB, k, n, b2, 1, ldb, p);
                assertTrue(q == p);
                float[] a = random(r, 3 * k), got = new float[3 * n], want = new float[3 * n];
                Gemm.sgemmPacked(3, 1f, a, 0, k, q, 0f, got, 0, n, null, 0);
                Gemm.sgemmPacked(3, 1f, a, 0, k, Gemm.packB(transB, k, n, b2, 1, ldb), 0f, want, 0, n, null, 0);
                assertTrue(Arrays.equals(want, got), k + "x" + n + " transB " + transB);
            }
        }
        Gemm.PackedB p = Gemm.packB(false, 4, 3, new float[12], 0, 3);
        var e = assertThrows(IllegalArgumentException.class, () -> Gemm.packB(false, 4, 2, new float[8], 0, 2, p));
        assertTrue(e.getMessage().contains("Gemm.packB") && e.getMessage().contains("into is 4 x 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Gemm.packB(false, 4, 3, new float[12], 0, 3, null));
        assertTrue(e.getMessage().contains("into is null"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Gemm.packB(false, 4, 3, new float[11], 0, 3, p));
        assertTrue(e.getMessage().contains("b is too short"), e.getMessage());
    }

    @Test
    void badArgumentsAreNamed() {
        Gemm.PackedB p = Gemm.packB(true, 4, 3, new float[12], 0, 4);
        assertEquals(4, p.k());
        assertEquals(3, p.n());
        var e = assertThrows(IllegalArgumentException.class, () -> Gemm.packB(false, 4, 3, new float[11], 0, 3));
        assertTrue(e.getMessage().contains("Gemm.packB") && e.getMessage().contains("b is too short"), e.getMessage());
        float[] c = new float[6];
        e = assertThrows(IllegalArgumentException.class, () -> Gemm.sgemmPacked(2, 1f, new float[7], 0, 4, p, 0f, c, 0, 3, null, 0));
        assertTrue(e.getMessage().contains("a is too short"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Gemm.sgemmPacked(2, 1f, new float[8], 0, 4, p, 0f, c, 0, 2, null, 0));
        assertTrue(e.getMessage().contains("ldc = 2"), e.getMessage());
        assertTrue(Arrays.equals(new float[6], c));
    }
}
