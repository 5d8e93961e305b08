package dev.lanes.kernels;

import static dev.lanes.kernels.KernelTesting.OFFSET;
import static dev.lanes.kernels.KernelTesting.SIZES;
import static dev.lanes.kernels.KernelTesting.span;
import static dev.lanes.kernels.KernelTesting.withThreads;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Reductions against double-precision references, with error bounds that grow with the length. */
class ReductionsTest {
    @Test
    void sumMeanDotAgainstDouble() {
        Random random = new Random(5);
        for (int n : SIZES) {
            float[] x = span(random, n, -3f, 5f), y = span(random, n, -2f, 2f);
            double sum = 0, abs = 0, dot = 0, dotAbs = 0, squares = 0;
            for (int i = OFFSET; i < OFFSET + n; i++) {
                sum += x[i];
                abs += Math.abs(x[i]);
                dot += (double) x[i] * y[i];
                dotAbs += Math.abs((double) x[i] * y[i]);
                squares += (double) x[i] * x[i];
            }
            // Float accumulators each add at most n/4 terms: error below (n/4) eps sum|x|, far less in practice.
            double bound = 1e-7 * Math.max(16, n / 4.0);
            assertEquals(sum, Reductions.sum(n, x, OFFSET), bound * abs + 1e-30, "sum n=" + n);
            assertEquals(dot, Reductions.dot(n, x, OFFSET, y, OFFSET), bound * dotAbs + 1e-30, "dot n=" + n);
            assertEquals(squares, Reductions.sumSquares(n, x, OFFSET), bound * squares + 1e-30, "sumSquares n=" + n);
            if (n > 0) {
                assertEquals(sum / n, Reductions.mean(n, x, OFFSET), bound * abs / n, "mean n=" + n);
            }
        }
        assertTrue(Float.isNaN(Reductions.mean(0, new float[0], 0)), "mean of nothing is NaN, as torch.mean");
        assertEquals(0f, Reductions.sum(0, new float[0], 0));
    }

    @Test
    void varianceIsStableForALargeMean() {
        Random random = new Random(6);
        for (int n : new int[] {2, 3, 17, 1000, 70001}) {
            float[] x = new float[OFFSET + n];
            for (int i = OFFSET; i < x.length; i++) {
                x[i] = (float) (1e4 + random.nextGaussian());
            }
            double mean = 0;
            for (int i = OFFSET; i < x.length; i++) {
                mean += x[i];
            }
            mean /= n;
            double m2 = 0;
            for (int i = OFFSET; i < x.length; i++) {
                m2 += (x[i] - mean) * (x[i] - mean);
            }
            // E[x^2] - E[x]^2 in float would have no correct digits here (1e8 vs an answer near 1).
            assertEquals(m2 / (n - 1), Reductions.variance(n, x, OFFSET, 1), 1e-4 * m2 / (n - 1), "unbiased n=" + n);
            assertEquals(m2 / n, Reductions.variance(n, x, OFFSET, 0), 1e-4 * m2 / n, "biased n=" + n);
        }
        assertTrue(Float.isNaN(Reductions.variance(1, new float[] {3f}, 0, 1)), "n <= correction gives NaN");
    }

    @Test
    void maxAndArgmaxFollowTorch() {
        Random random = new Random(8);
        for (int n : SIZES) {
            if (n == 0) {
                continue;
            }
            float[] x = span(random, n, -10f, 10f);
            int at = OFFSET + random.nextInt(n);
            x[at] = 11f;
            assertEquals(11f, Reductions.max(n, x, OFFSET));
            assertEquals(at - OFFSET, Reductions.argmax(n, x, OFFSET));
        }
        float[] ties = {1f, 5f, 2f, 5f, 5f};
        assertEquals(1, Reductions.argmax(5, ties, 0), "the first of equal maxima");
        float[] nan = {1f, 9f, Float.NaN, 3f, Float.NaN};
        assertTrue(Float.isNaN(Reductions.max(5, nan, 0)));
        assertEquals(2, Reductions.argmax(5, nan, 0), "the first NaN, as torch.argmax");
        assertEquals(0, Reductions.argmax(3, new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}, 0));
        assertThrows(IllegalArgumentException.class, () -> Reductions.max(0, new float[3], 0));
        assertThrows(IllegalArgumentException.class, () -> Reductions.argmax(0, new float[3], 0));
    }

    @Test
    void rowAndColumnSums() {
        Random random = new Random(9);
        int[][] shapes = {{0, 4}, {4, 0}, {1, 1}, {3, 17}, {128, 10}, {7, 1000}, {4096, 33}};
        for (int[] shape : shapes) {
            int rows = shape[0], cols = shape[1];
            float[] x = span(random, rows * cols, -1f, 1f);
            float[] rowSums = new float[OFFSET + rows], colSums = new float[OFFSET + cols];
            Reductions.rowSums(rows, cols, x, OFFSET, rowSums, OFFSET);
            Reductions.columnSums(rows, cols, x, OFFSET, colSums, OFFSET);
            for (int r = 0; r < rows; r++) {
                double s = 0;
                for (int c = 0; c < cols; c++) {
                    s += x[OFFSET + r * cols + c];
                }
                assertEquals(s, rowSums[OFFSET + r], 1e-6 * cols, "row " + r);
            }
            for (int c = 0; c < cols; c++) {
                double s = 0;
                for (int r = 0; r < rows; r++) {
                    s += x[OFFSET + r * cols + c];
                }
                assertEquals(s, colSums[OFFSET + c], 1e-6 * rows, "column " + c);
            }
        }
    }

    @Test
    void sameBitsOnAnyThreadCount() {
        int n = 1_000_003;
        float[] x = span(new Random(10), n, -1f, 1f);
        float[] y = span(new Random(11), n, -1f, 1f);
        float[] sums = new float[3], dots = new float[3], vars = new float[3];
        float[][] columns = new float[3][1000];
        for (int t = 1; t <= 3; t++) {
            int k = t - 1;
            withThreads(t, () -> {
                sums[k] = Reductions.sum(n, x, OFFSET);
                dots[k] = Reductions.dot(n, x, OFFSET, y, OFFSET);
                vars[k] = Reductions.variance(n, x, OFFSET, 1);
                Reductions.columnSums(1000, 1000, x, OFFSET, columns[k], 0);
            });
        }
        for (int k = 1; k < 3; k++) {
            assertEquals(Float.floatToRawIntBits(sums[0]), Float.floatToRawIntBits(sums[k]));
            assertEquals(Float.floatToRawIntBits(dots[0]), Float.floatToRawIntBits(dots[k]));
            assertEquals(Float.floatToRawIntBits(vars[0]), Float.floatToRawIntBits(vars[k]));
            KernelTesting.assertSameBits("columnSums", columns[0], columns[k]);
        }
    }

    @Test
    void badArguments() {
        assertThrows(IllegalArgumentException.class, () -> Reductions.sum(-1, new float[3], 0));
        assertThrows(IllegalArgumentException.class, () -> Reductions.sum(4, new float[3], 0));
        assertThrows(IllegalArgumentException.class, () -> Reductions.dot(3, new float[3], 0, new float[2], 0));
        assertThrows(IllegalArgumentException.class, () -> Reductions.variance(3, new float[3], 0, -1));
        assertThrows(IllegalArgumentException.class, () -> Reductions.columnSums(2, 3, new float[6], 0, new float[2], 0));
    }
}
