package dev.lanes.kernels.internal;

/**
 * Argument checks shared by the kernel front ends. Each throws {@link IllegalArgumentException} with a
 * message naming the routine, the argument and the values at fault; messages are only built when a check
 * fails, so a valid call allocates nothing here.
 */
public final class Checks {
    private Checks() {}

    public static void nonNegative(String routine, String name, int value) {
        if (value < 0) {
            throw new IllegalArgumentException(routine + ": " + name + " = " + value + " is negative");
        }
    }

    /** Checks that {@code length} floats from {@code off} fit in {@code array}, which must not be null. */
    public static void span(String routine, String arrayName, float[] array, int off, long length) {
        if (array == null) {
            throw new IllegalArgumentException(routine + ": " + arrayName + " is null");
        }
        checkRange(routine, arrayName, array.length, off, length);
    }

    /** As {@link #span(String, String, float[], int, long)} for an {@code int[]}. */
    public static void span(String routine, String arrayName, int[] array, int off, long length) {
        if (array == null) {
            throw new IllegalArgumentException(routine + ": " + arrayName + " is null");
        }
        checkRange(routine, arrayName, array.length, off, length);
    }

    /** As {@link #span(String, String, float[], int, long)}, but a null array is allowed (an optional operand). */
    public static void optionalSpan(String routine, String arrayName, float[] array, int off, long length) {
        if (array != null) {
            checkRange(routine, arrayName, array.length, off, length);
        }
    }

    /** Checks that {@code rows x cols} is a valid block shape and returns its size as a long. */
    public static long block(String routine, int rows, int cols) {
        nonNegative(routine, "rows", rows);
        nonNegative(routine, "cols", cols);
        return (long) rows * cols;
    }

    /** Checks {@code value > 0} and finite, for epsilons and similar. */
    public static void positive(String routine, String name, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(routine + ": " + name + " = " + value + " must be positive and finite");
        }
    }

    /** Checks {@code lo <= value <= hi} (false for NaN). */
    public static void inRange(String routine, String name, double value, double lo, double hi) {
        if (!(value >= lo && value <= hi)) {
            throw new IllegalArgumentException(routine + ": " + name + " = " + value + " must be in [" + lo + ", " + hi + "]");
        }
    }

    /** Checks that {@code value} is not NaN or infinite. */
    public static void finite(String routine, String name, double value) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException(routine + ": " + name + " = " + value + " must be finite");
        }
    }

    private static void checkRange(String routine, String arrayName, int arrayLength, int off, long length) {
        if (off < 0) {
            throw new IllegalArgumentException(routine + ": the offset into " + arrayName + " = " + off + " is negative");
        }
        if (off + length > arrayLength) {
            throw new IllegalArgumentException(routine + ": " + arrayName + " is too short: " + length
                    + " floats from offset " + off + " need length " + (off + length) + ", " + arrayName
                    + ".length = " + arrayLength);
        }
    }
}
