package dev.lanes.jmh.kernels;

import dev.lanes.jmh.Work;
import dev.lanes.kernels.Dropout;
import dev.lanes.kernels.Elementwise;
import dev.lanes.kernels.Reductions;
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
 * The simplest streaming kernels: a bias row added down the block ({@link Elementwise#binaryRow}), {@code axpy},
 * the sum reduction ({@link Reductions#sum}) and dropout ({@link Dropout}, p = 0.1, forward and backward), next
 * to plain scalar loops (one thread; C2 auto-vectorizes the row add and axpy, not the float sum, whose order it
 * must keep).
 *
 * <p>Bytes per element by contract (the {@link dev.lanes.jmh.Work.Bytes} counter of each method, GB/s): add-row 8 (read
 * a, write y; the row stays in cache), axpy 12 (read x and y, write y), sum 4, dropout 8 (Lanes regenerates the mask
 * from the seed; PyTorch also writes and reads a one-byte mask, not counted).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ElementwiseBenchmark {
    static final float DROPOUT_P = 0.1f;
    static final long SEED = 1234;
    static final float ALPHA = 1e-3f;

    public static class Operands {
        int rows, cols, n;
        float[] a, row, y;

        void allocate(String shape) {
            KernelShape s = new KernelShape(shape);
            rows = s.rows;
            cols = s.cols;
            n = s.n;
            a = s.gaussian(1);
            row = KernelShape.gaussian(2, cols, 1.0);
            y = s.gaussian(3);
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
            loop = KernelShape.setUpLibrary("ElementwiseBenchmark", library, threads);
            allocate(shape);
        }
    }

    // ---- y = a + row (bias broadcast down the rows)

    @Benchmark
    public float[] addRow(LibraryState s, Work.Bytes work) {
        work.gbyte += 8e-9 * s.n;
        if (s.loop) {
            return addRowLoop(s);
        }
        Elementwise.binaryRow(Elementwise.Op.ADD, s.rows, s.cols, s.a, 0, s.row, 0, s.y, 0);
        return s.y;
    }

    private static float[] addRowLoop(LibraryState s) {
        float[] a = s.a, row = s.row, y = s.y;
        int rows = s.rows, cols = s.cols;
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            for (int c = 0; c < cols; c++) {
                y[o + c] = a[o + c] + row[c];
            }
        }
        return y;
    }

    // ---- y += alpha * a (y drifts by ALPHA * a per call; it stays far from overflow)

    @Benchmark
    public float[] axpy(LibraryState s, Work.Bytes work) {
        work.gbyte += 12e-9 * s.n;
        if (s.loop) {
            return axpyLoop(s);
        }
        Elementwise.axpy(s.n, ALPHA, s.a, 0, s.y, 0);
        return s.y;
    }

    private static float[] axpyLoop(LibraryState s) {
        float[] x = s.a, y = s.y;
        int n = s.n;
        for (int i = 0; i < n; i++) {
            y[i] += ALPHA * x[i];
        }
        return y;
    }

    // ---- sum(a)

    @Benchmark
    public float sum(LibraryState s, Work.Bytes work) {
        work.gbyte += 4e-9 * s.n;
        if (s.loop) {
            return sumLoop(s);
        }
        return Reductions.sum(s.n, s.a, 0);
    }

    private static float sumLoop(LibraryState s) {
        float[] x = s.a;
        int n = s.n;
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            sum += x[i];
        }
        return sum;
    }

    // ---- dropout, p = 0.1

    @Benchmark
    public float[] dropoutForward(LibraryState s, Work.Bytes work) {
        work.gbyte += 8e-9 * s.n;
        if (s.loop) {
            return dropoutForwardLoop(s);
        }
        Dropout.forward(s.n, DROPOUT_P, SEED, s.a, 0, s.y, 0);
        return s.y;
    }

    @Benchmark
    public float[] dropoutBackward(LanesState s, Work.Bytes work) {
        work.gbyte += 8e-9 * s.n;
        Dropout.backward(s.n, DROPOUT_P, SEED, s.a, 0, s.y, 0);
        return s.y;
    }

    /**
     * The same counter-based mask (a MurmurHash3 finaliser of the element index, two rounds) computed one
     * element at a time, the way a plain loop regenerates a mask instead of storing it.
     */
    private static float[] dropoutForwardLoop(LibraryState s) {
        float[] x = s.a, y = s.y;
        int n = s.n;
        int key0 = (int) SEED * 0x9E3779B9, key1 = (int) (SEED >>> 32) ^ 0x7F4A7C15;
        int threshold = Math.round(DROPOUT_P * (1 << 24));
        float scale = 1f / (1f - DROPOUT_P);
        for (int i = 0; i < n; i++) {
            int h = mix(mix(i + key0) ^ key1) >>> 8;
            y[i] = h >= threshold ? x[i] * scale : 0f;
        }
        return y;
    }

    private static int mix(int h) {
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        h ^= h >>> 16;
        return h;
    }
}
