package dev.lanes.jmh.nn;

import dev.lanes.jmh.VectorGuard;
import dev.lanes.jmh.Work;
import dev.lanes.kernels.Lanes;
import dev.lanes.kernels.Threads;
import dev.lanes.nn.Generator;
import dev.lanes.nn.GradMode;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.layers.LSTM;
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
 * {@code nn.LSTM(64, 256)} over a sequence of 100 steps at batch 32 (time first), as
 * {@code scripts/bench_torch_lstm.py} runs it in PyTorch:
 * <ul>
 *   <li>{@code forwardBackward}: zero the parameter gradients, forward, and back-propagate a fixed random
 *       upstream gradient of the output (the training step without the optimizer); the input needs no
 *       gradient, as data does not;</li>
 *   <li>{@code forward}: the forward pass in a no-grad scope (inference).</li>
 * </ul>
 * Sequences/s = 32 / time; the work counter is tokens (time steps x batch, 3200 per call), as
 * {@code scripts/bench_torch_lstm.py --json} writes them.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC", "-Xms2g", "-Xmx2g",
        "-XX:+AlwaysPreTouch"})
// A whole model: C2 compiles some of its Vector API paths (LayerNorm, for one) only after ~8 s.
@Warmup(iterations = 6, time = 2)
@Measurement(iterations = 5, time = 1)
public class LstmBenchmark {
    static final int INPUT = 64, HIDDEN = 256, STEPS = 100, BATCH = 32;

    @Param({"1", "2"})
    public int threads;

    private LSTM lstm;
    private Tensor input, upstream;

    @Setup(Level.Trial)
    public void setUp() {
        VectorGuard.requireVectorized();
        Threads.setCount(threads);
        System.out.println();
        System.out.println(Lanes.describe());
        Generator g = new Generator(1);
        lstm = new LSTM(INPUT, HIDDEN, 1, true, false, 0f, false, g);
        input = Tensor.randn(g, STEPS, BATCH, INPUT);
        upstream = Tensor.randn(g, STEPS, BATCH, HIDDEN);
    }

    @Benchmark
    public Tensor forwardBackward(Work.Tokens work) {
        work.tokens += STEPS * BATCH;
        lstm.zeroGrad();
        Tensor out = lstm.forward(input);
        out.backward(upstream);
        return lstm.parameters().get(1).grad();
    }

    @Benchmark
    public Tensor forward(Work.Tokens work) {
        work.tokens += STEPS * BATCH;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return lstm.forward(input);
        }
    }
}
