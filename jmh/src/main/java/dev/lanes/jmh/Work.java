package dev.lanes.jmh;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The units a user thinks in, as JMH secondary metrics. A benchmark method takes one of these counters as
 * an argument and adds the work of one call to it; JMH reports the counter per unit of time next to the
 * time per call, so a GEMM shows GFLOP/s and a training step samples/s in the same row.
 *
 * <p>JMH normalises an {@link AuxCounters.Type#OPERATIONS} counter to the benchmark's output time unit
 * ({@code ops/us} for a suite in microseconds); {@link dev.lanes.jmh.results.Metric} converts it back to
 * per second, and the report names it after the field ({@code gflop} is shown as GFLOP/s).
 */
public final class Work {
    private Work() {}

    /** Floating-point operations, in units of 10^9: reported as GFLOP/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flop {
        public double gflop;

        @Setup(Level.Iteration)
        public void clear() {
            gflop = 0;
        }
    }

    /** Bytes read plus bytes written, in units of 10^9: reported as GB/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Bytes {
        public double gbyte;

        @Setup(Level.Iteration)
        public void clear() {
            gbyte = 0;
        }
    }

    /** Training or inference samples (images, sequences): reported as samples/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Samples {
        public long samples;

        @Setup(Level.Iteration)
        public void clear() {
            samples = 0;
        }
    }

    /** Tokens processed or generated: reported as tokens/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Tokens {
        public long tokens;

        @Setup(Level.Iteration)
        public void clear() {
            tokens = 0;
        }
    }
}
