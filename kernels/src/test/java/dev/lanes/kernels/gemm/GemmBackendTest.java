package dev.lanes.kernels.gemm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lanes.kernels.Activation;
import dev.lanes.kernels.Threads;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The vectorized engine (every micro-kernel size, default blocking and tiny blocking that forces many
 * edges and k-steps) and the scalar twin against a double-precision reference, on random shapes.
 */
class GemmBackendTest {
    /** The sizes the foundation issue names: edges of every vector and tile width, and a large one. */
    static final int[] SIZES = {0, 1, 2, 3, 7, 15, 16, 17, 31, 33, 63, 65, 127, 129, 255, 257, 1000};
    static final float[] ALPHAS = {1f, -0.5f, 0f};
    static final float[] BETAS = {0f, 1f, 0.25f};

    @AfterEach
    void restoreThreads() {
        Threads.setCount(Runtime.getRuntime().availableProcessors());
    }

    static Stream<GemmBackend> backends() {
        List<GemmBackend> list = new ArrayList<>();
        list.add(new ScalarGemm());
        list.add(new VectorGemm());
        for (int mr : new int[] {4, 6, 8, 12}) {
            // Tiny blocks: many k-steps (beta applied once, then accumulation), many partial tiles.
            list.add(new VectorGemm(new GemmConfig(mr, 5, 3)));
            list.add(new VectorGemm(new GemmConfig(mr, 64, 100)));
        }
        return list.stream();
    }

    /** Every size in every dimension at least once, with the other two random, all flags random. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void everySizeInEveryDimension(GemmBackend backend) {
        SplittableRandom random = new SplittableRandom(42);
        for (int dim = 0; dim < 3; dim++) {
            for (int size : SIZES) {
                int[] mnk = {SIZES[random.nextInt(12)], SIZES[random.nextInt(12)], SIZES[random.nextInt(12)]};
                mnk[dim] = size;
                if (size == 1000 && backend instanceof ScalarGemm) {
                    mnk[(dim + 1) % 3] = Math.min(mnk[(dim + 1) % 3], 33);
                }
                runCase(backend, random, mnk[0], mnk[1], mnk[2]);
            }
        }
    }

    /** Every transpose, alpha and beta combination on shapes with edges in all three dimensions. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void everyTransposeAlphaBeta(GemmBackend backend) {
        SplittableRandom random = new SplittableRandom(7);
        for (boolean transA : new boolean[] {false, true}) {
            for (boolean transB : new boolean[] {false, true}) {
                for (float alpha : ALPHAS) {
                    for (float beta : BETAS) {
                        GemmCase gemm = GemmCase.random(random, transA, transB,
                                2 + random.nextInt(40), 2 + random.nextInt(70), 1 + random.nextInt(300), alpha, beta);
                        gemm.assertMatchesReference(gemm.runOn(backend), backend.name());
                    }
                }
            }
        }
    }

    @Test
    void largeSquareProductsWithEveryTranspose() {
        SplittableRandom random = new SplittableRandom(3);
        GemmBackend vector = new VectorGemm();
        for (boolean transA : new boolean[] {false, true}) {
            for (boolean transB : new boolean[] {false, true}) {
                GemmCase gemm = GemmCase.random(random, transA, transB, 257, 1000, 300, -0.5f, 0.25f);
                gemm.assertMatchesReference(gemm.runOn(vector), "vector");
            }
        }
    }

    /**
     * Transposed A too large to read in place is copied sixteen panels at a time, each depth step's run of a
     * panel as one whole vector, and by plain copies where a whole vector would pass the end of the array:
     * every micro-kernel height (so groups of 16 panels and a shorter last group), with the last panel full
     * (264 rows) and partial (267), A ending a few floats after its last row; a second depth block adds to C.
     */
    @Test
    void largeTransposedAForEveryKernelHeight() {
        SplittableRandom random = new SplittableRandom(13);
        for (int mr : new int[] {4, 6, 8, 12}) {
            GemmBackend backend = new VectorGemm(new GemmConfig(mr, 256, 512));
            for (int m : new int[] {264, 267}) {
                GemmCase gemm = GemmCase.random(random, true, random.nextBoolean(), m, 70, 260, 1f, 0.25f);
                gemm.assertMatchesReference(gemm.runOn(backend), backend.name() + " m=" + m);
            }
            // No slack at all: lda == m and A ends with its last element, so whenever a vector is wider than
            // the panel, the last steps of the last full panels must take the plain copy.
            int m = 264, n = 40, k = 260;
            float[] a = GemmCase.filled(random, k * m), b = GemmCase.filled(random, k * n), c = new float[m * n];
            backend.gemm(true, false, m, n, k, 1f, a, 0, m, b, 0, n, 0f, c, 0, n, null, 0, Activation.IDENTITY);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double want = 0, scale = 0;
                    for (int p = 0; p < k; p++) {
                        want += (double) a[p * m + i] * b[p * n + j];
                        scale += Math.abs((double) a[p * m + i] * b[p * n + j]);
                    }
                    assertEquals(want, c[i * n + j], 1e-5 * scale + 1e-6, backend.name() + " no slack, C(" + i + ", " + j + ")");
                }
            }
        }
    }

    /**
     * Transposed A copied in groups of panels, on random shapes: every kernel height, depth blocks of 7 and 64
     * (many short and partial blocks), A with and without slack after its last element, lda > m, offsets,
     * and 1 and 2 threads (a row split starts a task's groups at i0 > 0), same bits on both.
     */
    @Test
    void transposedAInGroupsOnRandomShapes() {
        SplittableRandom random = new SplittableRandom(17);
        int[] mrs = {4, 6, 8, 12};
        for (int t = 0; t < 24; t++) {
            int mr = mrs[t % 4], kc = t % 8 < 4 ? 7 : 64;
            int m = 1 + random.nextInt(600), k = 1 + random.nextInt(700), n = 1 + random.nextInt(70);
            int lda = m + (random.nextBoolean() ? 0 : random.nextInt(6)), aOff = random.nextInt(8);
            int aLength = aOff + (k - 1) * lda + m + (random.nextInt(3) == 0 ? random.nextInt(20) : 0);
            float[] a = GemmCase.filled(random, aLength), b = GemmCase.filled(random, k * n);
            float[] c = GemmCase.filled(random, m * n);
            float alpha = random.nextBoolean() ? 1f : -0.5f, beta = random.nextBoolean() ? 1f : 0.25f;
            GemmBackend backend = new VectorGemm(new GemmConfig(mr, kc, 100));
            String what = backend.name() + " kc=" + kc + " m=" + m + " n=" + n + " k=" + k + " lda=" + lda
                    + " aOff=" + aOff + " a.length=" + aLength;
            float[][] out = new float[2][];
            for (int threads = 1; threads <= 2; threads++) {
                Threads.setCount(threads);
                out[threads - 1] = c.clone();
                backend.gemm(true, false, m, n, k, alpha, a, aOff, lda, b, 0, n, beta, out[threads - 1], 0, n,
                        null, 0, Activation.IDENTITY);
            }
            assertArrayEquals(out[0], out[1], "1 vs 2 threads, " + what);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double want = 0, scale = 0;
                    for (int p = 0; p < k; p++) {
                        double x = (double) a[aOff + p * lda + i] * b[p * n + j];
                        want += x;
                        scale += Math.abs(x);
                    }
                    want = alpha * want + beta * c[i * n + j];
                    scale = Math.abs(alpha) * scale + Math.abs(beta * c[i * n + j]);
                    assertEquals(want, out[0][i * n + j], (k + 3) * GemmCase.EPS * scale + 1e-7,
                            what + ", C(" + i + ", " + j + ")");
                }
            }
        }
    }

    /**
     * Depth blocks after the first add their full tiles to C inside the micro-kernel, partial tiles through
     * the merge: either way one rounded addition, so a product of depth 2 kc + 5 gives the bits of a depth-kc
     * product followed by {@code beta = 1} products over the rest of the depth in separate calls.
     */
    @Test
    void laterDepthBlocksAddWithTheBitsOfSeparateCalls() {
        SplittableRandom random = new SplittableRandom(19);
        for (int mr : new int[] {4, 6, 8, 12}) {
            for (boolean transA : new boolean[] {false, true}) {
                int kc = 64, m = transA ? 300 : 301, n = 97, k = 2 * kc + 5, lda = transA ? m : k;
                GemmBackend backend = new VectorGemm(new GemmConfig(mr, kc, 512));
                float[] a = GemmCase.filled(random, k * m), b = GemmCase.filled(random, k * n);
                float[] whole = new float[m * n], split = new float[m * n];
                backend.gemm(transA, false, m, n, k, 1f, a, 0, lda, b, 0, n, 0f, whole, 0, n, null, 0,
                        Activation.IDENTITY);
                for (int pc = 0; pc < k; pc += kc) {
                    backend.gemm(transA, false, m, n, Math.min(kc, k - pc), 1f, a, transA ? pc * lda : pc, lda,
                            b, pc * n, n, pc == 0 ? 0f : 1f, split, 0, n, null, 0, Activation.IDENTITY);
                }
                assertArrayEquals(whole, split, backend.name() + " transA=" + transA);
            }
        }
    }

    @Test
    void sameBitsForOneAndTwoThreads() { // tall narrow products (1000 x 257, 2048 x 256) are split by rows
        SplittableRandom random = new SplittableRandom(11);
        GemmBackend vector = new VectorGemm();
        Activation[] acts = Activation.values();
        int round = 0;
        for (int[] mnk : new int[][] {{1000, 257, 129}, {257, 1000, 300}, {129, 129, 1000}, {64, 4096, 64}, {2048, 256, 600}}) {
            for (boolean transB : new boolean[] {false, true}) {
                Activation act = acts[round++ % acts.length];
                GemmCase gemm = new GemmCase(random, round % 3 == 0, transB, mnk[0], mnk[1], mnk[2], 1f, 0.25f,
                        true, GemmCase.filled(random, mnk[1] + 2), 2, act);
                Threads.setCount(1);
                float[] one = gemm.runOn(vector);
                Threads.setCount(2);
                float[] two = gemm.runOn(vector);
                Threads.setCount(3);
                float[] three = gemm.runOn(vector);
                assertArrayEquals(one, two, "1 vs 2 threads, " + gemm);
                assertArrayEquals(one, three, "1 vs 3 threads, " + gemm);
            }
        }
    }

    @Test
    void fusedBiasAndEveryActivation() {
        SplittableRandom random = new SplittableRandom(5);
        for (GemmBackend backend : backends().toList()) {
            for (Activation act : Activation.values()) {
                int m = 1 + random.nextInt(30), n = 1 + random.nextInt(90), k = 1 + random.nextInt(200);
                float[] bias = GemmCase.filled(random, n);
                GemmCase gemm = new GemmCase(random, random.nextBoolean(), random.nextBoolean(), m, n, k,
                        1f, random.nextBoolean() ? 0f : 0.5f, true, bias, 0, act);
                gemm.assertMatchesReference(gemm.runOn(backend), backend.name() + " " + act);
            }
        }
    }

    /** Millions of columns: the split into column chunks must not overflow int (it once did). */
    @Test
    void veryWideProduct() {
        int m = 2, n = 8_000_001, k = 1;
        float[] a = {0.5f, -3f};
        float[] b = new float[n];
        for (int j = 0; j < n; j++) {
            b[j] = j % 1000 - 500;
        }
        float[] c = new float[m * n];
        new VectorGemm().gemm(false, false, m, n, k, 1f, a, 0, 1, b, 0, n, 0f, c, 0, n, null, 0, Activation.IDENTITY);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                if (c[i * n + j] != a[i] * b[j]) {
                    assertEquals(a[i] * b[j], c[i * n + j], "C[" + i + "," + j + "]");
                }
            }
        }
    }

    @Test
    void nanInCIsIgnoredWhenBetaIsZero() {
        float[] a = {1, 2, 3, 4};
        float[] b = {1, 0, 0, 1};
        for (GemmBackend backend : List.of(new ScalarGemm(), new VectorGemm())) {
            float[] c = {Float.NaN, Float.NaN, Float.POSITIVE_INFINITY, Float.NaN};
            backend.gemm(false, false, 2, 2, 2, 1f, a, 0, 2, b, 0, 2, 0f, c, 0, 2, null, 0, Activation.IDENTITY);
            assertArrayEquals(new float[] {1, 2, 3, 4}, c, 0f, backend.name());
        }
    }

    private static void runCase(GemmBackend backend, SplittableRandom random, int m, int n, int k) {
        if (m == 0 || n == 0 || k == 0) {
            return; // the front end (Gemm) handles empty shapes; GemmTest covers them
        }
        float alpha = ALPHAS[random.nextInt(2)];
        float beta = BETAS[random.nextInt(3)];
        GemmCase gemm = GemmCase.random(random, random.nextBoolean(), random.nextBoolean(), m, n, k, alpha, beta);
        gemm.assertMatchesReference(gemm.runOn(backend), backend.name());
    }

    @Test
    void scalarTwinOnWorkedExample() {
        // [1 2; 3 4] * [5 6; 7 8] = [19 22; 43 50]
        float[] c = new float[4];
        new ScalarGemm().gemm(false, false, 2, 2, 2, 1f, new float[] {1, 2, 3, 4}, 0, 2,
                new float[] {5, 6, 7, 8}, 0, 2, 0f, c, 0, 2, null, 0, Activation.IDENTITY);
        assertArrayEquals(new float[] {19, 22, 43, 50}, c);
        assertEquals("scalar", new ScalarGemm().name());
    }
}
