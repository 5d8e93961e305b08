package dev.lanes.jmh.gemm;

import dev.lanes.jmh.VectorGuard;
import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.JavaBLAS;
import java.util.concurrent.TimeUnit;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;
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
 * The JVM libraries a user would otherwise pick, on the same shapes as {@link GemmBenchmark}, single-threaded
 * (both are): netlib-java's pure-Java BLAS ({@code dev.ludovic.netlib:blas}, which picks its VectorBLAS when
 * the Vector API is on) and EJML's dense row-major float matrices.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public class GemmLibrariesBenchmark {
    @Param({"64x64x64", "128x128x128", "256x256x256", "512x512x512", "1024x1024x1024", "2048x2048x2048",
            "1x4096x4096", "32x4096x4096", "128x512x784", "128x3072x768", "512x768x768"})
    public String shape;

    private GemmShape s;
    private BLAS blas;
    private FMatrixRMaj ea, eb, ec;

    @Setup(Level.Trial)
    public void setUp() {
        VectorGuard.requireVectorized(); // netlib-java picks its VectorBLAS only with the module too
        s = new GemmShape(shape);
        blas = JavaBLAS.getInstance();
        System.out.println();
        System.out.println("netlib implementation: " + blas.getClass().getName());
        ea = FMatrixRMaj.wrap(s.m, s.k, s.a);
        eb = FMatrixRMaj.wrap(s.k, s.n, s.b);
        ec = new FMatrixRMaj(s.m, s.n);
    }

    /** Row-major C = A B is column-major C^T = B^T A^T: the same call with the operands swapped. */
    @Benchmark
    public float[] netlib() {
        blas.sgemm("N", "N", s.n, s.m, s.k, 1f, s.b, s.n, s.a, s.k, 0f, s.c, s.n);
        return s.c;
    }

    @Benchmark
    public FMatrixRMaj ejml() {
        CommonOps_FDRM.mult(ea, eb, ec);
        return ec;
    }
}
