package dev.lanes.kernels;

import static dev.lanes.kernels.TorchFixturesTest.OFFSET;
import static dev.lanes.kernels.TorchFixturesTest.SENTINEL;
import static dev.lanes.kernels.TorchFixturesTest.assertClose;
import static dev.lanes.kernels.TorchFixturesTest.assertOffsetRun;
import static dev.lanes.kernels.TorchFixturesTest.output;
import static dev.lanes.kernels.TorchFixturesTest.placed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * {@code F.cross_entropy} against {@link CrossEntropy} ({@code fixtures/kernels/cross_entropy.txt}): logits
 * 8 x 10 (one row of large logits 1000, 999, ..., -1000; one logit of 40), class targets with
 * {@code reduction} mean / sum / none, {@code ignore_index} (-100 on two rows, and 3, a valid class number),
 * label smoothing 0.1 / 0.2 / 0.3 / 1.0 and with ignoring, every row ignored (PyTorch: NaN loss, zero
 * gradient); probability targets (soft labels, one row one-hot) with and without smoothing. Each case also
 * checks {@code d loss / d logits} from autograd.
 *
 * <p>Tolerances: the loss is accumulated in double per row from a float log-sum-exp (exp 2 ulp, a float
 * sum over 10 classes): 1e-6 relative (8 ulp) + 1e-7 absolute for losses near 0 (PyTorch's own float32
 * loss is within a few ulp). The gradient is {@code scale * (softmax - target')}: errors are those of
 * the softmax probabilities (1e-6 absolute, as for softmax) times the scale (1/rows or 1/counted for mean),
 * so {@code 1e-6 * scale} absolute + 4 ulp relative.
 */
class TorchCrossEntropyFixturesTest {
    private static final Fixtures F = TorchFixturesTest.load("cross_entropy.txt");
    private static final float[] LOGITS = F.floats("logits");
    private static final int ROWS = F.get("logits").shape()[0], CLASSES = F.get("logits").shape()[1];
    private static final double LOSS_RTOL = 1e-6, LOSS_ATOL = 1e-7, GRAD_RTOL = 4 * TorchFixturesTest.EPS;

    @TestFactory
    Stream<DynamicTest> meanReductionMatchesPyTorch() {
        return Stream.of("mean", "mean_ignore", "mean_smooth", "mean_ignore_smooth", "mean_ignore3",
                "mean_all_ignored", "mean_smooth1").map(c -> DynamicTest.dynamicTest(c, () -> {
            int[] targets = F.ints(c + "_targets");
            int ignore = F.ints(c + "_ignore")[0];
            float eps = F.scalar(c + "_smoothing");
            float[] grad = new float[LOGITS.length];
            float loss = CrossEntropy.mean(ROWS, CLASSES, LOGITS, 0, targets, 0, ignore, eps, grad, 0);
            assertClose("cross_entropy " + c + " loss", F.scalar(c + "_loss"), loss, LOSS_RTOL, LOSS_ATOL);
            long counted = Arrays.stream(targets).filter(t -> t != ignore).count();
            double scale = counted == 0 ? 1 : 1.0 / counted;
            assertClose("cross_entropy " + c + " grad", F.floats(c + "_grad"), grad, GRAD_RTOL, 1e-6 * scale, null);
            // without a gradient array: the same loss
            assertEquals(loss, CrossEntropy.mean(ROWS, CLASSES, LOGITS, 0, targets, 0, ignore, eps, null, 0), 0f,
                    c + ": loss without gradient");
            // at offsets: logits at 5, targets at 3, gradient at 7
            int[] placedTargets = new int[targets.length + 6];
            Arrays.fill(placedTargets, Integer.MIN_VALUE);
            System.arraycopy(targets, 0, placedTargets, 3, targets.length);
            float[] out = output(grad.length, OFFSET + 2);
            float again = CrossEntropy.mean(ROWS, CLASSES, placed(LOGITS, OFFSET), OFFSET, placedTargets, 3, ignore,
                    eps, out, OFFSET + 2);
            assertEquals(Float.floatToIntBits(loss), Float.floatToIntBits(again), c + ": loss at offsets");
            assertOffsetRun("cross_entropy " + c + " grad", grad, out, OFFSET + 2);
        }));
    }

    @TestFactory
    Stream<DynamicTest> sumAndNoneReductionsMatchPyTorch() {
        return Stream.of("sum", "sum_ignore_smooth", "none", "none_ignore_smooth").map(c -> DynamicTest.dynamicTest(c, () -> {
            int[] targets = F.ints(c + "_targets");
            int ignore = F.ints(c + "_ignore")[0];
            float eps = F.scalar(c + "_smoothing");
            float[] grad = new float[LOGITS.length];
            float[] rowLoss = new float[ROWS];
            double sum = CrossEntropy.rows(ROWS, CLASSES, LOGITS, 0, targets, 0, ignore, eps, rowLoss, 0, grad, 0, 1f);
            float[] want = F.floats(c + "_loss");
            if (c.startsWith("sum")) {
                assertClose("cross_entropy " + c + " loss", want[0], (float) sum, LOSS_RTOL, LOSS_ATOL);
            } else {
                assertClose("cross_entropy " + c + " row losses", want, rowLoss, LOSS_RTOL, LOSS_ATOL, null);
                double total = 0;
                for (float l : rowLoss) {
                    total += l;
                }
                assertEquals(total, sum, 1e-6 * Math.abs(total), c + ": the sum returned is the sum of the row losses");
            }
            // gradient of the sum: scale 1
            assertClose("cross_entropy " + c + " grad", F.floats(c + "_grad"), grad, GRAD_RTOL, 1e-6, null);
            // offsets: row losses at 7
            float[] rowOut = output(ROWS, OFFSET + 2);
            float[] gradOut = output(grad.length, OFFSET + 1);
            int[] placedTargets = new int[targets.length + 4];
            System.arraycopy(targets, 0, placedTargets, 4, targets.length);
            double again = CrossEntropy.rows(ROWS, CLASSES, placed(LOGITS, OFFSET), OFFSET, placedTargets, 4, ignore, eps,
                    rowOut, OFFSET + 2, gradOut, OFFSET + 1, 1f);
            assertEquals(sum, again, 0.0, c + ": sum at offsets");
            assertOffsetRun("cross_entropy " + c + " row losses", rowLoss, rowOut, OFFSET + 2);
            assertOffsetRun("cross_entropy " + c + " grad", grad, gradOut, OFFSET + 1);
        }));
    }

    @TestFactory
    Stream<DynamicTest> probabilityTargetsMatchPyTorch() {
        float[] probs = F.floats("probs");
        return Stream.of("soft_mean", "soft_mean_smooth", "soft_sum", "soft_none_smooth").map(c -> DynamicTest.dynamicTest(c, () -> {
            float eps = F.scalar(c + "_smoothing");
            boolean mean = c.startsWith("soft_mean");
            float gradScale = mean ? 1f / ROWS : 1f;
            float[] grad = new float[LOGITS.length];
            float[] rowLoss = new float[ROWS];
            double sum = CrossEntropy.soft(ROWS, CLASSES, LOGITS, 0, probs, 0, eps, rowLoss, 0, grad, 0, gradScale);
            float[] want = F.floats(c + "_loss");
            if (c.endsWith("none_smooth")) {
                assertClose("cross_entropy " + c + " row losses", want, rowLoss, LOSS_RTOL, LOSS_ATOL, null);
            } else {
                float loss = (float) (mean ? sum / ROWS : sum);
                assertClose("cross_entropy " + c + " loss", want[0], loss, LOSS_RTOL, LOSS_ATOL);
            }
            assertClose("cross_entropy " + c + " grad", F.floats(c + "_grad"), grad, GRAD_RTOL, 1e-6 * gradScale, null);
            float[] gradOut = output(grad.length, OFFSET + 2);
            double again = CrossEntropy.soft(ROWS, CLASSES, placed(LOGITS, OFFSET), OFFSET, placed(probs, OFFSET + 1),
                    OFFSET + 1, eps, null, 0, gradOut, OFFSET + 2, gradScale);
            assertEquals(sum, again, 0.0, c + ": loss at offsets");
            assertOffsetRun("cross_entropy " + c + " grad", grad, gradOut, OFFSET + 2);
        }));
    }

    @Test
    void ignoredRowsGetZeroGradientAndTheLargeLogitRowIsFinite() {
        int[] targets = F.ints("mean_ignore_targets");
        float[] grad = new float[LOGITS.length];
        Arrays.fill(grad, SENTINEL);
        float loss = CrossEntropy.mean(ROWS, CLASSES, LOGITS, 0, targets, 0, -100, 0.1f, grad, 0);
        assertTrue(Float.isFinite(loss), "loss " + loss);
        for (int r = 0; r < ROWS; r++) {
            for (int c = 0; c < CLASSES; c++) {
                float g = grad[r * CLASSES + c];
                if (targets[r] == -100) {
                    assertEquals(0f, g, "row " + r + " is ignored");
                } else {
                    assertTrue(Float.isFinite(g), "row " + r + " class " + c + ": " + g);
                }
            }
        }
    }

    @AfterAll
    static void printWorst() {
        TorchFixturesTest.printWorst("cross_entropy");
    }
}
