package dev.lanes.kernels;

import static dev.lanes.kernels.TorchFixturesTest.OFFSET;
import static dev.lanes.kernels.TorchFixturesTest.assertClose;
import static dev.lanes.kernels.TorchFixturesTest.assertOffsetRun;
import static dev.lanes.kernels.TorchFixturesTest.output;
import static dev.lanes.kernels.TorchFixturesTest.placed;
import static dev.lanes.kernels.TorchFixturesTest.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Reductions against PyTorch ({@code fixtures/kernels/reductions.txt}): sum, mean, var (correction 0 and 1),
 * max and argmax over spans of 1, 2, 7, 64, 100, 257, 300 and 1000 elements, including a large-offset
 * case (1e4 + N(0, 0.01), and 1e6 + N(0, 0.5)) that defeats {@code E[x^2] - E[x]^2} in float, a cancelling
 * case (+-1e7, +-3e6 and small values), the empty span, {@code n <= correction}; max / argmax with ties
 * (first index), infinities, signed zeros and NaN (NaN wins; argmax is the first NaN's index); dot and the
 * squared norm; row and column sums of a 9 x 71 block.
 *
 * <p>Tolerances come from the a-priori bound of blocked float summation: Lanes adds a span in 4 vector
 * accumulators of at least 4 lanes, so each partial sum chains at most {@code k = n / 16 + 5} roundings
 * (lanes and accumulators added pairwise at the end), and {@code |error| <= k u sum|x_i|} with
 * {@code u = 2^-24}. Lanes is checked against the float64 sum of the same float32 values with that bound,
 * and against PyTorch's float32 result with twice it (PyTorch's cascade sum has a smaller bound of the same
 * form). mean: the same divided by n. dot and squared norm: the same with {@code sum|x_i y_i|}, fused
 * multiply-adds adding no rounding. max, argmax: exact.
 */
class TorchReductionsFixturesTest {
    private static final Fixtures F = TorchFixturesTest.load("reductions.txt");
    private static final String[] CASES = {"n1", "n2", "n7", "n100", "n257", "n1000", "offset", "offset_big", "cancel"};
    private static final double U = 0x1p-24;

    /** The bound {@code k u sum|x|} on the error of Lanes' float sum of {@code x} (see the class comment). */
    static double sumBound(float[] x) {
        double abs = 0;
        for (float v : x) {
            abs += Math.abs(v);
        }
        return (x.length / 16 + 5) * U * abs;
    }

    @TestFactory
    Stream<DynamicTest> sumAndMeanMatchPyTorch() {
        return Stream.of(CASES).map(c -> DynamicTest.dynamicTest(c, () -> {
            float[] x = F.floats(c + "_x");
            int n = x.length;
            double bound = sumBound(x);
            double exact = F.get(c + "_sum64").values()[0];
            float sum = Reductions.sum(n, x, 0);
            assertClose("reductions sum vs float64", (float) exact, sum, 0, bound + Math.ulp((float) exact));
            assertClose("reductions sum", F.scalar(c + "_sum"), sum, 0, 2 * bound + Math.ulp((float) exact));
            float mean = Reductions.mean(n, x, 0);
            assertClose("reductions mean vs float64", (float) (exact / n), mean, 0, bound / n + Math.ulp((float) (exact / n)));
            assertClose("reductions mean", F.scalar(c + "_mean"), mean, 0, 2 * bound / n + Math.ulp((float) (exact / n)));
            // offsets: the same bits
            float[] shifted = placed(x, OFFSET);
            assertEquals(Float.floatToIntBits(sum), Float.floatToIntBits(Reductions.sum(n, shifted, OFFSET)), c + " sum at offset");
            assertEquals(Float.floatToIntBits(mean), Float.floatToIntBits(Reductions.mean(n, shifted, OFFSET)), c + " mean at offset");
        }));
    }

    /**
     * Variance. Lanes (like PyTorch's float32 CPU kernel, which it matches bit for bit on these inputs) runs
     * two passes with the mean rounded to float, {@code m~}, so its sum of squares is
     * {@code M2 + n (m - m~)^2}. With a float sum accurate to a fraction of an ulp of the mean, as here,
     * {@code |m - m~|} is under one ulp of the mean, so the tolerance is {@code n ulp(mean)^2 / (n - c)} plus
     * the second pass's float sum of n positive terms ({@code k u var}, see the class comment) plus 2 ulp.
     * For the large-offset cases that term is about 1% of the variance (both Lanes and PyTorch are 0.18% and
     * 0.9% from the float64 value there); the naive {@code E[x^2] - E[x]^2} in float is off by orders of
     * magnitude more, which the test checks so that the tolerance keeps its teeth.
     */
    @TestFactory
    Stream<DynamicTest> varianceMatchesPyTorch() {
        return Stream.of(CASES).flatMap(c -> Stream.of(0, 1).filter(corr -> F.has(c + "_var" + corr)).map(corr ->
                DynamicTest.dynamicTest(c + " correction " + corr, () -> {
                    float[] x = F.floats(c + "_x");
                    int n = x.length;
                    double exactMean = F.get(c + "_sum64").values()[0] / n;
                    double ulpMean = Math.ulp((float) exactMean);
                    double exact = F.get(c + "_var" + corr + "_64").values()[0];
                    double tol = (n / 16 + 5) * U * exact + n * ulpMean * ulpMean / Math.max(1, n - corr);
                    float var = Reductions.variance(n, x, 0, corr);
                    assertClose("reductions var vs float64 (" + c + ")", (float) exact, var, 2 * U, tol);
                    assertClose("reductions var (" + c + ")", F.scalar(c + "_var" + corr), var, 4 * U, tol);
                    assertEquals(Float.floatToIntBits(var), Float.floatToIntBits(Reductions.variance(n, placed(x, OFFSET), OFFSET, corr)),
                            c + " variance at offset");
                    if (c.startsWith("offset")) {
                        float sum = 0, sumSq = 0;
                        for (float v : x) {
                            sum += v;
                            sumSq += v * v;
                        }
                        float naive = (sumSq / n - (sum / n) * (sum / n)) * n / (n - corr);
                        assertTrue(Math.abs(naive - exact) > 100 * tol, c + ": naive float variance " + naive
                                + " vs " + exact + " should be far outside the tolerance " + tol);
                    }
                })));
    }

    @Test
    void varianceEdgeCasesMatchPyTorch() {
        float[] one = F.floats("varedge_n1_x"), two = F.floats("varedge_n2_x");
        assertSame("var n=1 correction 1", F.scalar("varedge_n1_c1"), Reductions.variance(1, one, 0, 1));
        assertSame("var n=1 correction 2", F.scalar("varedge_n1_c2"), Reductions.variance(1, one, 0, 2));
        assertSame("var n=2 correction 2", F.scalar("varedge_n2_c2"), Reductions.variance(2, two, 0, 2));
        assertSame("var n=2 correction 3", F.scalar("varedge_n2_c3"), Reductions.variance(2, two, 0, 3));
        float[] empty = F.floats("empty_x");
        assertSame("sum of empty", F.scalar("empty_sum"), Reductions.sum(0, empty, 0));
        assertSame("mean of empty", F.scalar("empty_mean"), Reductions.mean(0, empty, 0));
        assertSame("var of empty", F.scalar("empty_var0"), Reductions.variance(0, empty, 0, 0));
        // PyTorch raises for max / argmax of an empty tensor; Lanes throws
        assertThrows(IllegalArgumentException.class, () -> Reductions.max(0, empty, 0));
        assertThrows(IllegalArgumentException.class, () -> Reductions.argmax(0, empty, 0));
    }

    @TestFactory
    Stream<DynamicTest> maxAndArgmaxMatchPyTorch() {
        Stream<String> ordinary = Stream.of(CASES);
        Stream<String> special = F.entries().keySet().stream()
                .filter(k -> k.startsWith("special_") && k.endsWith("_x"))
                .map(k -> k.substring(0, k.length() - 2));
        return Stream.concat(ordinary, special).map(c -> DynamicTest.dynamicTest(c, () -> {
            float[] x = F.floats(c + "_x");
            int n = x.length;
            float max = Reductions.max(n, x, 0);
            int argmax = Reductions.argmax(n, x, 0);
            assertSame(c + " max", F.scalar(c + "_max"), max);
            assertEquals(F.ints(c + "_argmax")[0], argmax, c + " argmax of " + java.util.Arrays.toString(x));
            float[] shifted = placed(x, OFFSET);
            assertSame(c + " max at offset", max, Reductions.max(n, shifted, OFFSET));
            assertEquals(argmax, Reductions.argmax(n, shifted, OFFSET), c + " argmax at offset (counted from the offset)");
            if (F.has(c + "_sum") && c.startsWith("special_")) {
                // sums of spans with infinities / NaN: the same IEEE special value
                float sum = Reductions.sum(n, x, 0);
                float want = F.scalar(c + "_sum");
                if (!Float.isFinite(want) || !Float.isFinite(sum)) {
                    assertSame(c + " sum", want, sum);
                }
            }
            record("reductions max/argmax", 0, 0, 0);
        }));
    }

    @TestFactory
    Stream<DynamicTest> dotAndSquaredNormMatchPyTorch() {
        return Stream.of("dot", "dot7").map(c -> DynamicTest.dynamicTest(c, () -> {
            float[] x = F.floats(c + "_x"), y = F.floats(c + "_y");
            int n = x.length;
            double abs = 0, sq = 0;
            for (int i = 0; i < n; i++) {
                abs += Math.abs((double) x[i] * y[i]);
                sq += (double) x[i] * x[i];
            }
            double k = (n / 16 + 5) * U;
            float dot = Reductions.dot(n, x, 0, y, 0);
            float exact = F.scalar(c + "64");
            assertClose("reductions dot vs float64", exact, dot, 0, k * abs + Math.ulp(exact));
            assertClose("reductions dot", F.scalar(c), dot, 0, 2 * k * abs + Math.ulp(exact));
            float norm = Reductions.sumSquares(n, x, 0);
            float exactNorm = F.scalar(c + "_sumsq64");
            assertClose("reductions sumSquares vs float64", exactNorm, norm, 0, k * sq + Math.ulp(exactNorm));
            assertClose("reductions sumSquares", F.scalar(c + "_sumsq"), norm, 0, 2 * k * sq + Math.ulp(exactNorm));
            assertEquals(Float.floatToIntBits(dot), Float.floatToIntBits(
                    Reductions.dot(n, placed(x, OFFSET), OFFSET, placed(y, OFFSET + 2), OFFSET + 2)), c + " dot at offsets");
            assertEquals(Float.floatToIntBits(norm), Float.floatToIntBits(Reductions.sumSquares(n, placed(x, OFFSET), OFFSET)),
                    c + " sumSquares at offset");
        }));
    }

    @Test
    void rowAndColumnSumsMatchPyTorch() {
        float[] block = F.floats("block");
        int rows = F.get("block").shape()[0], cols = F.get("block").shape()[1];
        float[] rowSums = new float[rows];
        Reductions.rowSums(rows, cols, block, 0, rowSums, 0);
        float[] colSums = new float[cols];
        Reductions.columnSums(rows, cols, block, 0, colSums, 0);
        float[] wantRows = F.floats("block_rowsum"), wantCols = F.floats("block_colsum");
        for (int r = 0; r < rows; r++) {
            float[] row = java.util.Arrays.copyOfRange(block, r * cols, (r + 1) * cols);
            assertClose("reductions rowSums", wantRows[r], rowSums[r], 0, 2 * sumBound(row) + Math.ulp(wantRows[r]));
        }
        for (int c = 0; c < cols; c++) {
            float[] col = new float[rows];
            for (int r = 0; r < rows; r++) {
                col[r] = block[r * cols + c];
            }
            // a column adds its rows in order: at most rows - 1 roundings
            double abs = 0;
            for (float v : col) {
                abs += Math.abs(v);
            }
            assertClose("reductions columnSums", wantCols[c], colSums[c], 0, 2 * rows * U * abs + Math.ulp(wantCols[c]));
        }
        float[] out = output(rows, OFFSET + 2);
        Reductions.rowSums(rows, cols, placed(block, OFFSET), OFFSET, out, OFFSET + 2);
        assertOffsetRun("reductions rowSums", rowSums, out, OFFSET + 2);
        float[] colOut = output(cols, OFFSET + 1);
        Reductions.columnSums(rows, cols, placed(block, OFFSET), OFFSET, colOut, OFFSET + 1);
        assertOffsetRun("reductions columnSums", colSums, colOut, OFFSET + 1);
    }

    /** Same value (NaN equal to NaN, +0 to -0; infinities by sign). */
    private static void assertSame(String what, float want, float got) {
        if (!(want == got || (Float.isNaN(want) && Float.isNaN(got)))) {
            fail(what + ": PyTorch " + want + ", Lanes " + got);
        }
    }

    @AfterAll
    static void printWorst() {
        TorchFixturesTest.printWorst("reductions");
    }
}
