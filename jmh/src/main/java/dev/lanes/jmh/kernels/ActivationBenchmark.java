package dev.lanes.jmh.kernels;

import dev.lanes.kernels.Activations;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Lanes' activations ({@link Activations}) over a whole {@code rows x cols} block, forward and backward, next
 * to the plain scalar Java loop over {@link Math} a developer writes without a library (forward only, one
 * thread; C2 auto-vectorizes what it can, such as ReLU).
 *
 * <p>Bytes per element by contract (scripts/kernels_table.py): forward 8 (read x, write y), backward 12 (read
 * the saved x or y and dy, write dx). Benchmarks named {@code *ScalarLoop} are the baselines.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ActivationBenchmark {
    private static final float SQRT1_2 = 0.70710677f;
    private static final float GELU_TANH_SCALE = 0.7978846f; // sqrt(2 / pi)
    private static final float GELU_TANH_CUBIC = 0.044715f;

    /** Input, output, incoming gradient and gradient out; the saved tensor of a backward is {@code x}. */
    public static class Operands {
        int n;
        float[] x, y, dy, dx;

        void allocate(String shape) {
            KernelShape s = new KernelShape(shape);
            n = s.n;
            x = s.gaussian(1);
            dy = s.gaussian(2);
            y = new float[n];
            dx = new float[n];
        }
    }

    @State(Scope.Benchmark)
    public static class LanesState extends Operands {
        @Param({KernelShape.DRAM, KernelShape.CACHE})
        public String shape;

        @Param({"1", "2"})
        public int threads;

        @Setup(Level.Trial)
        public void setUp() {
            KernelShape.setUpLanes(threads);
            allocate(shape);
        }
    }

    @State(Scope.Benchmark)
    public static class ScalarState extends Operands {
        @Param({KernelShape.DRAM, KernelShape.CACHE})
        public String shape;

        @Setup(Level.Trial)
        public void setUp() {
            KernelShape.setUpScalar();
            allocate(shape);
        }
    }

    // ---- ReLU

    @Benchmark
    public float[] reluForward(LanesState s) {
        Activations.relu(s.n, s.x, 0, s.y, 0);
        return s.y;
    }

    @Benchmark
    public float[] reluBackward(LanesState s) {
        Activations.reluBackward(s.n, s.x, 0, s.dy, 0, s.dx, 0);
        return s.dx;
    }

    @Benchmark
    public float[] reluForwardScalarLoop(ScalarState s) {
        float[] x = s.x, y = s.y;
        int n = s.n;
        for (int i = 0; i < n; i++) {
            y[i] = Math.max(x[i], 0f);
        }
        return y;
    }

    // ---- GELU, exact (erf)

    @Benchmark
    public float[] geluErfForward(LanesState s) {
        Activations.gelu(s.n, false, s.x, 0, s.y, 0);
        return s.y;
    }

    @Benchmark
    public float[] geluErfBackward(LanesState s) {
        Activations.geluBackward(s.n, false, s.x, 0, s.dy, 0, s.dx, 0);
        return s.dx;
    }

    @Benchmark
    public float[] geluErfForwardScalarLoop(ScalarState s) {
        float[] x = s.x, y = s.y;
        int n = s.n;
        for (int i = 0; i < n; i++) {
            float v = x[i];
            y[i] = 0.5f * v * (1f + KernelShape.plainErf(v * SQRT1_2));
        }
        return y;
    }

    // ---- GELU, tanh approximation

    @Benchmark
    public float[] geluTanhForward(LanesState s) {
        Activations.gelu(s.n, true, s.x, 0, s.y, 0);
        return s.y;
    }

    @Benchmark
    public float[] geluTanhBackward(LanesState s) {
        Activations.geluBackward(s.n, true, s.x, 0, s.dy, 0, s.dx, 0);
        return s.dx;
    }

    @Benchmark
    public float[] geluTanhForwardScalarLoop(ScalarState s) {
        float[] x = s.x, y = s.y;
        int n = s.n;
        for (int i = 0; i < n; i++) {
            float v = x[i];
            y[i] = 0.5f * v * (1f + (float) Math.tanh(GELU_TANH_SCALE * (v + GELU_TANH_CUBIC * v * v * v)));
        }
        return y;
    }

    // ---- SiLU

    @Benchmark
    public float[] siluForward(LanesState s) {
        Activations.silu(s.n, s.x, 0, s.y, 0);
        return s.y;
    }

    @Benchmark
    public float[] siluBackward(LanesState s) {
        Activations.siluBackward(s.n, s.x, 0, s.dy, 0, s.dx, 0);
        return s.dx;
    }

    @Benchmark
    public float[] siluForwardScalarLoop(ScalarState s) {
        float[] x = s.x, y = s.y;
        int n = s.n;
        for (int i = 0; i < n; i++) {
            float v = x[i];
            y[i] = v / (1f + (float) Math.exp(-v));
        }
        return y;
    }

    // ---- Sigmoid

    @Benchmark
    public float[] sigmoidForward(LanesState s) {
        Activations.sigmoid(s.n, s.x, 0, s.y, 0);
        return s.y;
    }

    @Benchmark
    public float[] sigmoidBackward(LanesState s) {
        Activations.sigmoidBackward(s.n, s.x, 0, s.dy, 0, s.dx, 0);
        return s.dx;
    }

    @Benchmark
    public float[] sigmoidForwardScalarLoop(ScalarState s) {
        float[] x = s.x, y = s.y;
        int n = s.n;
        for (int i = 0; i < n; i++) {
            y[i] = 1f / (1f + (float) Math.exp(-x[i]));
        }
        return y;
    }

    // ---- Tanh

    @Benchmark
    public float[] tanhForward(LanesState s) {
        Activations.tanh(s.n, s.x, 0, s.y, 0);
        return s.y;
    }

    @Benchmark
    public float[] tanhBackward(LanesState s) {
        Activations.tanhBackward(s.n, s.x, 0, s.dy, 0, s.dx, 0);
        return s.dx;
    }

    @Benchmark
    public float[] tanhForwardScalarLoop(ScalarState s) {
        float[] x = s.x, y = s.y;
        int n = s.n;
        for (int i = 0; i < n; i++) {
            y[i] = (float) Math.tanh(x[i]);
        }
        return y;
    }
}
