package dev.lanes.kernels.internal;

import dev.lanes.kernels.Threads;

/**
 * Splits a streaming kernel's range into fixed-size chunks run on the Lanes pool. Chunk boundaries depend
 * only on the problem size, never on the thread count, so results are the same bits for any thread count.
 */
public final class Chunks {
    /** Elements per task for streaming kernels: 64 KB per operand, enough to amortise a task hand-off. */
    public static final int GRAIN = 16_384;

    /** Below this many elements a kernel runs on the calling thread: waking a worker costs ~20 us. */
    private static final int PARALLEL_THRESHOLD = 4 * GRAIN;

    private Chunks() {}

    /** A kernel body over the half-open range {@code [from, to)}. */
    @FunctionalInterface
    public interface Range {
        void run(int from, int to);
    }

    /** Runs {@code body} over {@code [0, n)} in chunks of {@link #GRAIN} elements. */
    public static void elements(int n, Range body) {
        split(n, GRAIN, (long) n, body);
    }

    /**
     * Runs {@code body} over row ranges of a {@code rows x cols} block, each chunk holding about
     * {@link #GRAIN} elements (at least one row).
     */
    public static void rows(int rows, int cols, Range body) {
        split(rows, Math.max(1, GRAIN / Math.max(1, cols)), (long) rows * cols, body);
    }

    private static void split(int n, int grain, long elements, Range body) {
        int tasks = (int) ((n + (long) grain - 1) / grain);
        if (tasks <= 1 || elements < PARALLEL_THRESHOLD || Threads.count() == 1 || Threads.inTask()) {
            body.run(0, n);
            return;
        }
        Threads.parallelFor(tasks, t -> body.run(t * grain, (int) Math.min(n, (long) (t + 1) * grain)));
    }
}
