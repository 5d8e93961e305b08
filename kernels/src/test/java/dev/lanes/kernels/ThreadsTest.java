package dev.lanes.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ThreadsTest {
    @AfterEach
    void restore() {
        Threads.setCount(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void everyTaskRunsExactlyOnce() {
        Threads.setCount(3);
        AtomicIntegerArray runs = new AtomicIntegerArray(1000);
        Threads.parallelFor(1000, runs::incrementAndGet);
        for (int i = 0; i < 1000; i++) {
            assertEquals(1, runs.get(i), "task " + i);
        }
    }

    @Test
    void usesSeveralThreadsAndNestedLoopsStayOnTheirThread() {
        Threads.setCount(2);
        Set<String> names = ConcurrentHashMap.newKeySet();
        long deadline = System.nanoTime() + 10_000_000_000L;
        Threads.parallelFor(64, i -> {
            String outer = Thread.currentThread().getName();
            names.add(outer);
            // Wait for the other thread to take a task, rather than hope it does within a few timed tasks:
            // on a loaded machine one thread can be descheduled for milliseconds.
            while (names.size() < 2 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            busyWait();
            Threads.parallelFor(4, j -> assertEquals(outer, Thread.currentThread().getName()));
        });
        assertEquals(2, names.size(), "64 tasks on 2 threads should use both (waited up to 10 s): " + names);
    }

    @Test
    void exceptionsReachTheCaller() {
        Threads.setCount(2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Threads.parallelFor(10, i -> {
            if (i == 7) {
                throw new IllegalStateException("task 7 failed");
            }
        }));
        assertEquals("task 7 failed", e.getMessage());
    }

    @Test
    void rejectsNonPositiveCounts() {
        assertThrows(IllegalArgumentException.class, () -> Threads.setCount(0));
        Threads.setCount(1);
        assertEquals(1, Threads.count());
    }

    private static void busyWait() {
        long end = System.nanoTime() + 100_000;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
    }
}
