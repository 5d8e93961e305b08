package dev.lanes.jmh.gemm;

import dev.lanes.jmh.VectorGuard;
import dev.lanes.kernels.Activation;
import dev.lanes.kernels.Gemm;
import dev.lanes.kernels.Lanes;
import dev.lanes.kernels.Threads;
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
 * Lanes SGEMM, {@code C = A * B} row-major, on the shapes of the foundation issue, with 1 and 2 threads.
 * Time per product; GFLOP/s = {@code 2 m n k / time} (scripts/gemm_table.py does the division).
 *
 * <p>Two forks by default: Vector API code can compile differently from one JVM to the next.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public class GemmBenchmark {
    @Param({"64x64x64", "128x128x128", "256x256x256", "512x512x512", "1024x1024x1024", "2048x2048x2048",
            "1x4096x4096", "32x4096x4096", "128x512x784", "128x3072x768", "512x768x768"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    private GemmShape s;

    @Setup(Level.Trial)
    public void setUp() {
        VectorGuard.requireVectorized();
        Threads.setCount(threads);
        s = new GemmShape(shape);
        System.out.println();
        System.out.println(Lanes.describe());
    }

    @Benchmark
    public float[] lanes() {
        Gemm.sgemm(false, false, s.m, s.n, s.k, 1f, s.a, 0, s.k, s.b, 0, s.n, 0f, s.c, 0, s.n);
        return s.c;
    }

    /** The Linear-layer form: {@code relu(A * W^T + bias)} in one fused pass (W stored n x k). */
    @Benchmark
    public float[] lanesFusedLinear() {
        Gemm.sgemmFused(false, true, s.m, s.n, s.k, 1f, s.a, 0, s.k, s.b, 0, s.k, 0f, s.c, 0, s.n,
                s.bias(), 0, Activation.RELU);
        return s.c;
    }
}
