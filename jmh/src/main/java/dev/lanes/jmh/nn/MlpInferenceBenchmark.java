package dev.lanes.jmh.nn;

import ai.onnxruntime.OrtException;
import dev.lanes.jmh.VectorGuard;
import dev.lanes.jmh.Work;
import dev.lanes.jmh.onnx.LibraryChoice;
import dev.lanes.jmh.onnx.OnnxModel;
import dev.lanes.kernels.Lanes;
import dev.lanes.kernels.Threads;
import dev.lanes.nn.Generator;
import dev.lanes.nn.GradMode;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.inference.InferencePlan;
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
 * Latency of one inference call of the training-toolkit issue's MLP,
 * {@code Linear(784,512)-ReLU-Linear(512,256)-ReLU-Linear(256,10)}, at batch 1 (one request of a service):
 * <ul>
 *   <li>{@code plan}: an {@link InferencePlan} on raw arrays, the way to serve a model; it should allocate
 *       nothing per call (check with {@code -prof gc}: {@code gc.alloc.rate.norm} ~ 0 B/op);</li>
 *   <li>{@code forwardNoGrad}: {@code model.forward} inside {@code GradMode.noGrad()}, which allocates a
 *       tensor per layer, as PyTorch's eager {@code model(x)} under {@code torch.inference_mode()} does.</li>
 * </ul>
 * {@code scripts/bench_torch_training.py} times the same call in PyTorch. {@code forwardNoGrad} also runs in
 * ONNX Runtime ({@code -p library=lanes,onnxruntime}, after {@code python3 scripts/export_onnx.py}; see
 * {@link OnnxModel}). Samples/s = 1 / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC", "-Xms2g", "-Xmx2g",
        "-XX:+AlwaysPreTouch"})
// A whole model: C2 compiles some of its Vector API paths (LayerNorm, for one) only after ~8 s.
@Warmup(iterations = 6, time = 2)
@Measurement(iterations = 5, time = 1)
public class MlpInferenceBenchmark {
    @Param({"1", "2"})
    public int threads;

    private Module model;
    private InferencePlan plan;
    private float[] image, logits;
    private Tensor imageTensor;

    @Setup(Level.Trial)
    public void setUp() {
        VectorGuard.requireVectorized();
        Threads.setCount(threads);
        System.out.println();
        System.out.println(Lanes.describe());
        Generator g = new Generator(1);
        model = new Sequential(new Linear(784, 512, true, null, g), new ReLU(), new Linear(512, 256, true, null, g),
                new ReLU(), new Linear(256, 10, true, null, g)).eval();
        plan = InferencePlan.of(model, 1);
        imageTensor = Tensor.rand(g, 1, 784);
        image = imageTensor.toArray();
        logits = new float[10];
    }

    /**
     * Who runs {@code forwardNoGrad}: {@code lanes}, or {@code onnxruntime} on {@code mlp_b1.onnx} (the same
     * model and input shape, exported by {@code scripts/export_onnx.py}) with {@code threads} intra-op threads.
     * Only {@code lanes} by default, as the other needs the exported file.
     */
    @State(Scope.Benchmark)
    public static class Library extends LibraryChoice {
        @Setup(Level.Trial)
        public void setUp(MlpInferenceBenchmark bench) throws OrtException {
            choose("MlpInferenceBenchmark", () -> OnnxModel.open("mlp_b1.onnx", bench.threads, "x", bench.image,
                    new long[] {1, 784}, "logits", new long[] {1, 10}));
        }
    }

    @Benchmark
    public float[] plan(Work.Samples work) {
        plan.run(image, 0, 1, logits, 0);
        work.samples += 1;
        return logits;
    }

    @Benchmark
    public Object forwardNoGrad(Library library, Work.Samples work) throws OrtException {
        work.samples += 1;
        if (library.onnx != null) {
            return library.onnx.run();
        }
        try (var scope = GradMode.noGrad()) {
            return model.forward(imageTensor);
        }
    }
}
