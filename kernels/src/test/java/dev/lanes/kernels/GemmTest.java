package dev.lanes.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.kernels.gemm.GemmCaseAccess;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The public entry points: routing (GEMV shapes, empty shapes, alpha == 0), batching and argument checks. */
class GemmTest {

    @Test
    void workedExample() {
        float[] c = new float[4];
        Gemm.sgemm(2, 2, 2, new float[] {1, 2, 3, 4}, new float[] {5, 6, 7, 8}, c);
        assertArrayEquals(new float[] {19, 22, 43, 50}, c);
    }

    /** m == 1 and n == 1 go to the matrix-vector kernels: every transpose, stride, alpha, beta, epilogue. */
    @Test
    void vectorShapesMatchReference() {
        SplittableRandom random = new SplittableRandom(1);
        int[] lengths = {1, 2, 7, 15, 16, 17, 33, 255, 257, 1000, 4099};
        for (int len : lengths) {
            for (int other : new int[] {1, 3, 65, 1000}) {
                for (int shape = 0; shape < 3; shape++) {
                    int m = shape == 0 ? 1 : len, n = shape == 1 ? 1 : (shape == 2 ? 1 : len);
                    int k = other;
                    if (shape == 2) { // m == n == 1: a dot product of length len
                        m = 1;
                        k = len;
                    }
                    boolean fused = random.nextInt(3) == 0;
                    Activation act = fused ? Activation.values()[random.nextInt(6)] : Activation.IDENTITY;
                    GemmCaseAccess.checkFront(random, random.nextBoolean(), random.nextBoolean(), m, n, k,
                            random.nextBoolean() ? 1f : -0.5f, new float[] {0f, 1f, 0.25f}[random.nextInt(3)],
                            fused, act);
                }
            }
        }
    }

    @Test
    void generalShapesThroughFrontEnd() {
        SplittableRandom random = new SplittableRandom(2);
        for (int i = 0; i < 40; i++) {
            boolean fused = random.nextBoolean();
            GemmCaseAccess.checkFront(random, random.nextBoolean(), random.nextBoolean(),
                    2 + random.nextInt(100), 2 + random.nextInt(100), random.nextInt(100),
                    random.nextBoolean() ? 1f : -0.5f, new float[] {0f, 1f, 0.25f}[random.nextInt(3)],
                    fused, fused ? Activation.values()[random.nextInt(6)] : Activation.IDENTITY);
        }
    }

    @Test
    void shortFormAcceptsEmptyShapes() {
        float[] c = {5, 5};
        Gemm.sgemm(2, 1, 0, new float[0], new float[0], c);
        assertArrayEquals(new float[] {0, 0}, c);
        Gemm.sgemm(2, 0, 3, new float[6], new float[0], c);
        Gemm.sgemm(0, 2, 3, new float[0], new float[6], c);
    }

    @Test
    void kZeroScalesC() {
        float[] c = {1, 2, 3, 4};
        Gemm.sgemm(false, false, 2, 2, 0, 1f, new float[0], 0, 1, new float[0], 0, 2, 0.5f, c, 0, 2);
        assertArrayEquals(new float[] {0.5f, 1, 1.5f, 2}, c);
        float[] nan = {Float.NaN, Float.NaN};
        Gemm.sgemm(false, false, 1, 2, 0, 1f, new float[0], 0, 1, new float[0], 0, 2, 0f, nan, 0, 2);
        assertArrayEquals(new float[] {0, 0}, nan);
    }

    @Test
    void alphaZeroDoesNotReadAOrB() {
        float[] a = {Float.NaN, Float.NaN, Float.NaN, Float.NaN};
        float[] c = {1, 2, 3, 4};
        Gemm.sgemm(false, false, 2, 2, 2, 0f, a, 0, 2, a, 0, 2, 2f, c, 0, 2);
        assertArrayEquals(new float[] {2, 4, 6, 8}, c);
        float[] fused = {1, -2};
        Gemm.sgemmFused(false, false, 1, 2, 2, 0f, a, 0, 2, a, 0, 2, 1f, fused, 0, 2,
                new float[] {0.5f, 0.5f}, 0, Activation.RELU);
        assertArrayEquals(new float[] {1.5f, 0f}, fused);
    }

    @Test
    void emptyShapesWriteNothing() {
        float[] c = {7, 7, 7};
        Gemm.sgemm(false, false, 0, 3, 4, 1f, new float[0], 0, 4, new float[12], 0, 3, 0f, c, 0, 3);
        Gemm.sgemm(false, false, 3, 0, 4, 1f, new float[12], 0, 4, new float[0], 0, 1, 0f, c, 0, 1);
        assertArrayEquals(new float[] {7, 7, 7}, c);
    }

    @Test
    void linearLayerForwardIsOneFusedCall() {
        // relu(x @ W.T + b) with x = [[1, 2]], W = [[1, 1], [-1, -1], [2, 0]], b = [0, 1, -1]
        float[] x = {1, 2};
        float[] w = {1, 1, -1, -1, 2, 0};
        float[] y = new float[3];
        Gemm.sgemmFused(false, true, 1, 3, 2, 1f, x, 0, 2, w, 0, 2, 0f, y, 0, 3,
                new float[] {0, 1, -1}, 0, Activation.RELU);
        assertArrayEquals(new float[] {3, 0, 1}, y);
        float[] batch = {1, 2, 3, 4};
        float[] out = new float[6];
        Gemm.sgemmFused(false, true, 2, 3, 2, 1f, batch, 0, 2, w, 0, 2, 0f, out, 0, 3,
                new float[] {0, 1, -1}, 0, Activation.RELU);
        assertArrayEquals(new float[] {3, 0, 1, 7, 0, 5}, out);
    }

    @Test
    void stridedBatchedMatchesSeparateCalls() {
        SplittableRandom random = new SplittableRandom(9);
        int m = 13, n = 17, k = 9, batch = 5;
        int strideA = m * k + 3, strideB = 0, strideC = m * n + 1; // strideB 0: one shared B
        float[] a = filledArray(random, strideA * batch);
        float[] b = filledArray(random, k * n);
        float[] c = filledArray(random, strideC * batch);
        float[] expected = c.clone();
        for (int i = 0; i < batch; i++) {
            Gemm.sgemm(false, false, m, n, k, 1f, a, i * strideA, k, b, 0, n, 0.5f, expected, i * strideC, n);
        }
        try {
            for (int threads : new int[] {1, 2}) {
                Threads.setCount(threads);
                float[] got = c.clone();
                Gemm.sgemmStridedBatched(false, false, m, n, k, 1f, a, 0, k, strideA, b, 0, n, strideB,
                        0.5f, got, 0, n, strideC, batch);
                assertArrayEquals(expected, got, "threads=" + threads);
            }
        } finally {
            Threads.setCount(Runtime.getRuntime().availableProcessors());
        }
    }

    @Test
    void sgemvWithIncrements() {
        SplittableRandom random = new SplittableRandom(4);
        int m = 37, n = 21;
        float[] a = filledArray(random, m * n);
        for (boolean trans : new boolean[] {false, true}) {
            int xLen = trans ? m : n, yLen = trans ? n : m;
            float[] x = filledArray(random, xLen * 3);
            float[] y = filledArray(random, yLen * 2 + 1);
            float[] got = y.clone();
            Gemm.sgemv(trans, m, n, 0.5f, a, 0, n, x, 0, 3, 2f, got, 1, 2);
            for (int i = 0; i < yLen; i++) {
                double sum = 0;
                for (int j = 0; j < xLen; j++) {
                    sum += (double) (trans ? a[j * n + i] : a[i * n + j]) * x[j * 3];
                }
                double want = 0.5 * sum + 2.0 * y[1 + 2 * i];
                assertEquals(want, got[1 + 2 * i], 1e-5 * (1 + Math.abs(want)), "trans=" + trans + " i=" + i);
            }
            for (int i = 0; i < y.length; i += 2) {
                assertEquals(y[i], got[i], "element between the strided ones was written");
            }
        }
    }

    @Test
    void badArgumentsAreRejectedBeforeWriting() {
        float[] a = new float[6], b = new float[6], c = {9, 9, 9, 9};
        float[] before = c.clone();
        // (message fragment, call)
        expectBad("m = -1", () -> Gemm.sgemm(false, false, -1, 2, 2, 1f, a, 0, 2, b, 0, 2, 0f, c, 0, 2));
        expectBad("n = -1", () -> Gemm.sgemm(false, false, 2, -1, 2, 1f, a, 0, 2, b, 0, 2, 0f, c, 0, 2));
        expectBad("k = -3", () -> Gemm.sgemm(false, false, 2, 2, -3, 1f, a, 0, 2, b, 0, 2, 0f, c, 0, 2));
        expectBad("lda = 1", () -> Gemm.sgemm(false, false, 2, 2, 2, 1f, a, 0, 1, b, 0, 2, 0f, c, 0, 2));
        expectBad("lda = 2", () -> Gemm.sgemm(true, false, 3, 1, 2, 1f, a, 0, 2, b, 0, 1, 0f, c, 0, 1));
        expectBad("ldb = 1", () -> Gemm.sgemm(false, true, 2, 2, 2, 1f, a, 0, 2, b, 0, 1, 0f, c, 0, 2));
        expectBad("ldc = 1", () -> Gemm.sgemm(false, false, 2, 2, 2, 1f, a, 0, 2, b, 0, 2, 0f, c, 0, 1));
        expectBad("ldc = 0", () -> Gemm.sgemm(false, false, 0, 0, 0, 1f, a, 0, 1, b, 0, 1, 0f, c, 0, 0));
        expectBad("a is null", () -> Gemm.sgemm(false, false, 2, 2, 2, 1f, null, 0, 2, b, 0, 2, 0f, c, 0, 2));
        expectBad("b is null", () -> Gemm.sgemm(false, false, 2, 2, 2, 1f, a, 0, 2, null, 0, 2, 0f, c, 0, 2));
        expectBad("c is null", () -> Gemm.sgemm(false, false, 2, 2, 2, 1f, a, 0, 2, b, 0, 2, 0f, null, 0, 2));
        expectBad("aOff = -1", () -> Gemm.sgemm(false, false, 2, 2, 2, 1f, a, -1, 2, b, 0, 2, 0f, c, 0, 2));
        expectBad("a is too short", () -> Gemm.sgemm(false, false, 2, 2, 2, 1f, a, 3, 2, b, 0, 2, 0f, c, 0, 2));
        expectBad("b is too short", () -> Gemm.sgemm(false, false, 2, 3, 2, 1f, a, 0, 2, b, 1, 3, 0f, c, 0, 3));
        expectBad("c is too short", () -> Gemm.sgemm(false, false, 2, 2, 2, 1f, a, 0, 2, b, 0, 2, 0f, c, 1, 2));
        expectBad("c is too short", () -> Gemm.sgemm(false, false, 2, 2, 2, 1f, a, 0, 2, b, 0, 2, 0f, c, 0, 3));
        expectBad("bias is too short", () -> Gemm.sgemmFused(false, false, 2, 2, 2, 1f, a, 0, 2, b, 0, 2, 0f,
                c, 0, 2, new float[1], 0, Activation.RELU));
        expectBad("activation is null", () -> Gemm.sgemmFused(false, false, 2, 2, 2, 1f, a, 0, 2, b, 0, 2, 0f,
                c, 0, 2, null, 0, null));
        expectBad("batchCount = -1", () -> Gemm.sgemmStridedBatched(false, false, 2, 2, 2, 1f, a, 0, 2, 0,
                b, 0, 2, 0, 0f, c, 0, 2, 4, -1));
        float[] batchC = {9, 9, 9, 9, 9, 9, 9, 9};
        expectBad("strideC = 2", () -> Gemm.sgemmStridedBatched(false, false, 2, 2, 1, 1f, a, 0, 1, 0,
                b, 0, 2, 0, 0f, batchC, 0, 2, 2, 2));
        expectBad("a is too short", () -> Gemm.sgemmStridedBatched(false, false, 2, 2, 2, 1f, a, 0, 2, 4,
                b, 0, 2, 0, 0f, batchC, 0, 2, 4, 2));
        assertArrayEquals(new float[] {9, 9, 9, 9, 9, 9, 9, 9}, batchC, "a rejected batched call wrote to C");
        expectBad("incx = 0", () -> Gemm.sgemv(false, 2, 2, 1f, a, 0, 2, b, 0, 0, 0f, c, 0, 1));
        expectBad("y is too short", () -> Gemm.sgemv(false, 2, 2, 1f, a, 0, 2, b, 0, 1, 0f, c, 0, 4));
        assertArrayEquals(before, c, "a rejected call wrote to C");
    }

    private static void expectBad(String fragment, Runnable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' lacks '" + fragment + "'");
    }

    private static float[] filledArray(SplittableRandom random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return x;
    }
}
