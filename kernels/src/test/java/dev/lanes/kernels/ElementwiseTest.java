package dev.lanes.kernels;

import static dev.lanes.kernels.KernelTesting.OFFSET;
import static dev.lanes.kernels.KernelTesting.SIZES;
import static dev.lanes.kernels.KernelTesting.assertClose;
import static dev.lanes.kernels.KernelTesting.output;
import static dev.lanes.kernels.KernelTesting.span;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Element-wise arithmetic against plain Java arithmetic: one IEEE operation per element, so the results
 * must be exactly equal (and {@code axpy} equal to {@link Math#fma}).
 */
class ElementwiseTest {
    @Test
    void binaryOpsAreExactlyIeee() {
        Random random = new Random(1);
        for (Elementwise.Op op : Elementwise.Op.values()) {
            for (int n : SIZES) {
                float[] a = span(random, n, -4f, 4f), b = span(random, n, 0.5f, 3f);
                float[] y = output(n), want = output(n);
                for (int i = OFFSET; i < OFFSET + n; i++) {
                    want[i] = apply(op, a[i], b[i]);
                }
                Elementwise.binary(op, n, a, OFFSET, b, OFFSET, y, OFFSET);
                assertClose(op + " n=" + n, want, y, n, 0, 0);

                float s = 1.75f;
                for (int i = OFFSET; i < OFFSET + n; i++) {
                    want[i] = apply(op, a[i], s);
                }
                Elementwise.binaryScalar(op, n, a, OFFSET, s, y, OFFSET);
                assertClose(op + " scalar n=" + n, want, y, n, 0, 0);
            }
        }
    }

    @Test
    void rowAndColumnBroadcasting() {
        Random random = new Random(2);
        int[][] shapes = {{0, 5}, {5, 0}, {1, 1}, {3, 17}, {7, 33}, {64, 1000}, {5000, 20}};
        for (Elementwise.Op op : Elementwise.Op.values()) {
            for (int[] shape : shapes) {
                int rows = shape[0], cols = shape[1], n = rows * cols;
                float[] a = span(random, n, -4f, 4f);
                float[] row = span(random, cols, 0.5f, 3f), column = span(random, rows, 0.5f, 3f);
                float[] y = output(n), wantRow = output(n), wantColumn = output(n);
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < cols; c++) {
                        int i = OFFSET + r * cols + c;
                        wantRow[i] = apply(op, a[i], row[OFFSET + c]);
                        wantColumn[i] = apply(op, a[i], column[OFFSET + r]);
                    }
                }
                Elementwise.binaryRow(op, rows, cols, a, OFFSET, row, OFFSET, y, OFFSET);
                assertClose(op + " row " + rows + "x" + cols, wantRow, y, n, 0, 0);
                Elementwise.binaryColumn(op, rows, cols, a, OFFSET, column, OFFSET, y, OFFSET);
                assertClose(op + " column " + rows + "x" + cols, wantColumn, y, n, 0, 0);
            }
        }
    }

    @Test
    void axpyScaleFillCopyClamp() {
        Random random = new Random(3);
        for (int n : SIZES) {
            float[] x = span(random, n, -4f, 4f), y = span(random, n, -4f, 4f);
            float[] want = y.clone();
            for (int i = OFFSET; i < OFFSET + n; i++) {
                want[i] = Math.fma(0.37f, x[i], y[i]);
            }
            Elementwise.axpy(n, 0.37f, x, OFFSET, y, OFFSET);
            assertArrayEquals(want, y, "axpy n=" + n);

            float[] out = output(n);
            Elementwise.scale(n, -2.5f, x, OFFSET, out, OFFSET);
            for (int i = OFFSET; i < OFFSET + n; i++) {
                assertEquals(-2.5f * x[i], out[i]);
            }
            Elementwise.fill(n, 0.125f, out, OFFSET);
            for (int i = 0; i < out.length; i++) {
                assertEquals(i >= OFFSET && i < OFFSET + n ? 0.125f : -7.5e29f, out[i]);
            }
            Elementwise.copy(n, x, OFFSET, out, OFFSET);
            assertClose("copy", x, out, n, 0, 0);
            Elementwise.clamp(n, -1f, 2f, x, OFFSET, out, OFFSET);
            for (int i = OFFSET; i < OFFSET + n; i++) {
                assertEquals(Math.min(Math.max(x[i], -1f), 2f), out[i]);
            }
        }
    }

    @Test
    void emptyDimensionsReadNothing() {
        Elementwise.binaryColumn(Elementwise.Op.ADD, 3, 0, new float[0], 0, new float[0], 0, new float[0], 0);
        Elementwise.binaryRow(Elementwise.Op.ADD, 0, 4, new float[0], 0, new float[0], 0, new float[0], 0);
    }

    @Test
    void clampFollowsTorch() {
        float[] x = {Float.NaN, -5f, 0.5f, 5f, Float.NEGATIVE_INFINITY};
        float[] y = new float[5];
        Elementwise.clamp(5, -1f, 1f, x, 0, y, 0);
        assertTrue(Float.isNaN(y[0]));
        assertArrayEquals(new float[] {-1f, 0.5f, 1f, -1f}, java.util.Arrays.copyOfRange(y, 1, 5));
        Elementwise.clamp(5, 2f, 1f, x, 0, y, 0); // min > max: everything becomes max (torch.clamp)
        assertArrayEquals(new float[] {1f, 1f, 1f, 1f}, java.util.Arrays.copyOfRange(y, 1, 5));
    }

    @Test
    void badArgumentsThrowBeforeWriting() {
        float[] a = new float[12], y = new float[12];
        java.util.Arrays.fill(y, 9f);
        assertThrows(IllegalArgumentException.class, () -> Elementwise.binary(Elementwise.Op.ADD, 12, a, 0, new float[11], 0, y, 0));
        assertThrows(IllegalArgumentException.class, () -> Elementwise.binary(null, 1, a, 0, a, 0, y, 0));
        assertThrows(IllegalArgumentException.class, () -> Elementwise.binaryRow(Elementwise.Op.MUL, 3, 4, a, 0, new float[3], 0, y, 0));
        assertThrows(IllegalArgumentException.class, () -> Elementwise.binaryColumn(Elementwise.Op.MUL, 3, 4, a, 0, new float[2], 0, y, 0));
        assertThrows(IllegalArgumentException.class, () -> Elementwise.binaryRow(Elementwise.Op.MUL, -3, 4, a, 0, a, 0, y, 0));
        assertThrows(IllegalArgumentException.class, () -> Elementwise.axpy(12, 1f, a, 1, y, 0));
        assertThrows(IllegalArgumentException.class, () -> Elementwise.clamp(2, Float.NaN, 1f, a, 0, y, 0));
        assertThrows(IllegalArgumentException.class, () -> Elementwise.fill(13, 0f, y, 0));
        float[] nine = new float[12];
        java.util.Arrays.fill(nine, 9f);
        assertArrayEquals(nine, y);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Elementwise.binary(Elementwise.Op.ADD, 12, a, 0, new float[11], 0, y, 0));
        assertTrue(e.getMessage().contains("b is too short"), e.getMessage());
    }

    private static float apply(Elementwise.Op op, float a, float b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
        };
    }
}
