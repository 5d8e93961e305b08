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
        Chunks.rows(rows, cols, (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r * cols;
                if (VECTOR) {
                    VectorSoftmax.softmax(cols, x, xOff + o, y, yOff + o);
                } else {
                    ScalarSoftmax.softmax(cols, x, xOff + o, y, yOff + o);
                }
            }
        });
    }

    /** {@code y[r] = log_softmax(x[r]) = x[r] - max - log(sum(exp(x[r] - max)))} for every row. */
    public static void logSoftmax(int rows, int cols, float[] x, int xOff, float[] y, int yOff) {
        checkMap("Softmax.logSoftmax", rows, cols, x, xOff, y, yOff);
        Chunks.rows(rows, cols, (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r * cols;
                if (VECTOR) {
                    VectorSoftmax.logSoftmax(cols, x, xOff + o, y, yOff + o);
                } else {
                    ScalarSoftmax.logSoftmax(cols, x, xOff + o, y, yOff + o);
                }
            }
        });
    }

    /** {@code dx = y * (dy - sum(dy * y))} per row, given the softmax output {@code y}. */
    public static void softmaxBackward(int rows, int cols, float[] y, int yOff, float[] dy, int dyOff,
                                       float[] dx, int dxOff) {
        checkBackward("Softmax.softmaxBackward", rows, cols, y, yOff, dy, dyOff, dx, dxOff);
        Chunks.rows(rows, cols, (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r * cols;
                if (VECTOR) {
                    VectorSoftmax.softmaxBackward(cols, y, yOff + o, dy, dyOff + o, dx, dxOff + o);
                } else {
                    ScalarSoftmax.softmaxBackward(cols, y, yOff + o, dy, dyOff + o, dx, dxOff + o);
                }
            }
        });
    }

    /** {@code dx = dy - exp(y) * sum(dy)} per row, given the log-softmax output {@code y}. */
    public static void logSoftmaxBackward(int rows, int cols, float[] y, int yOff, float[] dy, int dyOff,
                                          float[] dx, int dxOff) {
        checkBackward("Softmax.logSoftmaxBackward", rows, cols, y, yOff, dy, dyOff, dx, dxOff);
        Chunks.rows(rows, cols, (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r * cols;
                if (VECTOR) {
                    VectorSoftmax.logSoftmaxBackward(cols, y, yOff + o, dy, dyOff + o, dx, dxOff + o);
                } else {
                    ScalarSoftmax.logSoftmaxBackward(cols, y, yOff + o, dy, dyOff + o, dx, dxOff + o);
                }
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
