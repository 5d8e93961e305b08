package dev.lanes.kernels;

import dev.lanes.kernels.internal.Checks;
import dev.lanes.kernels.internal.Chunks;
import dev.lanes.kernels.internal.KernelProvider;
import dev.lanes.kernels.ops.ScalarSoftmax;
import dev.lanes.kernels.ops.VectorSoftmax;

/**
 * Softmax and log-softmax over the last dimension of a row-major {@code rows x cols} block, and their
 * backward, as {@code torch.softmax(x, dim=-1)} / {@code torch.log_softmax(x, dim=-1)}. The row maximum is
 * subtracted before exponentiating, so large logits do not overflow; a row holding NaN gives NaN, and a row
 * of all {@code -inf} gives NaN, as in PyTorch.
 *
 * <p>Outputs may be the same region as the input (in-place) but must not overlap it partially. Rows are
 * independent, so the result does not depend on the thread count. Bad arguments throw
 * {@link IllegalArgumentException} before anything is written.
 */
public final class Softmax {
    private static final boolean VECTOR = KernelProvider.get().vectorized();

    private Softmax() {}

    /** {@code y[r] = softmax(x[r])} for every row. */
    public static void softmax(int rows, int cols, float[] x, int xOff, float[] y, int yOff) {
        checkMap("Softmax.softmax", rows, cols, x, xOff, y, yOff);
        eachRow(rows, cols, x, xOff, y, yOff, VECTOR ? VectorSoftmax::softmax : ScalarSoftmax::softmax);
    }

    /** {@code y[r] = log_softmax(x[r]) = x[r] - max - log(sum(exp(x[r] - max)))} for every row. */
    public static void logSoftmax(int rows, int cols, float[] x, int xOff, float[] y, int yOff) {
        checkMap("Softmax.logSoftmax", rows, cols, x, xOff, y, yOff);
        eachRow(rows, cols, x, xOff, y, yOff, VECTOR ? VectorSoftmax::logSoftmax : ScalarSoftmax::logSoftmax);
    }

    /** {@code dx = y * (dy - sum(dy * y))} per row, given the softmax output {@code y}. */
    public static void softmaxBackward(int rows, int cols, float[] y, int yOff, float[] dy, int dyOff,
                                       float[] dx, int dxOff) {
        checkBackward("Softmax.softmaxBackward", rows, cols, y, yOff, dy, dyOff, dx, dxOff);
        eachRowGrad(rows, cols, y, yOff, dy, dyOff, dx, dxOff,
                VECTOR ? VectorSoftmax::softmaxBackward : ScalarSoftmax::softmaxBackward);
    }

    /** {@code dx = dy - exp(y) * sum(dy)} per row, given the log-softmax output {@code y}. */
    public static void logSoftmaxBackward(int rows, int cols, float[] y, int yOff, float[] dy, int dyOff,
                                          float[] dx, int dxOff) {
        checkBackward("Softmax.logSoftmaxBackward", rows, cols, y, yOff, dy, dyOff, dx, dxOff);
        eachRowGrad(rows, cols, y, yOff, dy, dyOff, dx, dxOff,
                VECTOR ? VectorSoftmax::logSoftmaxBackward : ScalarSoftmax::logSoftmaxBackward);
    }

    /** A kernel over one row of {@code n} values: {@code x -> y}. */
    @FunctionalInterface
    private interface RowKernel {
        void run(int n, float[] x, int xOff, float[] y, int yOff);
    }

    /** A backward kernel over one row: {@code (y, dy) -> dx}. */
    @FunctionalInterface
    private interface RowGradKernel {
        void run(int n, float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff);
    }

    /** Runs {@code kernel} on every row, the rows split into fixed chunks (see {@link Chunks}). */
    private static void eachRow(int rows, int cols, float[] x, int xOff, float[] y, int yOff, RowKernel kernel) {
        Chunks.rows(rows, cols, (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r * cols;
                kernel.run(cols, x, xOff + o, y, yOff + o);
            }
        });
    }

    private static void eachRowGrad(int rows, int cols, float[] y, int yOff, float[] dy, int dyOff,
                                    float[] dx, int dxOff, RowGradKernel kernel) {
        Chunks.rows(rows, cols, (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r * cols;
                kernel.run(cols, y, yOff + o, dy, dyOff + o, dx, dxOff + o);
            }
        });
    }

    private static void checkMap(String routine, int rows, int cols, float[] x, int xOff, float[] y, int yOff) {
        long size = Checks.block(routine, rows, cols);
        Checks.span(routine, "x", x, xOff, size);
        Checks.span(routine, "y", y, yOff, size);
    }

    private static void checkBackward(String routine, int rows, int cols, float[] y, int yOff, float[] dy, int dyOff,
                                      float[] dx, int dxOff) {
        long size = Checks.block(routine, rows, cols);
        Checks.span(routine, "y", y, yOff, size);
        Checks.span(routine, "dy", dy, dyOff, size);
        Checks.span(routine, "dx", dx, dxOff, size);
    }
}
