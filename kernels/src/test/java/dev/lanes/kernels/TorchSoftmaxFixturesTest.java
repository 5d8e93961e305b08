package dev.lanes.kernels;

import static dev.lanes.kernels.TorchFixturesTest.EPS;
import static dev.lanes.kernels.TorchFixturesTest.OFFSET;
import static dev.lanes.kernels.TorchFixturesTest.assertClose;
import static dev.lanes.kernels.TorchFixturesTest.assertOffsetRun;
import static dev.lanes.kernels.TorchFixturesTest.assertSameBits;
import static dev.lanes.kernels.TorchFixturesTest.output;
import static dev.lanes.kernels.TorchFixturesTest.placed;

import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * {@code torch.softmax} / {@code torch.log_softmax} over the last dimension and their autograd gradients
 * ({@code fixtures/kernels/softmax.txt}): shapes 1 x 1, 3 x 7, 4 x 33, 2 x 1000, rows of large logits
 * (1000, 999, -1000, ...: naive exponentials overflow) and rows with -inf (probability 0), all -inf (NaN)
 * and a NaN (NaN row). Backward is given PyTorch's forward output, as Lanes' backward takes the output.
 *
 * <p>Tolerances. softmax: outputs lie in [0, 1]; Lanes' exp is 2 ulp and the sum is in float, so 1e-6
 * absolute (8 ulp of 1), as planned for the kernel. log_softmax: {@code x - max - log(sum)} in float, where
 * the result can be large (-2000 in the large-logit rows): 1e-6 absolute + 2 ulp relative. Backward:
 * {@code y (dy - sum(y dy))} and {@code dy - exp(y) sum(dy)} are differences of O(|dy|) terms, with a sum
 * over the row in float: {@code 1e-6 max|dy|} absolute + 4 ulp relative; log_softmax backward's
 * {@code exp(y) sum(dy)} carries {@code |sum(dy)|} (up to ~50 for 1000 columns) times exp's 2 ulp, so its
 * absolute term is {@code 1e-6 max(|dy|, |sum dy|)}.
 */
class TorchSoftmaxFixturesTest {
    private static final Fixtures F = TorchFixturesTest.load("softmax.txt");
    private static final String[] CASES = {"s1x1", "s3x7", "s4x33", "s2x1000", "large", "special"};

    @TestFactory
    Stream<DynamicTest> softmaxMatchesPyTorch() {
        return Stream.of(CASES).map(c -> DynamicTest.dynamicTest(c, () -> {
            int[] shape = F.get(c + "_x").shape();
            int rows = shape[0], cols = shape[1];
            float[] x = F.floats(c + "_x");
            float[] y = new float[x.length];
            Softmax.softmax(rows, cols, x, 0, y, 0);
            assertClose("softmax " + c, F.floats(c + "_y"), y, 0, 1e-6, x);
            float[] out = output(x.length, OFFSET + 2);
            Softmax.softmax(rows, cols, placed(x, OFFSET), OFFSET, out, OFFSET + 2);
            assertOffsetRun("softmax " + c, y, out, OFFSET + 2);
            float[] inPlace = x.clone();
            Softmax.softmax(rows, cols, inPlace, 0, inPlace, 0);
            assertSameBits("softmax " + c + " in place", y, inPlace, x);
        }));
    }

    @TestFactory
    Stream<DynamicTest> logSoftmaxMatchesPyTorch() {
        return Stream.of(CASES).map(c -> DynamicTest.dynamicTest(c, () -> {
            int[] shape = F.get(c + "_x").shape();
            int rows = shape[0], cols = shape[1];
            float[] x = F.floats(c + "_x");
            float[] y = new float[x.length];
            Softmax.logSoftmax(rows, cols, x, 0, y, 0);
            assertClose("log_softmax " + c, F.floats(c + "_ly"), y, 2 * EPS, 1e-6, x);
            float[] out = output(x.length, OFFSET + 1);
            Softmax.logSoftmax(rows, cols, placed(x, OFFSET), OFFSET, out, OFFSET + 1);
            assertOffsetRun("log_softmax " + c, y, out, OFFSET + 1);
            float[] inPlace = x.clone();
            Softmax.logSoftmax(rows, cols, inPlace, 0, inPlace, 0);
            assertSameBits("log_softmax " + c + " in place", y, inPlace, x);
        }));
    }

    @TestFactory
    Stream<DynamicTest> softmaxBackwardMatchesAutograd() {
        return Stream.of(CASES).map(c -> DynamicTest.dynamicTest(c, () -> {
            int[] shape = F.get(c + "_x").shape();
            int rows = shape[0], cols = shape[1];
            float[] y = F.floats(c + "_y"), dy = F.floats(c + "_dy");
            float[] dx = new float[y.length];
            Softmax.softmaxBackward(rows, cols, y, 0, dy, 0, dx, 0);
            assertClose("softmax backward " + c, F.floats(c + "_dx"), dx, 4 * EPS, 1e-6 * maxAbs(dy), F.floats(c + "_x"));
            float[] out = output(y.length, OFFSET + 2);
            Softmax.softmaxBackward(rows, cols, placed(y, OFFSET), OFFSET, placed(dy, OFFSET + 1), OFFSET + 1,
                    out, OFFSET + 2);
            assertOffsetRun("softmax backward " + c, dx, out, OFFSET + 2);
        }));
    }

    @TestFactory
    Stream<DynamicTest> logSoftmaxBackwardMatchesAutograd() {
        return Stream.of(CASES).map(c -> DynamicTest.dynamicTest(c, () -> {
            int[] shape = F.get(c + "_x").shape();
            int rows = shape[0], cols = shape[1];
            float[] y = F.floats(c + "_ly"), dy = F.floats(c + "_dy");
            float[] dx = new float[y.length];
            Softmax.logSoftmaxBackward(rows, cols, y, 0, dy, 0, dx, 0);
            double scale = Math.max(maxAbs(dy), maxRowSum(dy, rows, cols));
            assertClose("log_softmax backward " + c, F.floats(c + "_ldx"), dx, 4 * EPS, 1e-6 * scale, F.floats(c + "_x"));
            float[] out = output(y.length, OFFSET + 2);
            Softmax.logSoftmaxBackward(rows, cols, placed(y, OFFSET), OFFSET, placed(dy, OFFSET + 1), OFFSET + 1,
                    out, OFFSET + 2);
            assertOffsetRun("log_softmax backward " + c, dx, out, OFFSET + 2);
        }));
    }

    static double maxAbs(float[] v) {
        double m = 0;
        for (float f : v) {
            if (Float.isFinite(f)) {
                m = Math.max(m, Math.abs(f));
            }
        }
        return m;
    }

    private static double maxRowSum(float[] v, int rows, int cols) {
        double m = 0;
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int c = 0; c < cols; c++) {
                s += v[r * cols + c];
            }
            m = Math.max(m, Math.abs(s));
        }
        return m;
    }

    @AfterAll
    static void printWorst() {
        TorchFixturesTest.printWorst("softmax");
        TorchFixturesTest.printWorst("log_softmax");
    }
}
