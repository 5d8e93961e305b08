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
import dev.lanes.nn.models.GPT;
import dev.lanes.nn.models.Sampler;
import dev.lanes.nn.optim.AdamW;
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
 * The sequence-models issue's GPT workloads: {@link GPT} with vocab 256, width 256, 4 heads, 4 layers, FFN 1024
 * (biases, no dropout).
 * <ul>
 *   <li>{@code trainStep}: one AdamW step (lr 1e-3) on a (16, 128) batch: {@code zeroGrad}, forward,
 *       cross-entropy, backward, {@code step}. Tokens/s = 2048 / time.</li>
 *   <li>{@code forward}: the no-grad forward of the same batch to logits (16, 128, 256). Tokens/s = 2048 / time.</li>
 *   <li>{@code generate}: batch 1, a 128-token prompt then 128 new tokens sampled at temperature 1 with the
 *       KV cache (block size 256, so the cache never slides); the prompt pass is included. Tokens/s = 128 / time.</li>
 * </ul>
 * {@code scripts/bench_torch_gpt.py} times the same workloads in PyTorch; {@code forward} also runs in ONNX Runtime
 * ({@code -p library=lanes,onnxruntime}, after {@code python3 scripts/export_onnx.py}; see {@link OnnxModel}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC", "-Xms2g", "-Xmx2g",
        "-XX:+AlwaysPreTouch"})
// A whole model: C2 compiles some of its Vector API paths (LayerNorm, for one) only after ~8 s.
@Warmup(iterations = 6, time = 2)
@Measurement(iterations = 5, time = 2)
public class GptBenchmark {
    static final int VOCAB = 256, EMBD = 256, HEADS = 4, LAYERS = 4, SEQ = 128, BATCH = 16, PROMPT = 128, NEW = 128;

    @Param({"1", "2"})
    public int threads;

    private GPT model, generator;
    private AdamW optimizer;
    private Tensor idx, targets;
    private GPT.KVCache cache;
    private int[] prompt;
    private final Sampler sampler = new Sampler(1.0, 0, 1.0);
    private final Generator draws = new Generator(7);

    @Setup(Level.Trial)
    public void setUp() {
        VectorGuard.requireVectorized();
        Threads.setCount(threads);
        System.out.println();
        System.out.println(Lanes.describe());
        Generator g = new Generator(1);
        model = new GPT(new GPT.Config(VOCAB, SEQ, LAYERS, HEADS, EMBD, 0f, true), g);
        optimizer = new AdamW(model.parameters(), 1e-3);
        float[] x = new float[BATCH * SEQ], y = new float[BATCH * SEQ];
        for (int i = 0; i < x.length; i++) {
            x[i] = g.nextInt(VOCAB);
            y[i] = g.nextInt(VOCAB);
        }
        idx = Tensor.wrap(x, BATCH, SEQ);
        targets = Tensor.wrap(y, BATCH, SEQ);
        generator = new GPT(new GPT.Config(VOCAB, PROMPT + NEW, LAYERS, HEADS, EMBD, 0f, true), g);
        generator.eval();
        cache = generator.newCache();
        prompt = new int[PROMPT];
        for (int i = 0; i < PROMPT; i++) {
            prompt[i] = g.nextInt(VOCAB);
        }
    }

    /**
     * Who runs {@code forward}: {@code lanes}, or {@code onnxruntime} on {@code gpt_b16_t128.onnx} (the same
     * model and input shape, exported by {@code scripts/export_onnx.py}) with {@code threads} intra-op threads.
     * Only {@code lanes} by default, as the other needs the exported file.
     */
    @State(Scope.Benchmark)
    public static class Library extends LibraryChoice {
        @Setup(Level.Trial)
        public void setUp(GptBenchmark bench) throws OrtException {
            choose("GptBenchmark", () -> OnnxModel.open("gpt_b16_t128.onnx", bench.threads, "idx", bench.tokenIds(),
                    new long[] {BATCH, SEQ}, "logits", new long[] {BATCH, SEQ, VOCAB}));
        }
    }

    /** The batch's token ids as ONNX Runtime takes them (int64). */
    long[] tokenIds() {
        float[] x = idx.toArray();
        long[] ids = new long[x.length];
        for (int i = 0; i < x.length; i++) {
            ids[i] = (long) x[i];
        }
        return ids;
    }

    @Benchmark
    public Tensor trainStep(Work.Tokens work) {
        model.train();
        optimizer.zeroGrad();
        Tensor loss = GPT.loss(model.forward(idx), targets);
        loss.backward();
        optimizer.step();
        work.tokens += BATCH * SEQ;
        return loss;
    }

    @Benchmark
    public Object forward(Library library, Work.Tokens work) throws OrtException {
        work.tokens += BATCH * SEQ;
        if (library.onnx != null) {
            return library.onnx.run();
        }
        model.eval(); // trainStep leaves the shared model in training mode; this is the inference forward
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return model.forward(idx);
        }
    }

    @Benchmark
    public int[] generate(Work.Tokens work) {
        work.tokens += NEW;
        return generator.generate(prompt, NEW, sampler, draws, cache);
    }
}
