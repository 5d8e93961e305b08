package dev.lanes.jmh.kernels;

import dev.lanes.jmh.Work;
import dev.lanes.kernels.Optimizers;
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
 * Fused optimizer steps ({@link Optimizers}) over a block of parameters: SGD with momentum 0.9 (lr 0.01, no
 * weight decay, not the first step) and AdamW (lr 1e-3, betas 0.9 / 0.999, eps 1e-8, weight decay 0.01, no
 * amsgrad), next to the plain scalar loop of the same update (one thread).
 *
 * <p>Bytes per element by contract (the {@link dev.lanes.jmh.Work.Bytes} counter of each method, GB/s): SGD-momentum 20
 * (param, grad, buffer read; param, buffer written), AdamW 28 (param, grad, m, v read; param, m, v written).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class OptimizerBenchmark {
    static final float SGD_LR = 0.01f, MOMENTUM = 0.9f;
    static final float ADAM_LR = 1e-3f, BETA1 = 0.9f, BETA2 = 0.999f, EPS = 1e-8f, WEIGHT_DECAY = 0.01f;

    /** Parameters, their gradient, and the state of both optimizers (momentum buffer; m and v). */
    public static class Operands {
        int n;
        long step = 10;
        float[] param, grad, buf, m, v;

        void allocate(String shape) {
            KernelShape s = new KernelShape(shape);
            n = s.n;
            param = s.gaussian(1);
            grad = KernelShape.gaussian(2, n, 1e-2);
            buf = KernelShape.gaussian(3, n, 1e-2);
            m = KernelShape.gaussian(4, n, 1e-2);
            v = KernelShape.uniform(5, n, 0, 1e-4);
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
            loop = KernelShape.setUpLibrary("OptimizerBenchmark", library, threads);
            allocate(shape);
        }
    }

    // ---- SGD with momentum

    @Benchmark
    public float[] sgdMomentum(LibraryState s, Work.Bytes work) {
        work.gbyte += 20e-9 * s.n;
        if (s.loop) {
            return sgdMomentumLoop(s);
        }
        Optimizers.sgd(s.n, s.param, 0, s.grad, 0, s.buf, 0, SGD_LR, MOMENTUM, 0f, 0f, false, false, false);
        return s.param;
    }

    private static float[] sgdMomentumLoop(LibraryState s) {
        float[] p = s.param, g = s.grad, buf = s.buf;
        int n = s.n;
        for (int i = 0; i < n; i++) {
            float b = MOMENTUM * buf[i] + g[i];
            buf[i] = b;
            p[i] -= SGD_LR * b;
        }
        return p;
    }

    // ---- AdamW

    @Benchmark
    public float[] adamW(LibraryState s, Work.Bytes work) {
        work.gbyte += 28e-9 * s.n;
        if (s.loop) {
            return adamWLoop(s);
        }
        Optimizers.adamW(s.n, s.param, 0, s.grad, 0, s.m, 0, s.v, 0, null, 0, ADAM_LR, BETA1, BETA2, EPS,
                WEIGHT_DECAY, false, false, ++s.step);
        return s.param;
    }

    private static float[] adamWLoop(LibraryState s) {
        float[] p = s.param, g = s.grad, m = s.m, v = s.v;
        int n = s.n;
        long step = ++s.step;
        float decay = 1f - ADAM_LR * WEIGHT_DECAY;
        float stepSize = (float) (ADAM_LR / (1 - Math.pow(BETA1, step)));
        float bc2Sqrt = (float) Math.sqrt(1 - Math.pow(BETA2, step));
        for (int i = 0; i < n; i++) {
            float gi = g[i];
            float mi = BETA1 * m[i] + (1f - BETA1) * gi;
            float vi = BETA2 * v[i] + (1f - BETA2) * gi * gi;
            m[i] = mi;
            v[i] = vi;
            p[i] = p[i] * decay - stepSize * mi / ((float) Math.sqrt(vi) / bc2Sqrt + EPS);
        }
        return p;
    }
}
