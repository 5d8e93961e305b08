package dev.lanes.kernels;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The thread count Lanes' kernels use, and the one {@link ForkJoinPool} they run on.
 *
 * <p>The count is read once from the system property {@code lanes.threads} (default: the number of available
 * processors) and can be changed at any time with {@link #setCount(int)}. How kernels split their work depends
 * on this count, but what each output element's arithmetic is (its summation order, the blocking of its
 * sums) does not, so a result has the same bits with 1 thread or 16.
 */
public final class Threads {
    private static final Object LOCK = new Object();
    private static volatile int count = initialCount();
    private static volatile ForkJoinPool pool;

    private Threads() {}

    private static int initialCount() {
        String property = System.getProperty("lanes.threads");
        int processors = Runtime.getRuntime().availableProcessors();
        if (property == null || property.isBlank()) {
            return processors;
        }
        try {
            int parsed = Integer.parseInt(property.trim());
            if (parsed >= 1) {
                return parsed;
            }
        } catch (NumberFormatException ignored) {
            // fall through to the message below
        }
        System.getLogger("dev.lanes").log(System.Logger.Level.WARNING,
                "lanes.threads=" + property + " is not a positive integer; using " + processors + " threads");
        return processors;
    }

    /** The number of threads kernels use (1 means: run on the calling thread only). */
    public static int count() {
        return count;
    }

    /**
     * Sets the number of threads kernels use from now on.
     *
     * @throws IllegalArgumentException if {@code threads < 1}
     */
    public static void setCount(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("thread count must be >= 1, got " + threads);
        }
        synchronized (LOCK) {
            if (threads == count) {
                return;
            }
            count = threads;
            ForkJoinPool old = pool;
            pool = null;
            if (old != null) {
                old.shutdown(); // running tasks finish; idle workers exit
            }
        }
    }

    /** The pool kernels run on; its parallelism is {@code count() - 1} because the caller takes a share. */
    public static ForkJoinPool pool() {
        ForkJoinPool p = pool;
        if (p == null) {
            synchronized (LOCK) {
                p = pool;
                if (p == null) {
                    p = new ForkJoinPool(Math.max(1, count - 1), Threads::newWorker, null, false);
                    pool = p;
                }
            }
        }
        return p;
    }

    private static ForkJoinWorkerThread newWorker(ForkJoinPool owner) {
        return new Worker(owner);
    }

    /** Lanes' own worker threads, recognisable so that kernels called from a task do not fork again. */
    private static final class Worker extends ForkJoinWorkerThread {
        private static final AtomicInteger NUMBER = new AtomicInteger();

        Worker(ForkJoinPool owner) {
            super(null, owner, true);
            setName("lanes-worker-" + NUMBER.incrementAndGet());
            setDaemon(true);
        }
    }

    /**
     * Runs {@code body.accept(i)} for every {@code i} in {@code [0, tasks)}, on up to {@link #count()} threads
     * (the caller's included), and returns when all have finished. Tasks are handed out in order as threads
     * become free, so each task must write only its own part of the output. Calls made from inside a task run
     * sequentially, so nested kernels do not oversubscribe the machine.
     *
     * <p>The caller does not wait for helper threads to wake up: it starts on the tasks at once and only waits
     * for tasks a helper has actually taken (a parked thread can take tens of microseconds to wake).
     */
    public static void parallelFor(int tasks, IntConsumer body) {
        int threads = Math.min(count, tasks);
        if (threads <= 1 || inTask()) {
            for (int i = 0; i < tasks; i++) {
                body.accept(i);
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        AtomicInteger finished = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable share = () -> {
            // Never increments past tasks, so the counter cannot wrap even for Integer.MAX_VALUE tasks.
            for (int i = claim(next, tasks); i >= 0; i = claim(next, tasks)) {
                try {
                    body.accept(i);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    finished.incrementAndGet();
                }
            }
        };
        ForkJoinPool p = pool();
        try {
            for (int h = 1; h < threads; h++) {
                p.execute(share); // a helper that starts after the last task is taken just returns
            }
        } catch (RejectedExecutionException e) {
            // setCount replaced the pool meanwhile: the caller's share below takes the remaining tasks
        }
        CALLER_RUNNING.set(Boolean.TRUE);
        try {
            share.run();
        } finally {
            CALLER_RUNNING.remove();
        }
        awaitAll(finished, tasks);
        Throwable t = failure.get();
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error e) {
            throw e;
        }
        if (t != null) {
            throw new RuntimeException(t);
        }
    }

    /** Takes the next task index, or returns -1 when all are taken. */
    private static int claim(AtomicInteger next, int tasks) {
        int i;
        do {
            i = next.get();
            if (i >= tasks) {
                return -1;
            }
        } while (!next.compareAndSet(i, i + 1));
        return i;
    }

    /** Waits until {@code finished} reaches {@code tasks}: spins briefly (tasks are short), then parks. */
    private static void awaitAll(AtomicInteger finished, int tasks) {
        for (int spins = 0; finished.get() < tasks; spins++) {
            if (spins < 20_000) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(20_000);
            }
        }
    }

    /** Marks a calling thread while it runs its share of a parallel loop, so nested loops stay sequential. */
    private static final ThreadLocal<Boolean> CALLER_RUNNING = new ThreadLocal<>();

    /**
     * True when the current thread is running a task of {@link #parallelFor} (or is a Lanes worker), where a
     * nested {@code parallelFor} runs sequentially; kernels use it to skip splitting work they cannot fork.
     */
    public static boolean inTask() {
        if (CALLER_RUNNING.get() != null) {
            return true;
        }
        return Thread.currentThread() instanceof Worker;
    }
}
