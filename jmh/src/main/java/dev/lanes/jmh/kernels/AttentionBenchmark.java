package dev.lanes.jmh.kernels;

import dev.lanes.jmh.Work;
import dev.lanes.kernels.Attention;
import dev.lanes.kernels.Gemm;
import dev.lanes.kernels.Softmax;
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
 * Scaled dot-product attention, {@code BH = 8} problems of {@code T} queries and {@code T} keys with
 * {@code D = 64}: Lanes' fused kernel ({@link Attention}, forward and backward) next to the naive forward
 * that stores the {@code T x T} scores: a batched GEMM for {@code Q K^T * scale}, {@link Softmax} over the
 * rows, a batched GEMM for {@code P V}.
 *
 * <p>Throughput: the forward does {@code 4 BH T^2 D} floating-point operations (two products of
 * {@code 2 BH T^2 D} each), so GFLOP/s = {@code 4 * 8 * T * T * 64 / (time in ns)}; the backward does
 * {@code 2.5} times that (five products, counting the recomputed scores: {@code 10 BH T^2 D}; Lanes
 * computes the scores and {@code dOut V^T} in both of its passes, {@code 14 BH T^2 D} in all, which this
 * count leaves out; since the one-pass backward, Lanes computes {@code 10 BH T^2 D} as well). Each method adds
 * that count to a {@link Work.Flop} counter (GFLOP/s, the figures of docs/kernels.md): {@code 4 BH T^2 D} for
 * {@link #fusedForward} and {@link #naiveForward}, {@code 10 BH T^2 D} for {@link #fusedBackward}, half the
 * forward's for {@link #fusedForwardCausal} (the masked half of the scores is skipped, the FlashAttention
 * convention), {@code (2 + 5) BH T^2 D} for the causal {@link #gptForwardBackward}, and {@code 4 BH TK D} for
 * {@link #decodeForward}. {@code scripts/bench_torch_attention.py --json} writes PyTorch's figures as the same
 * benchmarks with {@code library=pytorch}.
 *
 * <p>Two small shapes of the sequence models built on it: {@link #gptForwardBackward}, a GPT's causal
 * attention in training (batch 16 x 4 heads = 64 problems of T = 128, D = 64, forward then backward), and
 * {@link #decodeForward}, generation with a KV cache (4 heads, one query against 512 keys).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC", "-Xmx2g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class AttentionBenchmark {
    static final int BH = 8, D = 64;

    @State(Scope.Benchmark)
    public static class Operands {
        @Param({"128", "512", "2048"})
        public int t;

        @Param({"1", "2"})
        public int threads;

        float scale;
        float[] q, k, v, out, lse, dOut, dq, dk, dv, scores;

        @Setup(Level.Trial)
        public void setUp() {
            KernelShape.setUpLanes(threads);
            int n = BH * t * D;
            q = KernelShape.gaussian(1, n, 1);
            k = KernelShape.gaussian(2, n, 1);
            v = KernelShape.gaussian(3, n, 1);
            dOut = KernelShape.gaussian(4, n, 1);
            out = new float[n];
            lse = new float[BH * t];
            dq = new float[n];
            dk = new float[n];
            dv = new float[n];
            scores = new float[BH * t * t];
            scale = Attention.defaultScale(D);
            Attention.forward(BH, t, t, D, q, 0, k, 0, v, 0, null, 0, 0, false, scale, out, 0, lse, 0);
        }
    }

    /** A GPT's attention in training: 64 causal problems of T = 128, D = 64, forward and backward. */
    @State(Scope.Benchmark)
    public static class Gpt {
        static final int BH = 64, T = 128;

        @Param({"1", "2"})
        public int threads;

        float scale;
        float[] q, k, v, out, lse, dOut, dq, dk, dv;

        @Setup(Level.Trial)
        public void setUp() {
            KernelShape.setUpLanes(threads);
            int n = BH * T * D;
            q = KernelShape.gaussian(1, n, 1);
            k = KernelShape.gaussian(2, n, 1);
            v = KernelShape.gaussian(3, n, 1);
            dOut = KernelShape.gaussian(4, n, 1);
            out = new float[n];
            lse = new float[BH * T];
            dq = new float[n];
            dk = new float[n];
            dv = new float[n];
            scale = Attention.defaultScale(D);
        }
    }

    /** Generation with a KV cache: 4 heads, one new query against 512 cached keys. */
    @State(Scope.Benchmark)
    public static class Decode {
        static final int BH = 4, TK = 512;

        @Param({"1", "2"})
        public int threads;

        float scale;
        float[] q, k, v, out;

        @Setup(Level.Trial)
        public void setUp() {
            KernelShape.setUpLanes(threads);
            q = KernelShape.gaussian(1, BH * D, 1);
            k = KernelShape.gaussian(2, BH * TK * D, 1);
            v = KernelShape.gaussian(3, BH * TK * D, 1);
            out = new float[BH * D];
            scale = Attention.defaultScale(D);
        }
    }

    @Benchmark
    public float[] gptForwardBackward(Gpt s, Work.Flop work) {
        work.gflop += 7e-9 * Gpt.BH * Gpt.T * Gpt.T * D;
        Attention.forward(Gpt.BH, Gpt.T, Gpt.T, D, s.q, 0, s.k, 0, s.v, 0, null, 0, 0, true, s.scale, s.out, 0, s.lse, 0);
        Attention.backward(Gpt.BH, Gpt.T, Gpt.T, D, s.q, 0, s.k, 0, s.v, 0, null, 0, 0, true, s.scale, s.out, 0,
                s.lse, 0, s.dOut, 0, s.dq, 0, s.dk, 0, s.dv, 0);
        return s.dq;
    }

    @Benchmark
    public float[] decodeForward(Decode s, Work.Flop work) {
        work.gflop += 4e-9 * Decode.BH * Decode.TK * D;
        Attention.forward(Decode.BH, 1, Decode.TK, D, s.q, 0, s.k, 0, s.v, 0, null, 0, 0, false, s.scale, s.out, 0,
                null, 0);
        return s.out;
    }

    @Benchmark
    public float[] fusedForward(Operands s, Work.Flop work) {
        work.gflop += 4e-9 * BH * s.t * s.t * D;
        Attention.forward(BH, s.t, s.t, D, s.q, 0, s.k, 0, s.v, 0, null, 0, 0, false, s.scale, s.out, 0, s.lse, 0);
        return s.out;
    }

    @Benchmark
    public float[] fusedForwardCausal(Operands s, Work.Flop work) {
        work.gflop += 2e-9 * BH * s.t * s.t * D;
        Attention.forward(BH, s.t, s.t, D, s.q, 0, s.k, 0, s.v, 0, null, 0, 0, true, s.scale, s.out, 0, s.lse, 0);
        return s.out;
    }

    @Benchmark
    public float[] fusedBackward(Operands s, Work.Flop work) {
        work.gflop += 10e-9 * BH * s.t * s.t * D;
        Attention.backward(BH, s.t, s.t, D, s.q, 0, s.k, 0, s.v, 0, null, 0, 0, false, s.scale, s.out, 0, s.lse, 0,
                s.dOut, 0, s.dq, 0, s.dk, 0, s.dv, 0);
        return s.dq;
    }

    /** Scores stored: {@code S = scale Q K^T}, {@code P = softmax(S)} in place, {@code out = P V}. */
    @Benchmark
    public float[] naiveForward(Operands s, Work.Flop work) {
        work.gflop += 4e-9 * BH * s.t * s.t * D;
        int t = s.t;
        Gemm.sgemmStridedBatched(false, true, t, t, D, s.scale, s.q, 0, D, t * D, s.k, 0, D, t * D,
                0f, s.scores, 0, t, t * t, BH);
        Softmax.softmax(BH * t, t, s.scores, 0, s.scores, 0);
        Gemm.sgemmStridedBatched(false, false, t, D, t, 1f, s.scores, 0, t, t * t, s.v, 0, D, t * D,
                0f, s.out, 0, D, t * D, BH);
        return s.out;
    }
}
