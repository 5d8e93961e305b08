package dev.lanes.kernels;

import dev.lanes.kernels.internal.Checks;
import dev.lanes.kernels.internal.Chunks;
import dev.lanes.kernels.internal.KernelProvider;
import dev.lanes.kernels.ops.ScalarElementwise;
import dev.lanes.kernels.ops.VectorElementwise;

/**
 * Element-wise arithmetic over spans of floats: the four binary operators between two spans, with a row
 * vector broadcast down a {@code rows x cols} block, with a column vector broadcast across it, or with a
 * scalar; and {@code axpy}, {@code scale}, {@code fill}, {@code copy}, {@code clamp}.
 *
 * <p>Blocks are row-major and contiguous from their offset. An output may be the same region as an input
 * (in-place) but must not overlap it partially. Large spans run on the {@link Threads} pool in fixed chunks;
 * every element is computed the same way whatever the chunk, so results do not depend on the thread count.
 * Arguments are checked before anything is written; a bad one throws {@link IllegalArgumentException}.
 */
public final class Elementwise {
    private static final boolean VECTOR = KernelProvider.get().vectorized();

    /** A binary arithmetic operator, IEEE single precision (one rounding). */
    public enum Op {
        ADD, SUB, MUL, DIV
    }

    private Elementwise() {}

    /** {@code y[i] = a[i] op b[i]} for {@code i < n}. */
    public static void binary(Op op, int n, float[] a, int aOff, float[] b, int bOff, float[] y, int yOff) {
        String routine = "Elementwise.binary";
        checkOp(routine, op);
        Checks.nonNegative(routine, "n", n);
        Checks.span(routine, "a", a, aOff, n);
        Checks.span(routine, "b", b, bOff, n);
        Checks.span(routine, "y", y, yOff, n);
        Chunks.elements(n, (from, to) -> span(op, to - from, a, aOff + from, b, bOff + from, y, yOff + from));
    }

    /** {@code y[r][c] = a[r][c] op row[c]}: a length-{@code cols} row vector broadcast down the block. */
    public static void binaryRow(Op op, int rows, int cols, float[] a, int aOff, float[] row, int rowOff,
                                 float[] y, int yOff) {
        String routine = "Elementwise.binaryRow";
        checkOp(routine, op);
        long size = Checks.block(routine, rows, cols);
        Checks.span(routine, "a", a, aOff, size);
        Checks.span(routine, "row", row, rowOff, rows == 0 ? 0 : cols);
        Checks.span(routine, "y", y, yOff, size);
        Chunks.rows(rows, cols, (from, to) -> {
            for (int r = from; r < to; r++) {
                span(op, cols, a, aOff + r * cols, row, rowOff, y, yOff + r * cols);
            }
        });
    }

    /** {@code y[r][c] = a[r][c] op column[r]}: a length-{@code rows} column vector broadcast across the block. */
    public static void binaryColumn(Op op, int rows, int cols, float[] a, int aOff, float[] column, int columnOff,
                                    float[] y, int yOff) {
        String routine = "Elementwise.binaryColumn";
        checkOp(routine, op);
        long size = Checks.block(routine, rows, cols);
        Checks.span(routine, "a", a, aOff, size);
        Checks.span(routine, "column", column, columnOff, cols == 0 ? 0 : rows);
        Checks.span(routine, "y", y, yOff, size);
        if (cols == 0) {
            return; // nothing to write, and the column may be empty
        }
        Chunks.rows(rows, cols, (from, to) -> {
            for (int r = from; r < to; r++) {
                scalarSpan(op, cols, a, aOff + r * cols, column[columnOff + r], y, yOff + r * cols);
            }
        });
    }

    /** {@code y[i] = a[i] op s}. */
    public static void binaryScalar(Op op, int n, float[] a, int aOff, float s, float[] y, int yOff) {
        String routine = "Elementwise.binaryScalar";
        checkOp(routine, op);
        Checks.nonNegative(routine, "n", n);
        Checks.span(routine, "a", a, aOff, n);
        Checks.span(routine, "y", y, yOff, n);
        Chunks.elements(n, (from, to) -> scalarSpan(op, to - from, a, aOff + from, s, y, yOff + from));
    }

    /** {@code y[i] += alpha * x[i]} (BLAS {@code saxpy} with unit strides), rounded once per element. */
    public static void axpy(int n, float alpha, float[] x, int xOff, float[] y, int yOff) {
        String routine = "Elementwise.axpy";
        Checks.nonNegative(routine, "n", n);
        Checks.span(routine, "x", x, xOff, n);
        Checks.span(routine, "y", y, yOff, n);
        Chunks.elements(n, (from, to) -> {
            if (VECTOR) {
                VectorElementwise.axpy(to - from, alpha, x, xOff + from, y, yOff + from);
            } else {
                ScalarElementwise.axpy(to - from, alpha, x, xOff + from, y, yOff + from);
            }
        });
    }

    /** {@code y[i] = alpha * x[i]}. */
    public static void scale(int n, float alpha, float[] x, int xOff, float[] y, int yOff) {
        String routine = "Elementwise.scale";
        Checks.nonNegative(routine, "n", n);
        Checks.span(routine, "x", x, xOff, n);
        Checks.span(routine, "y", y, yOff, n);
        Chunks.elements(n, (from, to) -> scalarSpan(Op.MUL, to - from, x, xOff + from, alpha, y, yOff + from));
    }

    /** {@code y[i] = value}. */
    public static void fill(int n, float value, float[] y, int yOff) {
        String routine = "Elementwise.fill";
        Checks.nonNegative(routine, "n", n);
        Checks.span(routine, "y", y, yOff, n);
        Chunks.elements(n, (from, to) -> {
            if (VECTOR) {
                VectorElementwise.fill(to - from, value, y, yOff + from);
            } else {
                ScalarElementwise.fill(to - from, value, y, yOff + from);
            }
        });
    }

    /**
     * {@code y[i] = x[i]}. Overlapping spans are copied as if through a temporary ({@link System#arraycopy},
     * which the JIT already compiles to vector moves).
     */
    public static void copy(int n, float[] x, int xOff, float[] y, int yOff) {
        String routine = "Elementwise.copy";
        Checks.nonNegative(routine, "n", n);
        Checks.span(routine, "x", x, xOff, n);
        Checks.span(routine, "y", y, yOff, n);
        System.arraycopy(x, xOff, y, yOff, n);
    }

    /**
     * {@code y[i] = min(max(x[i], min), max)} as {@code torch.clamp}: NaN stays NaN, and when
     * {@code min > max} every element becomes {@code max}.
     */
    public static void clamp(int n, float min, float max, float[] x, int xOff, float[] y, int yOff) {
        String routine = "Elementwise.clamp";
        Checks.nonNegative(routine, "n", n);
        if (Float.isNaN(min) || Float.isNaN(max)) {
            throw new IllegalArgumentException(routine + ": min = " + min + ", max = " + max + " must not be NaN");
        }
        Checks.span(routine, "x", x, xOff, n);
        Checks.span(routine, "y", y, yOff, n);
        Chunks.elements(n, (from, to) -> {
            if (VECTOR) {
                VectorElementwise.clamp(to - from, min, max, x, xOff + from, y, yOff + from);
            } else {
                ScalarElementwise.clamp(to - from, min, max, x, xOff + from, y, yOff + from);
            }
        });
    }

    private static void span(Op op, int n, float[] a, int ao, float[] b, int bo, float[] y, int yo) {
        if (VECTOR) {
            switch (op) {
                case ADD -> VectorElementwise.add(n, a, ao, b, bo, y, yo);
                case SUB -> VectorElementwise.sub(n, a, ao, b, bo, y, yo);
                case MUL -> VectorElementwise.mul(n, a, ao, b, bo, y, yo);
                case DIV -> VectorElementwise.div(n, a, ao, b, bo, y, yo);
            }
        } else {
            switch (op) {
                case ADD -> ScalarElementwise.add(n, a, ao, b, bo, y, yo);
                case SUB -> ScalarElementwise.sub(n, a, ao, b, bo, y, yo);
                case MUL -> ScalarElementwise.mul(n, a, ao, b, bo, y, yo);
                case DIV -> ScalarElementwise.div(n, a, ao, b, bo, y, yo);
            }
        }
    }

    private static void scalarSpan(Op op, int n, float[] a, int ao, float s, float[] y, int yo) {
        if (VECTOR) {
            switch (op) {
                case ADD -> VectorElementwise.addScalar(n, a, ao, s, y, yo);
                case SUB -> VectorElementwise.subScalar(n, a, ao, s, y, yo);
                case MUL -> VectorElementwise.mulScalar(n, a, ao, s, y, yo);
                case DIV -> VectorElementwise.divScalar(n, a, ao, s, y, yo);
            }
        } else {
            switch (op) {
                case ADD -> ScalarElementwise.addScalar(n, a, ao, s, y, yo);
                case SUB -> ScalarElementwise.subScalar(n, a, ao, s, y, yo);
                case MUL -> ScalarElementwise.mulScalar(n, a, ao, s, y, yo);
                case DIV -> ScalarElementwise.divScalar(n, a, ao, s, y, yo);
            }
        }
    }

    private static void checkOp(String routine, Op op) {
        if (op == null) {
            throw new IllegalArgumentException(routine + ": op is null");
        }
    }
}
