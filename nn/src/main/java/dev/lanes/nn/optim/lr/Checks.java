package dev.lanes.nn.optim.lr;

/** Argument checks shared by the schedulers; messages name the routine, the argument and the value. */
final class Checks {
    private Checks() {}

    /** A learning rate, factor or threshold: finite and {@code >= 0}. */
    static void nonNegative(String routine, String name, double value) {
        if (!(value >= 0 && value < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException(routine + ": " + name + " = " + value + " must be finite and >= 0");
        }
    }

    /** A count: {@code >= min}. */
    static void atLeast(String routine, String name, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(routine + ": " + name + " = " + value + " must be >= " + min);
        }
    }
}
