package dev.lanes.jmh.nn;

import dev.lanes.jmh.VectorGuard;
import dev.lanes.jmh.Work;
import dev.lanes.kernels.Activation;
import dev.lanes.kernels.Lanes;
import dev.lanes.kernels.Threads;
import dev.lanes.nn.F;
import dev.lanes.nn.Generator;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.layers.Activations.ReLU;
import dev.lanes.nn.layers.Linear;
import dev.lanes.nn.layers.Module;
import dev.lanes.nn.layers.Sequential;
import dev.lanes.nn.optim.Adam;
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
 * One full training step of the training-toolkit issue's MLP,
 * {@code Linear(784,512)-ReLU-Linear(512,256)-ReLU-Linear(256,10)}, at batch 128 with Adam (lr 1e-3):
 * {@code zeroGrad}, forward, cross-entropy, backward, {@code step}, as a PyTorch training loop does.
 * <ul>
 *   <li>{@code modules}: written as in PyTorch ({@code Linear} and {@code ReLU} modules);</li>
 *   <li>{@code fused}: the ReLUs fused into the Linear GEMMs ({@code new Linear(784, 512, true, RELU)}).</li>
 * </ul>
 * Samples/s = 128 / time. {@code scripts/bench_torch_training.py} times the same step in PyTorch.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC", "-Xms2g", "-Xmx2g",
        "-XX:+AlwaysPreTouch"})
// A whole model: C2 compiles some of its Vector API paths (LayerNorm, for one) only after ~8 s.
@Warmup(iterations = 6, time = 2)
@Measurement(iterations = 5, time = 1)
public class MlpTrainingBenchmark {
    static final int BATCH = 128;

    @Param({"1", "2"})
    public int threads;

    private Module modules, fused;
    private Adam modulesAdam, fusedAdam;
    private Tensor input, labels;

    @Setup(Level.Trial)
    public void setUp() {
        VectorGuard.requireVectorized();
        Threads.setCount(threads);
        System.out.println();
        System.out.println(Lanes.describe());
        Generator g = new Generator(1);
        modules = new Sequential(new Linear(784, 512, true, null, g), new ReLU(), new Linear(512, 256, true, null, g),
                new ReLU(), new Linear(256, 10, true, null, g));
        fused = new Sequential(new Linear(784, 512, true, Activation.RELU, g), new Linear(512, 256, true, Activation.RELU, g),
                new Linear(256, 10, true, null, g));
        modulesAdam = new Adam(modules.parameters(), 1e-3);
        fusedAdam = new Adam(fused.parameters(), 1e-3);
        input = Tensor.rand(g, BATCH, 784);
        float[] l = new float[BATCH];
        for (int i = 0; i < BATCH; i++) {
            l[i] = g.nextInt(10);
        }
        labels = Tensor.wrap(l, BATCH);
    }

    @Benchmark
    public Tensor modules(Work.Samples work) {
        work.samples += BATCH;
        return step(modules, modulesAdam);
    }

    @Benchmark
    public Tensor fused(Work.Samples work) {
        work.samples += BATCH;
        return step(fused, fusedAdam);
    }

    private Tensor step(Module model, Adam optimizer) {
        optimizer.zeroGrad();
        Tensor loss = F.crossEntropy(model.forward(input), labels);
        loss.backward();
        optimizer.step();
        return loss;
    }
}
