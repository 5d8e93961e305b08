package dev.lanes.kernels;

import static dev.lanes.kernels.KernelTesting.OFFSET;
import static dev.lanes.kernels.KernelTesting.assertClose;
import static dev.lanes.kernels.KernelTesting.assertSameBits;
import static dev.lanes.kernels.KernelTesting.output;
import static dev.lanes.kernels.KernelTesting.span;
import static dev.lanes.kernels.KernelTesting.withThreads;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.kernels.ops.ScalarSoftmax;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Softmax, log-softmax and the fused cross-entropy: twins, finite differences, specials, thread counts. */
class SoftmaxTest {
    private static final int[][] SHAPES = {{0, 3}, {3, 0}, {1, 1}, {1, 2}, {4, 7}, {3, 16}, {5, 17}, {2, 33},
        {9, 100}, {2, 1000}, {300, 250}};

    @Test
    void softmaxAndLogSoftmaxMatchTwins() {
        Random random = new Random(12);
        for (int[] s : SHAPES) {
            int rows = s[0], cols = s[1], n = rows * cols;
            float[] x = span(random, n, -20f, 20f);
            float[] want = output(n), got = output(n);
            for (int r = 0; r < rows; r++) {
                ScalarSoftmax.softmax(cols, x, OFFSET + r * cols, want, OFFSET + r * cols);
            }
            Softmax.softmax(rows, cols, x, OFFSET, got, OFFSET);
            assertClose("softmax " + rows + "x" + cols, want, got, n, 2e-6, 1e-12);

            float[] dy = span(random, n, -1f, 1f);
            float[] wantGrad = output(n), gotGrad = output(n);
            for (int r = 0; r < rows; r++) {
                ScalarSoftmax.softmaxBackward(cols, want, OFFSET + r * cols, dy, OFFSET + r * cols, wantGrad, OFFSET + r * cols);
            }
            Softmax.softmaxBackward(rows, cols, want, OFFSET, dy, OFFSET, gotGrad, OFFSET);
            assertClose("softmaxBackward " + rows + "x" + cols, wantGrad, gotGrad, n, 1e-5, 1e-7);

            for (int r = 0; r < rows; r++) {
                ScalarSoftmax.logSoftmax(cols, x, OFFSET + r * cols, want, OFFSET + r * cols);
            }
            Softmax.logSoftmax(rows, cols, x, OFFSET, got, OFFSET);
            assertClose("logSoftmax " + rows + "x" + cols, want, got, n, 1e-6, 2e-6);
            for (int r = 0; r < rows; r++) {
                ScalarSoftmax.logSoftmaxBackward(cols, want, OFFSET + r * cols, dy, OFFSET + r * cols, wantGrad, OFFSET + r * cols);
            }
            Softmax.logSoftmaxBackward(rows, cols, want, OFFSET, dy, OFFSET, gotGrad, OFFSET);
            assertClose("logSoftmaxBackward " + rows + "x" + cols, wantGrad, gotGrad, n, 1e-5, 1e-5);
        }
    }

    @Test
    void specialRows() {
        float[] big = {1000f, 999f, -1000f};
        float[] y = new float[3];
        Softmax.softmax(1, 3, big, 0, y, 0);
        assertEquals(0.7310585786f, y[0], 1e-7f);
        assertEquals(0.2689414214f, y[1], 1e-7f);
        assertEquals(0f, y[2]);
        Softmax.logSoftmax(1, 3, big, 0, y, 0);
        assertEquals(-0.31326169f, y[0], 1e-6f);
        assertEquals(-2000.3132617f, y[2], 1e-3f);
        Softmax.softmax(1, 3, new float[] {1f, Float.NaN, 2f}, 0, y, 0);
        assertTrue(Float.isNaN(y[0]) && Float.isNaN(y[1]) && Float.isNaN(y[2]), "NaN spreads over its row");
        float ninf = Float.NEGATIVE_INFINITY;
        Softmax.softmax(1, 3, new float[] {ninf, ninf, ninf}, 0, y, 0);
        assertTrue(Float.isNaN(y[0]), "a row of -inf gives NaN, as in PyTorch");
        Softmax.softmax(1, 3, new float[] {0f, ninf, 0f}, 0, y, 0);
        assertArrayEquals(new float[] {0.5f, 0f, 0.5f}, y, "a masked (-inf) logit gets probability 0");
    }

    @Test
    void backwardsMatchFiniteDifferences() {
        Random random = new Random(13);
        int rows = 3, cols = 11, n = rows * cols;
        float[] x = new float[n], w = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (2 * random.nextGaussian());
            w[i] = (float) random.nextGaussian();
        }
        for (boolean log : new boolean[] {false, true}) {
            float[] y = new float[n], dx = new float[n];
            forward(log, rows, cols, x, y);
            if (log) {
                Softmax.logSoftmaxBackward(rows, cols, y, 0, w, 0, dx, 0);
            } else {
                Softmax.softmaxBackward(rows, cols, y, 0, w, 0, dx, 0);
            }
            for (int i = 0; i < n; i++) {
                double fd = finiteDifference(x, i, v -> {
                    float[] out = new float[n];
                    forward(log, rows, cols, v, out);
                    double s = 0;
                    for (int j = 0; j < n; j++) {
                        s += (double) out[j] * w[j];
                    }
                    return s;
                });
                assertEquals(fd, dx[i], 2e-3 * (1 + Math.abs(fd)), (log ? "logSoftmax" : "softmax") + " dx[" + i + "]");
            }
        }
    }

    @Test
    void crossEntropyAgainstDoubleReference() {
        Random random = new Random(14);
        int[][] shapes = {{1, 1}, {1, 2}, {8, 10}, {5, 17}, {3, 100}, {64, 1000}};
        for (int[] s : shapes) {
            int rows = s[0], classes = s[1];
            float[] logits = span(random, rows * classes, -6f, 6f);
            int[] targets = new int[OFFSET + rows];
            for (int r = 0; r < rows; r++) {
                targets[OFFSET + r] = r % 3 == 2 ? -100 : random.nextInt(classes);
            }
            for (float eps : new float[] {0f, 0.1f}) {
                double[] rowLoss = new double[rows];
                float[] wantGrad = output(rows * classes);
                int counted = 0;
                for (int r = 0; r < rows; r++) {
                    if (targets[OFFSET + r] != -100) {
                        counted++;
                    }
                }
                double total = 0;
                for (int r = 0; r < rows; r++) {
                    int t = targets[OFFSET + r];
                    int o = OFFSET + r * classes;
                    if (t == -100) {
                        java.util.Arrays.fill(wantGrad, o, o + classes, 0f);
                        continue;
                    }
                    double max = Double.NEGATIVE_INFINITY, sum = 0, mean = 0;
                    for (int c = 0; c < classes; c++) {
                        max = Math.max(max, logits[o + c]);
                        mean += logits[o + c] / (double) classes;
                    }
                    for (int c = 0; c < classes; c++) {
                        sum += Math.exp(logits[o + c] - max);
                    }
                    double lse = max + Math.log(sum);
                    rowLoss[r] = (1 - eps) * (lse - logits[o + t]) + eps * (lse - mean);
                    total += rowLoss[r];
                    for (int c = 0; c < classes; c++) {
                        double p = Math.exp(logits[o + c] - lse);
                        wantGrad[o + c] = (float) ((p - (c == t ? 1 - eps : 0) - eps / classes) / counted);
                    }
                }
                float[] grad = output(rows * classes);
                float mean = CrossEntropy.mean(rows, classes, logits, OFFSET, targets, OFFSET, -100, eps, grad, OFFSET);
                String what = rows + "x" + classes + " eps=" + eps;
                assertEquals(total / counted, mean, 2e-6 * (1 + total / counted), "mean loss " + what);
                assertClose("grad " + what, wantGrad, grad, rows * classes, 1e-5, 1e-7);

                float[] perRow = new float[rows];
                double sum = CrossEntropy.rows(rows, classes, logits, OFFSET, targets, OFFSET, -100, eps, perRow, 0, null, 0, 1f);
                assertEquals(total, sum, 2e-6 * (1 + total), "sum " + what);
                for (int r = 0; r < rows; r++) {
                    assertEquals(rowLoss[r], perRow[r], 2e-6 * (1 + rowLoss[r]), "row loss " + r + " " + what);
                }
            }
        }
    }

    @Test
    void crossEntropyGradientsMatchFiniteDifferences() {
        Random random = new Random(15);
        int rows = 4, classes = 6, n = rows * classes;
        float[] logits = new float[n], probs = new float[n];
        for (int i = 0; i < n; i++) {
            logits[i] = (float) (1.5 * random.nextGaussian());
            probs[i] = random.nextFloat();
        }
        for (int r = 0; r < rows; r++) { // each row of probs sums to 1
            float s = 0;
            for (int c = 0; c < classes; c++) {
                s += probs[r * classes + c];
            }
            for (int c = 0; c < classes; c++) {
                probs[r * classes + c] /= s;
            }
        }
        int[] targets = {2, -1, 0, 5};
        float[] grad = new float[n], softGrad = new float[n];
        CrossEntropy.mean(rows, classes, logits, 0, targets, 0, -1, 0.2f, grad, 0);
        CrossEntropy.soft(rows, classes, logits, 0, probs, 0, 0.1f, null, 0, softGrad, 0, 1f / rows);
        for (int i = 0; i < n; i++) {
            double fd = finiteDifference(logits, i,
                    v -> CrossEntropy.mean(rows, classes, v, 0, targets, 0, -1, 0.2f, null, 0));
            assertEquals(fd, grad[i], 2e-3 * (1 + Math.abs(fd)), "hard dlogits[" + i + "]");
            double softFd = finiteDifference(logits, i,
                    v -> CrossEntropy.soft(rows, classes, v, 0, probs, 0, 0.1f, null, 0, null, 0, 0f) / rows);
            assertEquals(softFd, softGrad[i], 2e-3 * (1 + Math.abs(softFd)), "soft dlogits[" + i + "]");
        }
    }

    @Test
    void crossEntropyEdgeCases() {
        float[] logits = {1f, 2f, 3f, 4f};
        float[] grad = {9f, 9f, 9f, 9f};
        float all = CrossEntropy.mean(2, 2, logits, 0, new int[] {-100, -100}, 0, -100, 0f, grad, 0);
        assertTrue(Float.isNaN(all), "every row ignored: NaN, as PyTorch's mean over zero elements");
        assertArrayEquals(new float[4], grad, "ignored rows get a zero gradient");
        // Two classes with logits 0 and 0: loss is log 2 whatever the target.
        assertEquals(Math.log(2), CrossEntropy.mean(1, 2, new float[2], 0, new int[] {1}, 0, -100, 0f, null, 0), 1e-7);
    }

    @Test
    void crossEntropyRejectsBadInputBeforeWriting() {
        float[] logits = new float[6], grad = new float[6];
        java.util.Arrays.fill(grad, 4f);
        float[] before = grad.clone();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CrossEntropy.mean(2, 3, logits, 0, new int[] {0, 3}, 0, -100, 0f, grad, 0));
        assertTrue(e.getMessage().contains("targets[1] = 3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CrossEntropy.mean(2, 3, logits, 0, new int[] {0, 1}, 0, -100, 1.5f, grad, 0));
        assertThrows(IllegalArgumentException.class, () -> CrossEntropy.mean(2, 3, logits, 0, new int[] {0}, 0, -100, 0f, grad, 0));
        assertThrows(IllegalArgumentException.class, () -> CrossEntropy.mean(2, 3, logits, 0, new int[] {0, 1}, 0, -100, 0f, logits, 0));
        assertThrows(IllegalArgumentException.class, () -> CrossEntropy.mean(2, 0, logits, 0, new int[] {0, 1}, 0, -100, 0f, grad, 0));
        assertThrows(IllegalArgumentException.class, () -> CrossEntropy.soft(2, 3, logits, 0, new float[5], 0, 0f, null, 0, grad, 0, 1f));
        float[] probs = {0.5f, 0.5f, 0f, 0f, 0.5f, 0.5f};
        assertThrows(IllegalArgumentException.class, () -> CrossEntropy.soft(2, 3, logits, 0, probs, 0, 0f, null, 0, probs, 0, 1f),
                "the gradient is written while the targets are read, so it must not overlap them");
        assertArrayEquals(before, grad);
        assertThrows(IllegalArgumentException.class, () -> Softmax.softmax(2, 3, logits, 1, grad, 0));
        assertThrows(IllegalArgumentException.class, () -> Softmax.logSoftmax(-2, 3, logits, 0, grad, 0));
        assertArrayEquals(before, grad);
    }

    @Test
    void sameBitsOnAnyThreadCount() {
        int rows = 2048, classes = 500, n = rows * classes;
        Random random = new Random(16);
        float[] x = span(random, n, -5f, 5f);
        int[] targets = new int[rows];
        for (int r = 0; r < rows; r++) {
            targets[r] = random.nextInt(classes);
        }
        float[][] y = new float[3][], g = new float[3][];
        float[] loss = new float[3];
        for (int t = 1; t <= 3; t++) {
            int k = t - 1;
            y[k] = output(n);
            g[k] = new float[n];
            withThreads(t, () -> {
                Softmax.softmax(rows, classes, x, OFFSET, y[k], OFFSET);
                loss[k] = CrossEntropy.mean(rows, classes, x, OFFSET, targets, 0, -100, 0.1f, g[k], 0);
            });
        }
        for (int k = 1; k < 3; k++) {
            assertSameBits("softmax", y[0], y[k]);
            assertSameBits("cross-entropy grad", g[0], g[k]);
            assertEquals(Float.floatToRawIntBits(loss[0]), Float.floatToRawIntBits(loss[k]));
        }
    }

    private static void forward(boolean log, int rows, int cols, float[] x, float[] y) {
        if (log) {
            Softmax.logSoftmax(rows, cols, x, 0, y, 0);
        } else {
            Softmax.softmax(rows, cols, x, 0, y, 0);
        }
    }

    /** Central difference of {@code f} in coordinate {@code i}, step 1e-2, in double from float evaluations. */
    static double finiteDifference(float[] x, int i, java.util.function.ToDoubleFunction<float[]> f) {
        float[] v = x.clone();
        float h = 1e-2f;
        v[i] = x[i] + h;
        double plus = f.applyAsDouble(v);
        float up = v[i];
        v[i] = x[i] - h;
        double minus = f.applyAsDouble(v);
        return (plus - minus) / ((double) up - v[i]);
    }
}
