package dev.lanes.jmh.kernels;

import dev.lanes.jmh.Work;
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
 * <p>Bytes per element by contract (the {@link dev.lanes.jmh.Work.Bytes} counter of each method, GB/s): forward 8 (read
 * x, write y), backward 12 (read the saved x or y and dy, write dx). The plain loops are the {@code java-loop} library
 * of the forwards ({@code -p library=java-loop -p threads=1}).
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
    public static class LibraryState extends Operands {
        @Param({KernelShape.DRAM, KernelShape.CACHE})
        public String shape;

        @Param({"1", "2"})
        public int threads;

        /** {@code lanes} or {@code java-loop} (one thread only, so not in the default list). */
        @Param({"lanes"})
        public String library;

        boolean loop;

        @Setup(Level.Trial)
        public void setUp() {
            loop = KernelShape.setUpLibrary("ActivationBenchmark", library, threads);
            allocate(shape);
        }
    }

    // ---- ReLU

    @Benchmark
    public float[] reluForward(LibraryState s, Work.Bytes work) {
        work.gbyte += 8e-9 * s.n;
        if (s.loop) {
            return reluForwardLoop(s);
        }
        Activations.relu(s.n, s.x, 0, s.y, 0);
        return s.y;
    }

    @Benchmark
    public float[] reluBackward(LanesState s, Work.Bytes work) {
        work.gbyte += 12e-9 * s.n;
        Activations.reluBackward(s.n, s.x, 0, s.dy, 0, s.dx, 0);
        return s.dx;
    }

    private static float[] reluForwardLoop(LibraryState s) {
        float[] x = s.x, y = s.y;
        int n = s.n;
        for (int i = 0; i < n; i++) {
            y[i] = Math.max(x[i], 0f);
        }
        return y;
    }

    // ---- GELU, exact (erf)

    @Benchmark
    public float[] geluErfForward(LibraryState s, Work.Bytes work) {
        work.gbyte += 8e-9 * s.n;
        if (s.loop) {
            return geluErfForwardLoop(s);
        }
        Activations.gelu(s.n, false, s.x, 0, s.y, 0);
        return s.y;
    }

    @Benchmark
    public float[] geluErfBackward(LanesState s, Work.Bytes work) {
        work.gbyte += 12e-9 * s.n;
        Activations.geluBackward(s.n, false, s.x, 0, s.dy, 0, s.dx, 0);
        return s.dx;
    }

    private static float[] geluErfForwardLoop(LibraryState s) {
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
    public float[] geluTanhForward(LibraryState s, Work.Bytes work) {
        work.gbyte += 8e-9 * s.n;
        if (s.loop) {
            return geluTanhForwardLoop(s);
        }
        Activations.gelu(s.n, true, s.x, 0, s.y, 0);
        return s.y;
    }

    @Benchmark
    public float[] geluTanhBackward(LanesState s, Work.Bytes work) {
        work.gbyte += 12e-9 * s.n;
        Activations.geluBackward(s.n, true, s.x, 0, s.dy, 0, s.dx, 0);
        return s.dx;
    }

    private static float[] geluTanhForwardLoop(LibraryState s) {
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
    public float[] siluForward(LibraryState s, Work.Bytes work) {
        work.gbyte += 8e-9 * s.n;
        if (s.loop) {
            return siluForwardLoop(s);
        }
        Activations.silu(s.n, s.x, 0, s.y, 0);
        return s.y;
    }

    @Benchmark
    public float[] siluBackward(LanesState s, Work.Bytes work) {
        work.gbyte += 12e-9 * s.n;
        Activations.siluBackward(s.n, s.x, 0, s.dy, 0, s.dx, 0);
        return s.dx;
    }

    private static float[] siluForwardLoop(LibraryState s) {
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
    public float[] sigmoidForward(LibraryState s, Work.Bytes work) {
        work.gbyte += 8e-9 * s.n;
        if (s.loop) {
            return sigmoidForwardLoop(s);
        }
        Activations.sigmoid(s.n, s.x, 0, s.y, 0);
        return s.y;
    }

    @Benchmark
    public float[] sigmoidBackward(LanesState s, Work.Bytes work) {
        work.gbyte += 12e-9 * s.n;
        Activations.sigmoidBackward(s.n, s.x, 0, s.dy, 0, s.dx, 0);
        return s.dx;
    }

    private static float[] sigmoidForwardLoop(LibraryState s) {
        float[] x = s.x, y = s.y;
        int n = s.n;
        for (int i = 0; i < n; i++) {
            y[i] = 1f / (1f + (float) Math.exp(-x[i]));
        }
        return y;
    }

    // ---- Tanh

    @Benchmark
    public float[] tanhForward(LibraryState s, Work.Bytes work) {
        work.gbyte += 8e-9 * s.n;
        if (s.loop) {
            return tanhForwardLoop(s);
        }
        Activations.tanh(s.n, s.x, 0, s.y, 0);
        return s.y;
    }

    @Benchmark
    public float[] tanhBackward(LanesState s, Work.Bytes work) {
        work.gbyte += 12e-9 * s.n;
        Activations.tanhBackward(s.n, s.x, 0, s.dy, 0, s.dx, 0);
        return s.dx;
    }

    private static float[] tanhForwardLoop(LibraryState s) {
        float[] x = s.x, y = s.y;
        int n = s.n;
        for (int i = 0; i < n; i++) {
            y[i] = (float) Math.tanh(x[i]);
        }
        return y;
    }
}
