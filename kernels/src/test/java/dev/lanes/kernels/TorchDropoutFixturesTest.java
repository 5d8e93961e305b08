package dev.lanes.kernels;

import static dev.lanes.kernels.TorchFixturesTest.OFFSET;
import static dev.lanes.kernels.TorchFixturesTest.assertOffsetRun;
import static dev.lanes.kernels.TorchFixturesTest.assertSameBits;
import static dev.lanes.kernels.TorchFixturesTest.output;
import static dev.lanes.kernels.TorchFixturesTest.placed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Dropout. PyTorch's mask comes from its own generator, so masks are not compared; instead: the kept
 * fraction, the value of a kept element (bit for bit as PyTorch's, from {@code fixtures/kernels/dropout.txt},
 * where both keep an element), p = 0 and p = 1, determinism in the seed and the thread count, backward
 * with the same mask, and {@link Dropout#keeps} agreeing with forward.
 */
class TorchDropoutFixturesTest {
    private static final int N = 1_000_000;

    /**
     * The kept fraction of 1e6 elements is within 4 sigma of {@code 1 - p}. Counted with {@link Dropout#keeps},
     * the mask's definition, which {@link #keepsAgreesWithForwardAndMasksIgnoreOffsets} checks element by
     * element against forward (a cold vector forward of 3 x 1e6 elements costs over a second of interpreter
     * and JIT time per JVM, more than all the other fixture tests); a forward of 50k elements is counted too.
     */
    @Test
    void keptFractionIsOneMinusPWithinFourSigma() {
        for (float p : new float[] {0.1f, 0.5f, 0.9f}) {
            long seed = 0x5EED_0000L + Float.floatToIntBits(p);
            int kept = 0;
            for (int i = 0; i < N; i++) {
                if (Dropout.keeps(seed, p, i)) {
                    kept++;
                }
            }
            assertWithinFourSigma(N, kept, p);
            int n = 50_000;
            float[] x = ones(n);
            float[] y = new float[n];
            Dropout.forward(n, p, seed, x, 0, y, 0);
            int keptForward = 0;
            for (float v : y) {
                if (v != 0) {
                    keptForward++;
                }
            }
            assertWithinFourSigma(n, keptForward, p);
        }
    }

    private static void assertWithinFourSigma(int n, int kept, float p) {
        double expected = n * (1.0 - p);
        double sigma = Math.sqrt(n * (double) p * (1.0 - p));
        assertTrue(Math.abs(kept - expected) <= 4 * sigma,
                "p = " + p + ": kept " + kept + " of " + n + ", expected " + expected + " +- 4 * " + sigma);
    }

    /**
     * A kept element is {@code x * (1 / (1 - p))} with the factor rounded to float, exactly as PyTorch's CPU
     * dropout computes it (noise {@code 1 / (1 - p)} times x); this is within half an ulp of
     * {@code x / (1 - p)} plus the factor's rounding, not always equal to the once-rounded quotient.
     */
    @Test
    void keptValuesAreXTimesOneOverOneMinusP() {
        SplittableRandom random = new SplittableRandom(7);
        float[] x = new float[4_000];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (random.nextGaussian() * 10);
        }
        float[] y = new float[x.length];
        for (float p : new float[] {0.1f, 0.2f, 0.3f, 0.5f, 0.7f, 0.9f, 0.05f, 0.37f}) {
            Dropout.forward(x.length, p, 99, x, 0, y, 0);
            float factor = 1f / (1f - p);
            int kept = 0;
            for (int i = 0; i < x.length; i++) {
                if (y[i] == 0 && x[i] != 0) {
                    continue;
                }
                kept++;
                if (Float.floatToIntBits(x[i] * factor) != Float.floatToIntBits(y[i])) {
                    fail("p = " + p + ", x = " + x[i] + ": kept as " + y[i] + ", x * (1 / (1 - p)) = " + x[i] * factor);
                }
                double quotient = x[i] / (1.0 - p);
                if (Math.abs(y[i] - quotient) > 1.5 * Math.ulp(y[i])) {
                    fail("p = " + p + ", x = " + x[i] + ": " + y[i] + " vs x / (1 - p) = " + quotient);
                }
            }
            assertTrue(kept > 0, "p = " + p);
        }
    }

    @Test
    void keptValuesAreBitForBitPyTorchs() {
        Fixtures f = TorchFixturesTest.load("dropout.txt");
        float[] x = f.floats("x");
        float[] y = new float[x.length];
        int compared = 0;
        for (int k = 0; f.has("p" + k); k++) {
            float p = f.scalar("p" + k);
            float[] torch = f.floats("p" + k + "_y");
            Dropout.forward(x.length, p, 1234 + k, x, 0, y, 0);
            for (int i = 0; i < x.length; i++) {
                if (x[i] == 0) {
                    continue; // kept or dropped, +-0 stays a zero: nothing to compare
                }
                if (torch[i] != 0 && y[i] != 0) {
                    compared++;
                    if (Float.floatToIntBits(torch[i]) != Float.floatToIntBits(y[i])) {
                        fail("p = " + p + ", x = " + x[i] + ": PyTorch keeps it as " + torch[i] + ", Lanes as " + y[i]);
                    }
                }
            }
        }
        assertTrue(compared > 500, "compared " + compared);
        System.out.println("torch-fixtures dropout: kept values compared with PyTorch's, bit for bit: " + compared);
    }

    @Test
    void pZeroCopiesAndPOneZeroes() {
        float[] x = {1f, -2f, 0f, Float.NaN, Float.POSITIVE_INFINITY, 3e38f, -0f};
        float[] y = new float[x.length];
        Dropout.forward(x.length, 0f, 42, x, 0, y, 0);
        assertSameBits("dropout p = 0", x, y, x);
        Dropout.forward(x.length, 1f, 42, x, 0, y, 0);
        for (int i = 0; i < x.length; i++) {
            // PyTorch multiplies by a zero mask: a dropped NaN or infinity gives NaN
            if (Float.isFinite(x[i])) {
                assertEquals(0f, Math.abs(y[i]), "p = 1 at " + x[i]);
            } else {
                assertTrue(Float.isNaN(y[i]), "p = 1 at " + x[i] + ": " + y[i]);
            }
        }
    }

    @Test
    void sameSeedSameMaskDifferentSeedDifferentMask() {
        float[] x = ones(10_000);
        float[] a = new float[x.length], b = new float[x.length], c = new float[x.length];
        Dropout.forward(x.length, 0.5f, 11, x, 0, a, 0);
        Dropout.forward(x.length, 0.5f, 11, x, 0, b, 0);
        Dropout.forward(x.length, 0.5f, 12, x, 0, c, 0);
        assertSameBits("dropout same seed", a, b, null);
        int differ = 0;
        for (int i = 0; i < x.length; i++) {
            if (a[i] != c[i]) {
                differ++;
            }
        }
        // independent masks with p = 0.5 differ in half the places: 5000 +- 4 * 50
        assertTrue(Math.abs(differ - 5000) <= 200, "masks of seeds 11 and 12 differ in " + differ + " places");
        assertNotEquals(0, differ);
    }

    @Test
    void maskDoesNotDependOnTheThreadCount() {
        int saved = Threads.count();
        int n = 70_000; // 5 chunks of Chunks.GRAIN, above the parallel threshold (4 chunks)
        float[] x = ones(n);
        float[] reference = null;
        try {
            for (int threads : new int[] {1, 2, 3}) {
                Threads.setCount(threads);
                float[] y = new float[n];
                Dropout.forward(n, 0.3f, 2024, x, 0, y, 0);
                if (reference == null) {
                    reference = y;
                } else {
                    assertSameBits("dropout with " + threads + " threads", reference, y, null);
                }
            }
        } finally {
            Threads.setCount(saved);
        }
    }

    @Test
    void backwardWithTheSameSeedAppliesTheSameMask() {
        SplittableRandom random = new SplittableRandom(3);
        int n = 20_000;
        float[] x = new float[n], dy = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian();
            dy[i] = (float) random.nextGaussian();
        }
        float p = 0.25f, factor = 1f / (1f - p);
        float[] y = new float[n], dx = new float[n];
        Dropout.forward(n, p, 77, x, 0, y, 0);
        Dropout.backward(n, p, 77, dy, 0, dx, 0);
        for (int i = 0; i < n; i++) {
            boolean kept = y[i] != 0;
            // as PyTorch: dy times the mask times the factor (a dropped negative gives -0.0)
            if (Float.floatToIntBits(dy[i] * (kept ? factor : 0f)) != Float.floatToIntBits(dx[i])) {
                fail("element " + i + ": forward " + (kept ? "kept" : "dropped") + " it, backward gives " + dx[i]
                        + " for dy = " + dy[i]);
            }
        }
    }

    @Test
    void keepsAgreesWithForwardAndMasksIgnoreOffsets() {
        int n = 40_000; // three chunks of Chunks.GRAIN
        float[] x = ones(n);
        float[] y = new float[n];
        for (float p : new float[] {0.1f, 0.5f, 0.9f}) {
            Dropout.forward(n, p, 31337, x, 0, y, 0);
            for (int i = 0; i < n; i++) {
                if ((y[i] != 0) != Dropout.keeps(31337, p, i)) {
                    fail("p = " + p + ", element " + i + ": forward gives " + y[i] + ", keeps() says " + !(y[i] != 0));
                }
            }
            // the element index counts from the start of the span, so offsets do not change the mask
            float[] out = output(n, OFFSET + 2);
            Dropout.forward(n, p, 31337, placed(x, OFFSET), OFFSET, out, OFFSET + 2);
            assertOffsetRun("dropout p = " + p, y, out, OFFSET + 2);
        }
    }

    private static float[] ones(int n) {
        float[] x = new float[n];
        Arrays.fill(x, 1f);
        return x;
    }
}
