package dev.lanes.jmh.nn;

import dev.lanes.jmh.VectorGuard;
import dev.lanes.jmh.Work;
import dev.lanes.kernels.Activation;
import dev.lanes.kernels.Activations;
import dev.lanes.kernels.CrossEntropy;
import dev.lanes.kernels.Gemm;
import dev.lanes.kernels.Lanes;
import dev.lanes.kernels.Reductions;
import dev.lanes.kernels.Threads;
import dev.lanes.nn.F;
import dev.lanes.nn.Generator;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.layers.Activations.ReLU;
import dev.lanes.nn.layers.Linear;
import dev.lanes.nn.layers.Module;
import dev.lanes.nn.layers.Sequential;
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
 * One forward + backward step of {@code Linear(784,512)-ReLU-Linear(512,256)-ReLU-Linear(256,10)} with
 * cross-entropy at batch 128 (the nn-core issue's MLP), three ways in the same run:
 * <ul>
 *   <li>{@code nnFused}: the nn layer with the ReLUs fused into the Linear GEMMs;</li>
 *   <li>{@code nnModules}: the same model composed as PyTorch writes it ({@code Linear}, {@code ReLU} modules);</li>
 *   <li>{@code rawKernels}: the same arithmetic as direct kernel calls on preallocated arrays, the floor
 *       the autograd layer's overhead is measured against ({@code nnFused / rawKernels}).</li>
 * </ul>
 * Samples/s = 128 / time. {@code scripts/bench_torch_nn.py} times the step in PyTorch.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
// A fixed, pre-touched heap: on this VM the first touch of a fresh heap page is slow enough to make
// iterations without a GC 10-30x slower (measured with ConvBenchmark).
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC", "-Xms2g", "-Xmx2g",
        "-XX:+AlwaysPreTouch"})
// A whole model: C2 compiles some of its Vector API paths (LayerNorm, for one) only after ~8 s.
@Warmup(iterations = 6, time = 2)
@Measurement(iterations = 5, time = 1)
public class MlpStepBenchmark {
    static final int BATCH = 128, IN = 784, H1 = 512, H2 = 256, OUT = 10;

    @Param({"1", "2"})
    public int threads;

    private Module fused, modules;
    private Tensor input, labels;

    // Raw-kernel state: weights, activations and gradients, preallocated.
    private float[] x, w1, b1, w2, b2, w3, b3, h1, h2, logits, dlogits, dh2, dh1, dw1, dw2, dw3, db1, db2, db3;
    private int[] targets;

    @Setup(Level.Trial)
    public void setUp() {
        VectorGuard.requireVectorized();
        Threads.setCount(threads);
        System.out.println();
        System.out.println(Lanes.describe());
        Generator g = new Generator(1);
        fused = new Sequential(new Linear(IN, H1, true, Activation.RELU, g), new Linear(H1, H2, true, Activation.RELU, g),
                new Linear(H2, OUT, true, Activation.IDENTITY, g));
        modules = new Sequential(new Linear(IN, H1, true, Activation.IDENTITY, g), new ReLU(),
                new Linear(H1, H2, true, Activation.IDENTITY, g), new ReLU(), new Linear(H2, OUT, true, Activation.IDENTITY, g));
        input = Tensor.rand(g, BATCH, IN);
        float[] l = new float[BATCH];
        targets = new int[BATCH];
        for (int i = 0; i < BATCH; i++) {
            targets[i] = g.nextInt(OUT);
            l[i] = targets[i];
        }
        labels = Tensor.wrap(l, BATCH);
        x = input.toArray();
        w1 = fused.parameters().get(0).toArray();
        b1 = fused.parameters().get(1).toArray();
        w2 = fused.parameters().get(2).toArray();
        b2 = fused.parameters().get(3).toArray();
        w3 = fused.parameters().get(4).toArray();
        b3 = fused.parameters().get(5).toArray();
        h1 = new float[BATCH * H1];
        h2 = new float[BATCH * H2];
        logits = new float[BATCH * OUT];
        dlogits = new float[BATCH * OUT];
        dh2 = new float[BATCH * H2];
        dh1 = new float[BATCH * H1];
        dw1 = new float[H1 * IN];
        dw2 = new float[H2 * H1];
        dw3 = new float[OUT * H2];
        db1 = new float[H1];
        db2 = new float[H2];
        db3 = new float[OUT];
    }

    @Benchmark
    public Tensor nnFused(Work.Samples work) {
        work.samples += BATCH;
        return step(fused);
    }

    @Benchmark
    public Tensor nnModules(Work.Samples work) {
        work.samples += BATCH;
        return step(modules);
    }

    private Tensor step(Module model) {
        model.zeroGrad();
        Tensor loss = F.crossEntropy(model.forward(input), labels);
        loss.backward();
        return loss;
    }

    @Benchmark
    public float rawKernels(Work.Samples work) {
        work.samples += BATCH;
        Gemm.sgemmFused(false, true, BATCH, H1, IN, 1f, x, 0, IN, w1, 0, IN, 0f, h1, 0, H1, b1, 0, Activation.RELU);
        Gemm.sgemmFused(false, true, BATCH, H2, H1, 1f, h1, 0, H1, w2, 0, H1, 0f, h2, 0, H2, b2, 0, Activation.RELU);
        Gemm.sgemmFused(false, true, BATCH, OUT, H2, 1f, h2, 0, H2, w3, 0, H2, 0f, logits, 0, OUT, b3, 0, Activation.IDENTITY);
        float loss = CrossEntropy.mean(BATCH, OUT, logits, 0, targets, 0, -100, 0f, dlogits, 0);
        // Layer 3
        Gemm.sgemm(true, false, OUT, H2, BATCH, 1f, dlogits, 0, OUT, h2, 0, H2, 0f, dw3, 0, H2);
        Reductions.columnSums(BATCH, OUT, dlogits, 0, db3, 0);
        Gemm.sgemm(false, false, BATCH, H2, OUT, 1f, dlogits, 0, OUT, w3, 0, H2, 0f, dh2, 0, H2);
        Activations.reluBackward(BATCH * H2, h2, 0, dh2, 0, dh2, 0);
        // Layer 2
        Gemm.sgemm(true, false, H2, H1, BATCH, 1f, dh2, 0, H2, h1, 0, H1, 0f, dw2, 0, H1);
        Reductions.columnSums(BATCH, H2, dh2, 0, db2, 0);
        Gemm.sgemm(false, false, BATCH, H1, H2, 1f, dh2, 0, H2, w2, 0, H1, 0f, dh1, 0, H1);
        Activations.reluBackward(BATCH * H1, h1, 0, dh1, 0, dh1, 0);
        // Layer 1 (no gradient for the input)
        Gemm.sgemm(true, false, H1, IN, BATCH, 1f, dh1, 0, H1, x, 0, IN, 0f, dw1, 0, IN);
        Reductions.columnSums(BATCH, H1, dh1, 0, db1, 0);
        return loss;
    }
}
