package dev.lanes.jmh.kernels;

import dev.lanes.jmh.VectorGuard;
import dev.lanes.jmh.Work;
import dev.lanes.kernels.internal.VectorMath;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.CompilerControl;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Nanoseconds per element of the elementary functions over an L1-resident array of {@value #N} floats (16 KB
 * in, 16 KB out), one thread:
 *
 * <ul>
 *   <li>{@code *Lanes}: Lanes' own polynomials ({@link VectorMath}), what the kernels use;
 *   <li>{@code *Lanewise}: {@code FloatVector.lanewise(EXP / TANH / LOG)}, which C2 compiles to calls into
 *       the JDK's bundled SVML on x86-64 (SLEEF on some AArch64 builds);
 *   <li>{@code *LanewiseJavaLibrary}: the same code in a fork with
 *       {@code -Djdk.incubator.vector.VectorMathLibrary=java}, the per-lane {@code Math.*} fallback that
 *       platforms without a native vector math library get;
 *   <li>{@code *Scalar}: a plain loop over {@link Math#exp}, {@link Math#tanh}, {@link Math#log} (C2
 *       intrinsics), and for erf (which the JDK lacks) a float Abramowitz-Stegun formula with {@link Math#exp}.
 * </ul>
 *
 * <p>The score is ns per element ({@code @OperationsPerInvocation}); the input ranges are where the functions
 * are used: exp on [-10, 10], tanh on [-5, 5], erf on [-4, 4], log on [1e-3, 1e3] (log-uniform). Each call also
 * adds its 8 bytes per element (one float read, one written) to a {@link Work.Bytes} counter: the L1 GB/s.
 *
 * <p>{@code DONT_INLINE} keeps each benchmark loop its own compilation unit, as a kernel's loop is. Without it
 * JMH inlines the loop into its measuring stub, and C2 can run past its inlining node budget
 * ({@code NodeCountInliningCutoff}, 18000 nodes: each Vector API operation expands to many) in the middle of
 * {@code erf} or {@code tanh}; a helper left out of line then takes and returns boxed vectors, and the loop
 * runs 100 to 10000 times slower, differently from one compilation to the next.
 */
@State(Scope.Benchmark)
@CompilerControl(CompilerControl.Mode.DONT_INLINE)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@OperationsPerInvocation(VectorMathBenchmark.N)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class VectorMathBenchmark {
    static final int N = 4096;
    /** One float read and one written per element, in GB: the {@link Work.Bytes} count of every method. */
    private static final double BYTES_PER_CALL = 8e-9 * N;
    private static final VectorSpecies<Float> S = VectorMath.S;
    private static final String JAVA_LIBRARY = "-Djdk.incubator.vector.VectorMathLibrary=java";

    private float[] expIn, tanhIn, logIn, erfIn, out;

    @Setup(Level.Trial)
    public void setUp() {
        VectorGuard.requireVectorized();
        if (N % S.length() != 0) {
            throw new IllegalStateException(N + " is not a multiple of the vector length " + S.length());
        }
        expIn = KernelShape.uniform(1, N, -10, 10);
        tanhIn = KernelShape.uniform(2, N, -5, 5);
        erfIn = KernelShape.uniform(3, N, -4, 4);
        logIn = KernelShape.uniform(4, N, Math.log(1e-3), Math.log(1e3));
        for (int i = 0; i < N; i++) {
            logIn[i] = (float) Math.exp(logIn[i]);
        }
        out = new float[N];
        System.out.println();
        System.out.println("species " + S + ", jdk.incubator.vector.VectorMathLibrary="
                + System.getProperty("jdk.incubator.vector.VectorMathLibrary", "(default)"));
    }

    // ---- exp

    @Benchmark
    public float[] expLanes(Work.Bytes work) {
        work.gbyte += BYTES_PER_CALL;
        float[] in = expIn, o = out;
        for (int i = 0; i < N; i += S.length()) {
            VectorMath.exp(FloatVector.fromArray(S, in, i)).intoArray(o, i);
        }
        return o;
    }

    @Benchmark
    public float[] expLanewise(Work.Bytes work) {
        work.gbyte += BYTES_PER_CALL;
        float[] in = expIn, o = out;
        for (int i = 0; i < N; i += S.length()) {
            FloatVector.fromArray(S, in, i).lanewise(VectorOperators.EXP).intoArray(o, i);
        }
        return o;
    }

    @Benchmark
    @Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC", JAVA_LIBRARY})
    public float[] expLanewiseJavaLibrary(Work.Bytes work) {
        work.gbyte += BYTES_PER_CALL;
        float[] in = expIn, o = out;
        for (int i = 0; i < N; i += S.length()) {
            FloatVector.fromArray(S, in, i).lanewise(VectorOperators.EXP).intoArray(o, i);
        }
        return o;
    }

    @Benchmark
    public float[] expScalar(Work.Bytes work) {
        work.gbyte += BYTES_PER_CALL;
        float[] in = expIn, o = out;
        for (int i = 0; i < N; i++) {
            o[i] = (float) Math.exp(in[i]);
        }
        return o;
    }

    // ---- tanh

    @Benchmark
    public float[] tanhLanes(Work.Bytes work) {
        work.gbyte += BYTES_PER_CALL;
        float[] in = tanhIn, o = out;
        for (int i = 0; i < N; i += S.length()) {
            VectorMath.tanh(FloatVector.fromArray(S, in, i)).intoArray(o, i);
        }
        return o;
    }

    @Benchmark
    public float[] tanhLanewise(Work.Bytes work) {
        work.gbyte += BYTES_PER_CALL;
        float[] in = tanhIn, o = out;
        for (int i = 0; i < N; i += S.length()) {
            FloatVector.fromArray(S, in, i).lanewise(VectorOperators.TANH).intoArray(o, i);
        }
        return o;
    }

    @Benchmark
    @Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC", JAVA_LIBRARY})
    public float[] tanhLanewiseJavaLibrary(Work.Bytes work) {
        work.gbyte += BYTES_PER_CALL;
        float[] in = tanhIn, o = out;
        for (int i = 0; i < N; i += S.length()) {
            FloatVector.fromArray(S, in, i).lanewise(VectorOperators.TANH).intoArray(o, i);
        }
        return o;
    }

    @Benchmark
    public float[] tanhScalar(Work.Bytes work) {
        work.gbyte += BYTES_PER_CALL;
        float[] in = tanhIn, o = out;
        for (int i = 0; i < N; i++) {
            o[i] = (float) Math.tanh(in[i]);
        }
        return o;
    }

    // ---- log

    @Benchmark
    public float[] logLanes(Work.Bytes work) {
        work.gbyte += BYTES_PER_CALL;
        float[] in = logIn, o = out;
        for (int i = 0; i < N; i += S.length()) {
            VectorMath.log(FloatVector.fromArray(S, in, i)).intoArray(o, i);
        }
        return o;
    }

    @Benchmark
    public float[] logLanewise(Work.Bytes work) {
        work.gbyte += BYTES_PER_CALL;
        float[] in = logIn, o = out;
        for (int i = 0; i < N; i += S.length()) {
            FloatVector.fromArray(S, in, i).lanewise(VectorOperators.LOG).intoArray(o, i);
        }
        return o;
    }

    @Benchmark
    @Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC", JAVA_LIBRARY})
    public float[] logLanewiseJavaLibrary(Work.Bytes work) {
        work.gbyte += BYTES_PER_CALL;
        float[] in = logIn, o = out;
        for (int i = 0; i < N; i += S.length()) {
            FloatVector.fromArray(S, in, i).lanewise(VectorOperators.LOG).intoArray(o, i);
        }
        return o;
    }

    @Benchmark
    public float[] logScalar(Work.Bytes work) {
        work.gbyte += BYTES_PER_CALL;
        float[] in = logIn, o = out;
        for (int i = 0; i < N; i++) {
            o[i] = (float) Math.log(in[i]);
        }
        return o;
    }

    // ---- erf (the Vector API has no ERF operator)

    @Benchmark
    public float[] erfLanes(Work.Bytes work) {
        work.gbyte += BYTES_PER_CALL;
        float[] in = erfIn, o = out;
        for (int i = 0; i < N; i += S.length()) {
            VectorMath.erf(FloatVector.fromArray(S, in, i)).intoArray(o, i);
        }
        return o;
    }

    @Benchmark
    public float[] erfScalar(Work.Bytes work) {
        work.gbyte += BYTES_PER_CALL;
        float[] in = erfIn, o = out;
        for (int i = 0; i < N; i++) {
            o[i] = KernelShape.plainErf(in[i]);
        }
        return o;
    }
}
