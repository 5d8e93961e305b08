package dev.lanes.jmh.gemm;

import dev.lanes.jmh.Work;
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
 * The memory bandwidth yardstick for GEMV: a STREAM-style copy of 64 MB (the size of B in the
 * 1 x 4096 x 4096 product), split over the same threads. STREAM counts 2 x 64 MB moved per copy (read and
 * write), reported through {@link Work.Bytes} as GB/s; GEMV moves 64 MB (it only reads B).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class StreamCopyBenchmark {
    static final int FLOATS = 4096 * 4096;

    @Param({"1", "2"})
    public int threads;

    private float[] source, target;

    @Setup(Level.Trial)
    public void setUp() {
        Threads.setCount(threads);
        source = new float[FLOATS];
        target = new float[FLOATS];
        java.util.Arrays.fill(source, 1f);
    }

    @Benchmark
    public float[] copy(Work.Bytes work) {
        work.gbyte += 2.0 * 4 * FLOATS * 1e-9;
        int parts = threads;
        Threads.parallelFor(parts, part -> {
            int from = (int) ((long) FLOATS * part / parts);
            int to = (int) ((long) FLOATS * (part + 1) / parts);
            System.arraycopy(source, from, target, from, to - from);
        });
        return target;
    }
}
