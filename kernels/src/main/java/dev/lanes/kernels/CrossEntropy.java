package dev.lanes.kernels;

import dev.lanes.kernels.internal.Checks;
import dev.lanes.kernels.internal.Chunks;
import dev.lanes.kernels.internal.KernelProvider;
import dev.lanes.kernels.ops.ScalarSoftmax;
import dev.lanes.kernels.ops.VectorSoftmax;

/**
 * Cross-entropy over logits fused with its gradient: log-softmax, the negative log-likelihood of the
 * targets and the reduction in one pass over each row, which also writes {@code d loss / d logits}, as
 * {@code torch.nn.functional.cross_entropy(logits, target, ignore_index=..., label_smoothing=...)}.
 *
 * <p>Logits are a row-major {@code rows x classes} block. With label smoothing {@code eps} a row's loss is
 * {@code (1 - eps) * (-log p[target]) + eps * mean over c of (-log p[c])}. Rows whose target is
 * {@code ignoreIndex} contribute nothing and get a zero gradient. The row losses are added in row order in
 * double, so the result does not depend on the thread count. {@code dlogits} must not overlap
 * {@code logits} (or {@code probs}). Bad arguments (a target outside {@code [0, classes)} that is not {@code ignoreIndex},
 * smoothing outside [0, 1], short arrays) throw {@link IllegalArgumentException} before anything is written.
 */
public final class CrossEntropy {
    private static final boolean VECTOR = KernelProvider.get().vectorized();

    private CrossEntropy() {}

    /**
     * The mean loss over the rows whose target is not {@code ignoreIndex} (PyTorch's default
     * {@code reduction='mean'}; NaN when every row is ignored, as in PyTorch), and, when {@code dlogits} is
     * not null, the gradient of that mean.
     */
    public static float mean(int rows, int classes, float[] logits, int logitsOff, int[] targets, int targetsOff,
                             int ignoreIndex, float labelSmoothing, float[] dlogits, int dlogitsOff) {
        String routine = "CrossEntropy.mean";
        int counted = checkHard(routine, rows, classes, logits, logitsOff, targets, targetsOff, ignoreIndex,
                labelSmoothing, null, 0, dlogits, dlogitsOff);
        double sum = rows(rows, classes, logits, logitsOff, targets, targetsOff, ignoreIndex, labelSmoothing,
                null, 0, dlogits, dlogitsOff, counted == 0 ? 0f : 1f / counted);
        return (float) (sum / counted);
    }

    /**
     * The sum of the row losses (for {@code reduction='sum'}), the row losses themselves into {@code rowLoss}
     * when it is not null ({@code reduction='none'}; 0 for ignored rows), and, when {@code dlogits} is not
     * null, {@code gradScale} times the gradient of each row's loss (so {@code gradScale = 1} gives the
     * gradient of the sum).
     */
    public static double rows(int rows, int classes, float[] logits, int logitsOff, int[] targets, int targetsOff,
                              int ignoreIndex, float labelSmoothing, float[] rowLoss, int rowLossOff,
                              float[] dlogits, int dlogitsOff, float gradScale) {
        checkHard("CrossEntropy.rows", rows, classes, logits, logitsOff, targets, targetsOff, ignoreIndex,
                labelSmoothing, rowLoss, rowLossOff, dlogits, dlogitsOff);
        Checks.finite("CrossEntropy.rows", "gradScale", gradScale);
        double[] losses = new double[rows];
        Chunks.rows(rows, classes, (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r * classes;
                int target = targets[targetsOff + r];
                if (target == ignoreIndex) {
                    if (dlogits != null) {
                        java.util.Arrays.fill(dlogits, dlogitsOff + o, dlogitsOff + o + classes, 0f);
                    }
                    continue;
                }
                losses[r] = VECTOR
                        ? VectorSoftmax.crossEntropy(classes, logits, logitsOff + o, target, labelSmoothing,
                                dlogits, dlogitsOff + o, gradScale)
                        : ScalarSoftmax.crossEntropy(classes, logits, logitsOff + o, target, labelSmoothing,
                                dlogits, dlogitsOff + o, gradScale);
            }
        });
        return total(losses, rowLoss, rowLossOff);
    }

    /**
     * Cross-entropy against class probabilities: {@code probs} is a {@code rows x classes} block of
     * target distributions (PyTorch's "probabilities" target form). Returns the sum of the row losses
     * {@code -sum over c of q'[c] log p[c]} with {@code q' = (1 - eps) q + eps / classes}; for PyTorch's
     * {@code reduction='mean'} divide by {@code rows} and pass {@code gradScale = 1 / rows}.
     */
    public static double soft(int rows, int classes, float[] logits, int logitsOff, float[] probs, int probsOff,
                              float labelSmoothing, float[] rowLoss, int rowLossOff, float[] dlogits, int dlogitsOff,
                              float gradScale) {
        String routine = "CrossEntropy.soft";
        long size = checkCommon(routine, rows, classes, logits, logitsOff, labelSmoothing, rowLoss, rowLossOff,
                dlogits, dlogitsOff);
        Checks.span(routine, "probs", probs, probsOff, size);
        checkNoOverlap(routine, "probs", probs, probsOff, dlogits, dlogitsOff, size);
        Checks.finite(routine, "gradScale", gradScale);
        double[] losses = new double[rows];
        Chunks.rows(rows, classes, (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r * classes;
                losses[r] = VECTOR
                        ? VectorSoftmax.crossEntropySoft(classes, logits, logitsOff + o, probs, probsOff + o,
                                labelSmoothing, dlogits, dlogitsOff + o, gradScale)
                        : ScalarSoftmax.crossEntropySoft(classes, logits, logitsOff + o, probs, probsOff + o,
                                labelSmoothing, dlogits, dlogitsOff + o, gradScale);
            }
        });
        return total(losses, rowLoss, rowLossOff);
    }

    private static double total(double[] losses, float[] rowLoss, int rowLossOff) {
        double sum = 0;
        for (int r = 0; r < losses.length; r++) {
            sum += losses[r];
            if (rowLoss != null) {
                rowLoss[rowLossOff + r] = (float) losses[r];
            }
        }
        return sum;
    }

    /** Checks everything for class-index targets and returns how many rows are not ignored. */
    private static int checkHard(String routine, int rows, int classes, float[] logits, int logitsOff, int[] targets,
                                 int targetsOff, int ignoreIndex, float labelSmoothing, float[] rowLoss,
                                 int rowLossOff, float[] dlogits, int dlogitsOff) {
        checkCommon(routine, rows, classes, logits, logitsOff, labelSmoothing, rowLoss, rowLossOff, dlogits, dlogitsOff);
        Checks.span(routine, "targets", targets, targetsOff, rows);
        int counted = 0;
        for (int r = 0; r < rows; r++) {
            int t = targets[targetsOff + r];
            if (t == ignoreIndex) {
                continue;
            }
            if (t < 0 || t >= classes) {
                throw new IllegalArgumentException(routine + ": targets[" + r + "] = " + t + " is not a class in [0, "
                        + classes + ") nor ignoreIndex = " + ignoreIndex);
            }
            counted++;
        }
        return counted;
    }

    private static long checkCommon(String routine, int rows, int classes, float[] logits, int logitsOff,
                                    float labelSmoothing, float[] rowLoss, int rowLossOff, float[] dlogits,
                                    int dlogitsOff) {
        long size = Checks.block(routine, rows, classes);
        if (rows > 0 && classes == 0) {
            throw new IllegalArgumentException(routine + ": classes = 0, a row needs at least one class");
        }
        Checks.span(routine, "logits", logits, logitsOff, size);
        Checks.inRange(routine, "labelSmoothing", labelSmoothing, 0, 1);
        Checks.optionalSpan(routine, "rowLoss", rowLoss, rowLossOff, rows);
        Checks.optionalSpan(routine, "dlogits", dlogits, dlogitsOff, size);
        checkNoOverlap(routine, "logits", logits, logitsOff, dlogits, dlogitsOff, size);
        return size;
    }

    /** The gradient is written while the inputs are still being read, so it must not overlap them. */
    private static void checkNoOverlap(String routine, String name, float[] input, int inputOff, float[] dlogits,
                                       int dlogitsOff, long size) {
        if (dlogits == input && size > 0 && dlogitsOff < inputOff + size && inputOff < dlogitsOff + size) {
            throw new IllegalArgumentException(routine + ": dlogits overlaps " + name + " (offsets " + dlogitsOff
                    + " and " + inputOff + ", " + size + " floats each)");
        }
    }
}
