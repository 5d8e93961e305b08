package dev.lanes.jmh.gemm;

import dev.lanes.jmh.VectorGuard;
import dev.lanes.jmh.Work;
import dev.lanes.kernels.Activation;
import dev.lanes.kernels.Gemm;
import dev.lanes.kernels.Lanes;
import dev.lanes.kernels.Threads;
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
 * SGEMM, {@code C = A * B} row-major, on the shapes of the foundation issue, one row per shape and thread
 * count and one column per {@code library}:
 * <ul>
 *   <li>{@code lanes}: {@link Gemm#sgemm};
 *   <li>{@code netlib}: netlib-java's pure-Java BLAS ({@code dev.ludovic.netlib:blas}; its VectorBLAS when
 *       the Vector API module is on, which the fork arguments ensure, JavaBLAS otherwise);
 *   <li>{@code ejml}: EJML's dense row-major float matrices ({@code CommonOps_FDRM.mult});
 *   <li>{@code java-loop}: the plain loop a developer writes without a library (i-k-j order, which C2
 *       auto-vectorizes). It refuses products above 2 * 1024^3 flop in setup (of the default shapes only
 *       2048x2048x2048, where one call takes seconds and would outlast the 1 s iterations).
 * </ul>
 * netlib, EJML and the loop are single-threaded and refuse {@code threads != 1}, so the default library list
 * is {@code lanes} only; compare with {@code -p library=lanes,netlib,ejml,java-loop -p threads=1}. NumPy
 * (OpenBLAS) and PyTorch write the same rows from {@code scripts/bench_numpy_gemm.py} and
 * {@code scripts/bench_torch_gemm.py}. Work: 2mnk flop per product (GFLOP/s).
 *
 * <p>Two forks by default: Vector API code can compile differently from one JVM to the next.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public class GemmBenchmark {
    /** The largest product (in flop) the plain loop takes: 2 * 1024^3 (a fraction of a second per call). */
    static final double LOOP_MAX_FLOP = 2.0 * 1024 * 1024 * 1024;

    /** The operands and the thread count, shared by every library's state. */
    @State(Scope.Benchmark)
    public abstract static class Base {
        @Param({"64x64x64", "128x128x128", "256x256x256", "512x512x512", "1024x1024x1024", "2048x2048x2048",
                "1x4096x4096", "32x4096x4096", "128x512x784", "128x3072x768", "512x768x768"})
        public String shape;

        @Param({"1", "2"})
        public int threads;

        GemmShape s;
    }

    /** {@link #sgemm}'s state: the workload and which library multiplies. */
    @State(Scope.Benchmark)
    public static class Sgemm extends Base {
        @Param({"lanes"})
        public String library;

        private int impl;
        private BLAS blas;
        private FMatrixRMaj ea, eb, ec;

        @Setup(Level.Trial)
        public void setUp() {
            VectorGuard.requireVectorized(); // netlib-java picks its VectorBLAS only with the module too
            s = new GemmShape(shape);
            switch (library) {
                case "lanes" -> {
                    impl = 0;
                    Threads.setCount(threads);
                    System.out.println();
                    System.out.println(Lanes.describe());
                }
                case "netlib" -> {
                    impl = 1;
                    singleThreaded();
                    blas = JavaBLAS.getInstance();
                    System.out.println();
                    System.out.println("netlib implementation: " + blas.getClass().getName());
                }
                case "ejml" -> {
                    impl = 2;
                    singleThreaded();
                    ea = FMatrixRMaj.wrap(s.m, s.k, s.a);
                    eb = FMatrixRMaj.wrap(s.k, s.n, s.b);
                    ec = new FMatrixRMaj(s.m, s.n);
                }
                case "java-loop" -> {
                    impl = 3;
                    singleThreaded();
                    if (s.flops() > LOOP_MAX_FLOP) {
                        throw new IllegalArgumentException("GemmBenchmark.sgemm: java-loop takes shapes up to "
                                + "1024x1024x1024 (2 GFLOP per product; one call would outlast a 1 s iteration), "
                                + "not shape=" + shape);
                    }
                }
                default -> throw new IllegalArgumentException("GemmBenchmark.sgemm: library '" + library
                        + "' is not one of lanes, netlib, ejml, java-loop");
            }
        }

        private void singleThreaded() {
            if (threads != 1) {
                throw new IllegalArgumentException(library + " is single-threaded: run it with -p threads=1");
            }
            Threads.setCount(1);
        }
    }

    /** {@link #lanesFusedLinear}'s state: Lanes only, so no library parameter. */
    @State(Scope.Benchmark)
    public static class FusedLinear extends Base {
        @Setup(Level.Trial)
        public void setUp() {
            VectorGuard.requireVectorized();
            Threads.setCount(threads);
            s = new GemmShape(shape);
            System.out.println();
            System.out.println(Lanes.describe());
        }
    }

    @Benchmark
    public Object sgemm(Sgemm st, Work.Flop work) {
        GemmShape s = st.s;
        work.gflop += s.flops() * 1e-9;
        switch (st.impl) {
            case 0 -> {
                Gemm.sgemm(false, false, s.m, s.n, s.k, 1f, s.a, 0, s.k, s.b, 0, s.n, 0f, s.c, 0, s.n);
                return s.c;
            }
            // Row-major C = A B is column-major C^T = B^T A^T: the same call with the operands swapped.
            case 1 -> {
                st.blas.sgemm("N", "N", s.n, s.m, s.k, 1f, s.b, s.n, s.a, s.k, 0f, s.c, s.n);
                return s.c;
            }
            case 2 -> {
                CommonOps_FDRM.mult(st.ea, st.eb, st.ec);
                return st.ec;
            }
            default -> {
                return plainLoop(s);
            }
        }
    }

    /** The Linear-layer form: {@code relu(A * W^T + bias)} in one fused pass (W stored n x k). */
    @Benchmark
    public float[] lanesFusedLinear(FusedLinear st, Work.Flop work) {
        GemmShape s = st.s;
        Gemm.sgemmFused(false, true, s.m, s.n, s.k, 1f, s.a, 0, s.k, s.b, 0, s.k, 0f, s.c, 0, s.n,
                s.bias(), 0, Activation.RELU);
        work.gflop += s.flops() * 1e-9;
        return s.c;
    }

    /** i-k-j order: the inner loop streams a row of B into a row of C, which C2 auto-vectorizes. */
    private static float[] plainLoop(GemmShape s) {
        int m = s.m, n = s.n, k = s.k;
        float[] a = s.a, b = s.b, c = s.c;
        java.util.Arrays.fill(c, 0f);
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                float aip = a[i * k + p];
                int cRow = i * n, bRow = p * n;
                for (int j = 0; j < n; j++) {
                    c[cRow + j] += aip * b[bRow + j];
                }
            }
        }
        return c;
    }
}
