package dev.lanes.jmh.nn;

import ai.onnxruntime.OrtException;
import dev.lanes.jmh.VectorGuard;
import dev.lanes.jmh.Work;
import dev.lanes.jmh.onnx.LibraryChoice;
import dev.lanes.jmh.onnx.OnnxModel;
import dev.lanes.kernels.Activation;
import dev.lanes.kernels.Lanes;
import dev.lanes.kernels.Threads;
import dev.lanes.nn.F;
import dev.lanes.nn.Generator;
import dev.lanes.nn.GradMode;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.layers.Activations.ReLU;
import dev.lanes.nn.layers.Conv2d;
import dev.lanes.nn.layers.Flatten;
import dev.lanes.nn.layers.Linear;
import dev.lanes.nn.layers.MaxPool2d;
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
 * The nn-core issue's small CNN, {@code Conv2d(1,32,3,p=1)-ReLU-MaxPool2-Conv2d(32,64,3,p=1)-ReLU-MaxPool2-
 * Flatten-Linear(3136,128)-ReLU-Linear(128,10)}, on MNIST-sized input at batch 64: one forward + backward
 * with cross-entropy ({@code step}), and an inference forward in a no-grad scope ({@code inference}).
 * Samples/s = 64 / time. {@code scripts/bench_torch_nn.py} times both in PyTorch; {@code inference} also runs in
 * ONNX Runtime ({@code -p library=lanes,onnxruntime}, after {@code python3 scripts/export_onnx.py}; see
 * {@link OnnxModel}).
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
@Measurement(iterations = 5, time = 2)
public class CnnStepBenchmark {
    static final int BATCH = 64;

    @Param({"1", "2"})
    public int threads;

    private Module model;
    private Tensor input, labels;

    @Setup(Level.Trial)
    public void setUp() {
        VectorGuard.requireVectorized();
        Threads.setCount(threads);
        System.out.println();
        System.out.println(Lanes.describe());
        Generator g = new Generator(2);
        Generator.manualSeed(2);
        model = new Sequential(new Conv2d(1, 32, 3, 1, 1), new ReLU(), new MaxPool2d(2),
                new Conv2d(32, 64, 3, 1, 1), new ReLU(), new MaxPool2d(2), new Flatten(),
                new Linear(3136, 128, true, Activation.RELU, g), new Linear(128, 10, true, Activation.IDENTITY, g));
        input = Tensor.rand(g, BATCH, 1, 28, 28);
        float[] l = new float[BATCH];
        for (int i = 0; i < BATCH; i++) {
            l[i] = g.nextInt(10);
        }
        labels = Tensor.wrap(l, BATCH);
    }

    /**
     * Who runs {@code inference}: {@code lanes}, or {@code onnxruntime} on {@code cnn_b64.onnx} (the same
     * model and input shape, exported by {@code scripts/export_onnx.py}) with {@code threads} intra-op threads.
     * Only {@code lanes} by default, as the other needs the exported file.
     */
    @State(Scope.Benchmark)
    public static class Library extends LibraryChoice {
        @Setup(Level.Trial)
        public void setUp(CnnStepBenchmark bench) throws OrtException {
            choose("CnnStepBenchmark", () -> OnnxModel.open("cnn_b64.onnx", bench.threads, "x", bench.input.toArray(),
                    new long[] {BATCH, 1, 28, 28}, "logits", new long[] {BATCH, 10}));
        }
    }

    @Benchmark
    public Tensor step(Work.Samples work) {
        model.zeroGrad();
        Tensor loss = F.crossEntropy(model.forward(input), labels);
        loss.backward();
        work.samples += BATCH;
        return loss;
    }

    @Benchmark
    public Object inference(Library library, Work.Samples work) throws OrtException {
        work.samples += BATCH;
        if (library.onnx != null) {
            return library.onnx.run();
        }
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return model.forward(input);
        }
    }
}
