package dev.lanes.kernels;

import static dev.lanes.kernels.TorchFixturesTest.OFFSET;
import static dev.lanes.kernels.TorchFixturesTest.assertOffsetRun;
import static dev.lanes.kernels.TorchFixturesTest.assertSameBits;
import static dev.lanes.kernels.TorchFixturesTest.assertSameValues;
import static dev.lanes.kernels.TorchFixturesTest.output;
import static dev.lanes.kernels.TorchFixturesTest.placed;

import dev.lanes.kernels.Elementwise.Op;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Element-wise arithmetic and clamp against PyTorch ({@code fixtures/kernels/elementwise.txt}): a 5 x 13
 * block {@code a} op a same-shape {@code b}, a row vector broadcast down ({@code a + row[None, :]}), a column
 * vector broadcast across ({@code a + col[:, None]}), a scalar, and the scalar 0; the inputs hold +-inf,
 * NaN, +-0, 3e38 (overflow), 1e-30 (underflow) and zero divisors. clamp with ordinary bounds, min > max
 * (every element becomes max), infinite bounds and min == max, on inputs with NaN and infinities.
 *
 * <p>Tolerance: none. Each result is one IEEE single-precision operation (PyTorch's CPU kernels divide by a
 * float32 scalar too, not multiply by its reciprocal), so results must agree bit for bit, including the sign
 * of zero; NaN payloads are not compared. clamp must agree in value (NaN stays NaN); its sign of zero is
 * compared separately (see {@link #clampMatchesPyTorch}).
 */
class TorchElementwiseFixturesTest {
    private static final Fixtures F = TorchFixturesTest.load("elementwise.txt");
    private static final float[] A = F.floats("a"), B = F.floats("b"), ROW = F.floats("row"), COL = F.floats("col");
    private static final int ROWS = F.get("a").shape()[0], COLS = F.get("a").shape()[1];

    @TestFactory
    Stream<DynamicTest> binaryOpsMatchPyTorchBitForBit() {
        return Stream.of(Op.values()).flatMap(op -> {
            String name = op.name().toLowerCase(Locale.ROOT);
            return Stream.of(
                    DynamicTest.dynamicTest(name + " same shape", () -> {
                        float[] y = new float[A.length];
                        Elementwise.binary(op, A.length, A, 0, B, 0, y, 0);
                        assertSameBits("elementwise " + name + " same", F.floats(name + "_same"), y, A);
                        float[] out = output(A.length, OFFSET + 2);
                        Elementwise.binary(op, A.length, placed(A, OFFSET), OFFSET, placed(B, OFFSET + 1), OFFSET + 1,
                                out, OFFSET + 2);
                        assertOffsetRun("elementwise " + name + " same", y, out, OFFSET + 2);
                        float[] inPlace = A.clone();
                        Elementwise.binary(op, A.length, inPlace, 0, B, 0, inPlace, 0);
                        assertSameBits("elementwise " + name + " same in place", y, inPlace, A);
                    }),
                    DynamicTest.dynamicTest(name + " row broadcast", () -> {
                        float[] y = new float[A.length];
                        Elementwise.binaryRow(op, ROWS, COLS, A, 0, ROW, 0, y, 0);
                        assertSameBits("elementwise " + name + " row", F.floats(name + "_row"), y, A);
                        float[] out = output(A.length, OFFSET + 2);
                        Elementwise.binaryRow(op, ROWS, COLS, placed(A, OFFSET), OFFSET, placed(ROW, 3), 3, out, OFFSET + 2);
                        assertOffsetRun("elementwise " + name + " row", y, out, OFFSET + 2);
                    }),
                    DynamicTest.dynamicTest(name + " column broadcast", () -> {
                        float[] y = new float[A.length];
                        Elementwise.binaryColumn(op, ROWS, COLS, A, 0, COL, 0, y, 0);
                        assertSameBits("elementwise " + name + " col", F.floats(name + "_col"), y, A);
                        float[] out = output(A.length, OFFSET + 2);
                        Elementwise.binaryColumn(op, ROWS, COLS, placed(A, OFFSET), OFFSET, placed(COL, 1), 1, out, OFFSET + 2);
                        assertOffsetRun("elementwise " + name + " col", y, out, OFFSET + 2);
                    }),
                    DynamicTest.dynamicTest(name + " scalar", () -> {
                        for (String which : new String[] {"scalar", "scalar0"}) {
                            float s = which.equals("scalar") ? F.scalar("s") : 0f;
                            float[] y = new float[A.length];
                            Elementwise.binaryScalar(op, A.length, A, 0, s, y, 0);
                            assertSameBits("elementwise " + name + " " + which, F.floats(name + "_" + which), y, A);
                            float[] out = output(A.length, OFFSET);
                            Elementwise.binaryScalar(op, A.length, placed(A, OFFSET + 2), OFFSET + 2, s, out, OFFSET);
                            assertOffsetRun("elementwise " + name + " " + which, y, out, OFFSET);
                        }
                    }));
        });
    }

    @TestFactory
    Stream<DynamicTest> clampMatchesPyTorch() {
        return Stream.iterate(0, k -> F.has("clamp" + k + "_x"), k -> k + 1).map(k -> DynamicTest.dynamicTest(
                "clamp " + k, () -> {
                    float[] x = F.floats("clamp" + k + "_x");
                    float lo = F.scalar("clamp" + k + "_min"), hi = F.scalar("clamp" + k + "_max");
                    float[] y = new float[x.length];
                    Elementwise.clamp(x.length, lo, hi, x, 0, y, 0);
                    // by value: PyTorch's clamp keeps -0.0 at a bound of 0, Lanes' max/min give +0.0 (printed)
                    assertSameValues("elementwise clamp [" + lo + ", " + hi + "]", F.floats("clamp" + k + "_y"), y, x);
                    float[] out = output(x.length, OFFSET + 2);
                    Elementwise.clamp(x.length, lo, hi, placed(x, OFFSET), OFFSET, out, OFFSET + 2);
                    assertOffsetRun("elementwise clamp " + k, y, out, OFFSET + 2);
                }));
    }

    @AfterAll
    static void printWorst() {
        TorchFixturesTest.printWorst("elementwise");
    }
}
