package dev.lanes.nn.inference;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.kernels.Activation;
import dev.lanes.nn.Generator;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.layers.Activations;
import dev.lanes.nn.layers.Linear;
import dev.lanes.nn.layers.Module;
import dev.lanes.nn.layers.Sequential;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Batch-1 inference must not allocate once warm. This runs in the shared test JVM, after other tests have
 * compiled the kernels with many shapes and activations, which is where boxed vectors showed up (9.6 KB per
 * call before the GEMM epilogue got loops of its own for identity and ReLU).
 */
class InferencePlanAllocationTest {
    private static Linear linear(int in, int out, Generator g) {
        return new Linear(in, out, true, Activation.IDENTITY, g);
    }

    /** The point of a plan: once warm, a call allocates (next to) nothing (measured per thread by the JVM). */
    @Test
    void allocatesNothingPerCallOnceWarm() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled(),
                "this JVM cannot measure per-thread allocation");
        Generator g = new Generator(11);
        Module model = new Sequential(linear(784, 512, g), new Activations.ReLU(), linear(512, 256, g),
                new Activations.ReLU(), linear(256, 10, g));
        InferencePlan plan = InferencePlan.of(model, 1);
        float[] image = Tensor.rand(g, 784).toArray();
        float[] logits = new float[10];
        for (int i = 0; i < 20_000; i++) { // long enough for C2 to compile the GEMV kernels
            plan.run(image, 0, 1, logits, 0);
        }
        long thread = Thread.currentThread().threadId();
        long before = threads.getThreadAllocatedBytes(thread);
        int calls = 2_000;
        for (int i = 0; i < calls; i++) {
            plan.run(image, 0, 1, logits, 0);
        }
        long perCall = (threads.getThreadAllocatedBytes(thread) - before) / calls;
        // A Vector API value that C2 fails to keep in registers costs 100+ bytes (an object and its array)
        // each time, and GEMV once boxed some on every row: 18 KB per call. The bound leaves room for the
        // few task objects of a parallel GEMV while JIT compilation settles; the JMH -prof gc figure in
        // docs/nn.md (under 1 byte per call) is the exact one.
        assertTrue(perCall < 1024, "a warm call allocated " + perCall + " bytes on average");
    }
}
