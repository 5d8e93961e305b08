package dev.lanes.kernels;

import dev.lanes.kernels.internal.Checks;
import dev.lanes.kernels.internal.Chunks;
import dev.lanes.kernels.internal.KernelProvider;
import dev.lanes.kernels.ops.ScalarReductions;
import dev.lanes.kernels.ops.VectorReductions;

/**
 * Reductions over a span of floats ({@code sum}, {@code mean}, {@code variance}, {@code max},
 * {@code argmax}, {@code dot}, squared L2 norm) and over the rows or columns of a {@code rows x cols} block.
 *
 * <p>Determinism: a span is reduced in fixed blocks of {@value Chunks#GRAIN} elements, each summed in
 * float with vector accumulators, and the block results are combined in double in block order. Variance is
 * infinite or NaN where float sums overflow (values near {@code Float.MAX_VALUE}), where PyTorch gives inf. The blocks
 * depend only on the length, so the result is the same for any thread count (large spans run on the
 * {@link Threads} pool).
 */
public final class Reductions {
    private static final boolean VECTOR = KernelProvider.get().vectorized();
    private static final int BLOCK = Chunks.GRAIN;

    private Reductions() {}

    /** {@code sum(x)}; 0 for an empty span. */
    public static float sum(int n, float[] x, int xOff) {
        checkSpan("Reductions.sum", n, x, xOff);
        return (float) sumOfBlocks(n, x, xOff);
    }

    /** {@code sum(x) / n}; NaN for an empty span, as {@code torch.mean}. */
    public static float mean(int n, float[] x, int xOff) {
        checkSpan("Reductions.mean", n, x, xOff);
        return (float) (sumOfBlocks(n, x, xOff) / n);
    }

    /**
     * {@code sum((x - mean)^2) / max(0, n - correction)}, as {@code torch.var(x, correction=...)}: correction 1
     * (the default) is the unbiased estimate, 0 the biased one. Computed by a corrected two-pass per block
     * and Chan's update merging the block statistics in order, in double, so it stays accurate when the mean is large
     * compared with the spread. Infinite or NaN when {@code n <= correction}, as in PyTorch.
     */
    public static float variance(int n, float[] x, int xOff, int correction) {
        checkSpan("Reductions.variance", n, x, xOff);
        Checks.nonNegative("Reductions.variance", "correction", correction);
        int blocks = blocks(n);
        double[] means = new double[blocks];
        double[] m2 = new double[blocks];
        Chunks.elements(n, (from, to) -> {
            double[] moments = new double[2];
            for (int s = from; s < to; s += BLOCK) {
                int len = Math.min(to, s + BLOCK) - s;
                // Two passes over a block in cache: a float mean, then moments about it, corrected exactly.
                float center = blockSum(len, x, xOff + s) / len;
                if (VECTOR) {
                    VectorReductions.centeredMoments(len, x, xOff + s, center, moments);
                } else {
                    ScalarReductions.centeredMoments(len, x, xOff + s, center, moments);
                }
                means[s / BLOCK] = center + moments[0] / len;
                m2[s / BLOCK] = Math.max(0, moments[1] - moments[0] * moments[0] / len);
            }
        });
        double count = 0, mean = 0, total = 0;
        for (int b = 0; b < blocks; b++) {
            double len = Math.min(n - (long) b * BLOCK, BLOCK);
            double delta = means[b] - mean;
            double merged = count + len;
            mean += delta * len / merged;
            total += m2[b] + delta * delta * count * len / merged;
            count = merged;
        }
        return (float) (total / Math.max(0, n - correction));
    }

    /** The largest element; NaN if any element is NaN (as {@code torch.max}). An empty span throws. */
    public static float max(int n, float[] x, int xOff) {
        checkNonEmpty("Reductions.max", n, x, xOff);
        return VECTOR ? VectorReductions.max(n, x, xOff) : ScalarReductions.max(n, x, xOff);
    }

    /**
     * The index (from {@code xOff}) of the largest element, the first one when it occurs more than once; the
     * first NaN if there is one (as {@code torch.argmax}). An empty span throws.
     */
    public static int argmax(int n, float[] x, int xOff) {
        checkNonEmpty("Reductions.argmax", n, x, xOff);
        float max = VECTOR ? VectorReductions.max(n, x, xOff) : ScalarReductions.max(n, x, xOff);
        return VECTOR ? VectorReductions.indexOf(n, x, xOff, max) : ScalarReductions.indexOf(n, x, xOff, max);
    }

    /** {@code sum(x[i] * y[i])}. */
    public static float dot(int n, float[] x, int xOff, float[] y, int yOff) {
        checkSpan("Reductions.dot", n, x, xOff);
        Checks.span("Reductions.dot", "y", y, yOff, n);
        return dotOfBlocks(n, x, xOff, y, yOff);
    }

    /** The squared L2 norm {@code sum(x[i]^2)}. */
    public static float sumSquares(int n, float[] x, int xOff) {
        checkSpan("Reductions.sumSquares", n, x, xOff);
        return dotOfBlocks(n, x, xOff, x, xOff);
    }

    private static float dotOfBlocks(int n, float[] x, int xOff, float[] y, int yOff) {
        double[] partial = new double[blocks(n)];
        Chunks.elements(n, (from, to) -> {
            for (int s = from; s < to; s += BLOCK) {
                int len = Math.min(to, s + BLOCK) - s;
                partial[s / BLOCK] = VECTOR
                        ? VectorReductions.dot(len, x, xOff + s, y, yOff + s)
                        : ScalarReductions.dot(len, x, xOff + s, y, yOff + s);
            }
        });
        return (float) inOrder(partial);
    }

    /** {@code y[r] = sum over c of x[r][c]} for a row-major {@code rows x cols} block. */
    public static void rowSums(int rows, int cols, float[] x, int xOff, float[] y, int yOff) {
        String routine = "Reductions.rowSums";
        long size = Checks.block(routine, rows, cols);
        Checks.span(routine, "x", x, xOff, size);
        Checks.span(routine, "y", y, yOff, rows);
        Chunks.rows(rows, cols, (from, to) -> {
            for (int r = from; r < to; r++) {
                y[yOff + r] = (float) sumOfBlocks(cols, x, xOff + r * cols);
            }
        });
    }

    /**
     * {@code y[c] = sum over r of x[r][c]} for a row-major {@code rows x cols} block (the bias gradient of a
     * linear layer). Each column adds its rows in order, so the columns can be split among threads freely.
     */
    public static void columnSums(int rows, int cols, float[] x, int xOff, float[] y, int yOff) {
        String routine = "Reductions.columnSums";
        long size = Checks.block(routine, rows, cols);
        Checks.span(routine, "x", x, xOff, size);
        Checks.span(routine, "y", y, yOff, cols);
        // Tasks take column ranges of at least 64 (a few cache lines per row); rows are walked in order.
        int grain = Math.max(64, (int) Math.min(cols, Chunks.GRAIN / Math.max(1L, rows)));
        int tasks = (cols + grain - 1) / grain;
        Runnable all = () -> columnSums(rows, cols, 0, cols, x, xOff, y, yOff);
        if (tasks <= 1 || size < 4L * Chunks.GRAIN) {
            all.run();
        } else {
            Threads.parallelFor(tasks, t -> columnSums(rows, cols, t * grain, Math.min(cols, (t + 1) * grain),
                    x, xOff, y, yOff));
        }
    }

    private static void columnSums(int rows, int cols, int c0, int c1, float[] x, int xOff, float[] y, int yOff) {
        if (VECTOR) {
            VectorReductions.columnSums(rows, cols, c0, c1, x, xOff, y, yOff);
        } else {
            ScalarReductions.columnSums(rows, cols, c0, c1, x, xOff, y, yOff);
        }
    }

    /** The sum of a span: block sums in float, combined in double in block order. */
    private static double sumOfBlocks(int n, float[] x, int xOff) {
        if (n <= BLOCK) {
            return blockSum(n, x, xOff);
        }
        double[] partial = new double[blocks(n)];
        Chunks.elements(n, (from, to) -> {
            for (int s = from; s < to; s += BLOCK) {
                partial[s / BLOCK] = blockSum(Math.min(to, s + BLOCK) - s, x, xOff + s);
            }
        });
        return inOrder(partial);
    }

    private static float blockSum(int n, float[] x, int xOff) {
        return VECTOR ? VectorReductions.sum(n, x, xOff) : ScalarReductions.sum(n, x, xOff);
    }

    private static double inOrder(double[] partial) {
        double s = 0;
        for (double p : partial) {
            s += p;
        }
        return s;
    }

    private static int blocks(int n) {
        return (n + BLOCK - 1) / BLOCK;
    }

    private static void checkSpan(String routine, int n, float[] x, int xOff) {
        Checks.nonNegative(routine, "n", n);
        Checks.span(routine, "x", x, xOff, n);
    }

    private static void checkNonEmpty(String routine, int n, float[] x, int xOff) {
        checkSpan(routine, n, x, xOff);
        if (n == 0) {
            throw new IllegalArgumentException(routine + ": the span is empty (n = 0); the result is undefined");
        }
    }
}
