package dev.lanes.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.kernels.Activation;
import dev.lanes.nn.layers.Activations;
import dev.lanes.nn.layers.Conv2d;
import dev.lanes.nn.layers.Flatten;
import dev.lanes.nn.layers.Linear;
import dev.lanes.nn.layers.MaxPool2d;
import dev.lanes.nn.layers.Module;
import dev.lanes.nn.layers.Sequential;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * One shared model, many threads: in eval mode and inside {@link GradMode#noGrad()} (each thread opens its own
 * scope, the mode being per thread), forward calls from 8 threads at once give results bitwise equal to the
 * same calls made serially. The threads start together (a barrier) and each walks the inputs in its own order,
 * so different inputs are in flight at the same time.
 */
class ConcurrencyTest {
    private static final int THREADS = 8;

    /** The 784-512-256-10 MLP. */
    private static Module mlp(Generator g) {
        return new Sequential(new Linear(784, 512, true, Activation.IDENTITY, g), new Activations.ReLU(),
                new Linear(512, 256, true, Activation.IDENTITY, g), new Activations.ReLU(),
                new Linear(256, 10, true, Activation.IDENTITY, g));
    }

    /** Conv2d(1,32,3,p=1)-ReLU-MaxPool2-Conv2d(32,64,3,p=1)-ReLU-MaxPool2-Flatten-Linear(3136,128)-ReLU-Linear(128,10). */
    private static Module cnn(Generator g) {
        int[] k3 = {3, 3}, s1 = {1, 1}, p1 = {1, 1}, d1 = {1, 1};
        return new Sequential(new Conv2d(1, 32, k3, s1, p1, d1, 1, true, g), new Activations.ReLU(), new MaxPool2d(2),
                new Conv2d(32, 64, k3, s1, p1, d1, 1, true, g), new Activations.ReLU(), new MaxPool2d(2), new Flatten(),
                new Linear(3136, 128, true, Activation.IDENTITY, g), new Activations.ReLU(),
                new Linear(128, 10, true, Activation.IDENTITY, g));
    }

    @Test
    void sharedMlpGivesSerialResultsFromEightThreads() throws Exception {
        Generator g = new Generator(42);
        Module model = mlp(g).eval();
        checkConcurrentForward(model, inputs(g, 16, 2, 784), 200);
    }

    /** The CNN is about 8 MFLOP per batch of 2, so fewer calls per thread (still 8 threads at once). */
    @Test
    void sharedCnnGivesSerialResultsFromEightThreads() throws Exception {
        Module model = cnn(new Generator(43)).eval();
        assertEquals("Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))",
                ((Sequential) model).get(0).toString(), "the layer the issue names: Conv2d(1, 32, 3, padding=1)");
        checkConcurrentForward(model, inputs(new Generator(44), 8, 2, 1, 28, 28), 25);
    }

    private static List<Tensor> inputs(Generator g, int count, int... shape) {
        List<Tensor> xs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            xs.add(Tensor.randn(g, shape));
        }
        return xs;
    }

    private static void checkConcurrentForward(Module model, List<Tensor> xs, int callsPerThread) throws Exception {
        // the serial reference: each input once, on this thread
        List<float[]> expected = new ArrayList<>();
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            for (Tensor x : xs) {
                expected.add(model.forward(x).toArray());
            }
        }
        assertTrue(GradMode.isEnabled(), "the scope restored grad mode on this thread");
        for (int i = 1; i < expected.size(); i++) {
            assertFalse(java.util.Arrays.equals(expected.get(0), expected.get(i)), "distinct inputs give distinct outputs");
        }
        float[][] paramsBefore = model.parameters().stream().map(Tensor::toArray).toArray(float[][]::new);

        CyclicBarrier start = new CyclicBarrier(THREADS);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<float[][]>> results = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                final int thread = t;
                results.add(pool.submit(() -> {
                    float[][] out = new float[callsPerThread][];
                    start.await();
                    try (GradMode.Scope ignored = GradMode.noGrad()) {
                        for (int i = 0; i < callsPerThread; i++) {
                            Tensor y = model.forward(xs.get(index(thread, i, xs.size())));
                            if (y.requiresGrad() || y.gradFnName() != null) {
                                throw new AssertionError("a no-grad forward recorded history: " + y.gradFnName());
                            }
                            out[i] = y.toArray();
                        }
                    }
                    if (!GradMode.isEnabled()) {
                        throw new AssertionError("the scope did not restore grad mode on its thread");
                    }
                    return out;
                }));
            }
            for (int t = 0; t < THREADS; t++) {
                float[][] out = results.get(t).get(120, TimeUnit.SECONDS);
                for (int i = 0; i < callsPerThread; i++) {
                    int k = index(t, i, xs.size());
                    assertArrayEquals(expected.get(k), out[i], "thread " + t + ", call " + i + " (input " + k + ")");
                }
            }
        } finally {
            pool.shutdownNow();
        }
        List<Tensor> params = model.parameters();
        for (int p = 0; p < params.size(); p++) {
            assertArrayEquals(paramsBefore[p], params.get(p).toArray(), "parameters are only read");
            assertNull(params.get(p).grad());
        }
        assertFalse(model.isTraining());
        assertEquals(true, GradMode.isEnabled());
    }

    /** Thread t's i-th call: the inputs in a different rotation and stride per thread. */
    private static int index(int thread, int call, int count) {
        return (thread * 3 + call * (2 * thread + 1)) % count;
    }
}
