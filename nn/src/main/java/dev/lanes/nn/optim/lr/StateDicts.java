package dev.lanes.nn.optim.lr;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Checks a scheduler state dict against the scheduler's own before anything is restored. */
final class StateDicts {
    /** Counters, stored as doubles, that must hold exact integers (matched on the last dotted segment). */
    private static final Set<String> INTEGER_KEYS = Set.of("last_epoch", "step_count", "num_bad_epochs", "cooldown_counter");
    /** Learning rates, which must be finite and non-negative. */
    private static final Set<String> LR_KEYS = Set.of("base_lrs", "last_lr");

    private StateDicts() {}

    /**
     * Throws IllegalArgumentException naming the routine unless {@code state} has exactly the keys of
     * {@code own}, arrays of the same lengths, integers where counters are, and valid learning rates.
     */
    static void check(String routine, Map<String, double[]> own, Map<String, double[]> state) {
        if (state == null) {
            throw new IllegalArgumentException(routine + ": state is null");
        }
        TreeSet<String> missing = new TreeSet<>(own.keySet());
        missing.removeAll(state.keySet());
        TreeSet<String> unexpected = new TreeSet<>(state.keySet());
        unexpected.removeAll(own.keySet());
        if (!missing.isEmpty() || !unexpected.isEmpty()) {
            throw new IllegalArgumentException(routine + ": missing keys " + missing + ", unexpected keys " + unexpected
                    + " (a state dict of another scheduler class or configuration?)");
        }
        for (Map.Entry<String, double[]> e : own.entrySet()) {
            String key = e.getKey();
            double[] values = state.get(key);
            if (values == null || values.length != e.getValue().length) {
                throw new IllegalArgumentException(routine + ": '" + key + "' has " + (values == null ? "no" : values.length)
                        + " values, expected " + e.getValue().length + " (one per parameter group for learning rates)");
            }
            String last = key.substring(key.lastIndexOf('.') + 1);
            for (double v : values) {
                if (INTEGER_KEYS.contains(last) && !(v == Math.rint(v) && Math.abs(v) <= Integer.MAX_VALUE)) {
                    throw new IllegalArgumentException(routine + ": '" + key + "' must be an integer, got " + Arrays.toString(values));
                }
                if (LR_KEYS.contains(last) && !(v >= 0 && v < Double.POSITIVE_INFINITY)) {
                    throw new IllegalArgumentException(routine + ": '" + key + "' must hold finite learning rates >= 0, got "
                            + Arrays.toString(values));
                }
            }
        }
    }
}
