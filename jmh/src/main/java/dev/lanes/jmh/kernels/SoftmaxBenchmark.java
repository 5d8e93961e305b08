package dev.lanes.jmh.kernels;

import dev.lanes.jmh.Work;
import dev.lanes.kernels.CrossEntropy;
import dev.lanes.kernels.Softmax;
import java.util.SplittableRandom;
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
 * Row-wise softmax and log-softmax ({@link Softmax}) forward and backward, and the fused cross-entropy loss
 * plus gradient ({@link CrossEntropy#mean}, {@code rows x 1024} classes, one target per row), next to plain
 * scalar loops with {@link Math#exp} and {@link Math#log} in float (forward and the fused loss, one thread).
 *
 * <p>Bytes per element by contract (the {@link dev.lanes.jmh.Work.Bytes} counter of each method, GB/s): forward 8 (read
 * x, write y), backward 12 (read y and dy, write dx), cross-entropy 8 (read the logits, write their gradient; the
 * targets add 4 bytes a row).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class SoftmaxBenchmark {
    /** Logits {@code x}, an output {@code y}, saved softmax {@code p} and log-softmax {@code logP}, dy, dx. */
    public static class Operands {
        int rows, cols;
        float[] x, y, p, logP, dy, dx;
        int[] targets;

        void allocate(String shape) {
            KernelShape s = new KernelShape(shape);
            rows = s.rows;
            cols = s.cols;
            x = s.gaussian(1);
            dy = s.gaussian(2);
            p = s.softmaxRows(x);
            logP = KernelShape.log(p);
            y = new float[s.n];
            dx = new float[s.n];
            SplittableRandom random = new SplittableRandom(3);
            targets = new int[rows];
            for (int r = 0; r < rows; r++) {
                targets[r] = random.nextInt(cols);
            }
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
            loop = KernelShape.setUpLibrary("SoftmaxBenchmark", library, threads);
            allocate(shape);
        }
    }

    // ---- Softmax

    @Benchmark
    public float[] softmaxForward(LibraryState s, Work.Bytes work) {
        work.gbyte += 8e-9 * s.rows * s.cols;
        if (s.loop) {
            return softmaxForwardLoop(s);
        }
        Softmax.softmax(s.rows, s.cols, s.x, 0, s.y, 0);
        return s.y;
    }

    @Benchmark
    public float[] softmaxBackward(LanesState s, Work.Bytes work) {
        work.gbyte += 12e-9 * s.rows * s.cols;
        Softmax.softmaxBackward(s.rows, s.cols, s.p, 0, s.dy, 0, s.dx, 0);
        return s.dx;
    }

    private static float[] softmaxForwardLoop(LibraryState s) {
        float[] x = s.x, y = s.y;
        int rows = s.rows, cols = s.cols;
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            float max = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) {
                max = Math.max(max, x[o + c]);
            }
            float sum = 0f;
            for (int c = 0; c < cols; c++) {
                float e = (float) Math.exp(x[o + c] - max);
                y[o + c] = e;
                sum += e;
            }
            float inv = 1f / sum;
            for (int c = 0; c < cols; c++) {
                y[o + c] *= inv;
            }
        }
        return y;
    }

    // ---- LogSoftmax

    @Benchmark
    public float[] logSoftmaxForward(LibraryState s, Work.Bytes work) {
        work.gbyte += 8e-9 * s.rows * s.cols;
        if (s.loop) {
            return logSoftmaxForwardLoop(s);
        }
        Softmax.logSoftmax(s.rows, s.cols, s.x, 0, s.y, 0);
        return s.y;
    }

    @Benchmark
    public float[] logSoftmaxBackward(LanesState s, Work.Bytes work) {
        work.gbyte += 12e-9 * s.rows * s.cols;
        Softmax.logSoftmaxBackward(s.rows, s.cols, s.logP, 0, s.dy, 0, s.dx, 0);
        return s.dx;
    }

    private static float[] logSoftmaxForwardLoop(LibraryState s) {
        float[] x = s.x, y = s.y;
        int rows = s.rows, cols = s.cols;
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            float max = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) {
                max = Math.max(max, x[o + c]);
            }
            float sum = 0f;
            for (int c = 0; c < cols; c++) {
                sum += (float) Math.exp(x[o + c] - max);
            }
            float shift = max + (float) Math.log(sum);
            for (int c = 0; c < cols; c++) {
                y[o + c] = x[o + c] - shift;
            }
        }
        return y;
    }

    // ---- Cross-entropy, mean over rows, loss and gradient in one call

    @Benchmark
    public float crossEntropy(LibraryState s, Work.Bytes work) {
        work.gbyte += 8e-9 * s.rows * s.cols;
        if (s.loop) {
            return crossEntropyLoop(s);
        }
        return CrossEntropy.mean(s.rows, s.cols, s.x, 0, s.targets, 0, -100, 0f, s.dx, 0);
    }

    private static float crossEntropyLoop(LibraryState s) {
        float[] x = s.x, grad = s.dx;
        int[] targets = s.targets;
        int rows = s.rows, cols = s.cols;
        float scale = 1f / rows;
        double loss = 0;
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            float max = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) {
                max = Math.max(max, x[o + c]);
            }
            float sum = 0f;
            for (int c = 0; c < cols; c++) {
                float e = (float) Math.exp(x[o + c] - max);
                grad[o + c] = e;
                sum += e;
            }
            int t = targets[r];
            loss += Math.log(sum) - (x[o + t] - max);
            float p = scale / sum;
            for (int c = 0; c < cols; c++) {
                grad[o + c] *= p;
            }
            grad[o + t] -= scale;
        }
        return (float) (loss / rows);
    }
}
