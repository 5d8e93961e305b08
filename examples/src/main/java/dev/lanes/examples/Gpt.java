package dev.lanes.examples;

import dev.lanes.kernels.Lanes;
import dev.lanes.nn.Generator;
import dev.lanes.nn.GradMode;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.data.Batch;
import dev.lanes.nn.data.DataLoader;
import dev.lanes.nn.data.Datasets;
import dev.lanes.nn.data.TextDataset;
import dev.lanes.nn.io.Safetensors;
import dev.lanes.nn.io.SafetensorsFile;
import dev.lanes.nn.models.GPT;
import dev.lanes.nn.models.Sampler;
import dev.lanes.nn.optim.AdamW;
import dev.lanes.nn.optim.OptimizerState;
import dev.lanes.nn.optim.ParamGroup;
import dev.lanes.nn.optim.lr.CosineAnnealingLR;
import dev.lanes.nn.optim.lr.LRScheduler;
import dev.lanes.nn.optim.lr.LinearLR;
import dev.lanes.nn.optim.lr.SequentialLR;
import dev.lanes.nn.train.Chart;
import dev.lanes.nn.train.History;
import dev.lanes.nn.utils.ClipGrad;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A small GPT trained byte by byte on Jane Austen's six novels, then sampled: nanoGPT's recipe in Lanes.
 * {@link GPT} (nanoGPT's structure and names), AdamW (weight decay on matrices and embeddings only, as nanoGPT)
 * with linear warm-up and a cosine decay ({@link SequentialLR} of {@link LinearLR} and {@link CosineAnnealingLR}),
 * gradient clipping at norm 1, the validation loss every {@code --eval-every} steps on the last 10 % of the
 * text, loss curves as a chart and CSV, and a checkpoint after every evaluation: the model as safetensors
 * ({@code --checkpoint}, loadable into nanoGPT's {@code GPT} with {@code load_state_dict(load_file(path))};
 * the configuration and step are in its metadata) and the optimizer state next to it ({@code FILE.optim}).
 * {@code --resume FILE} continues from such a checkpoint. At the end it samples {@code --tokens} bytes after
 * {@code --prompt} with the KV cache ({@code --temperature}, {@code --top-k}, {@code --top-p}, {@code --seed};
 * {@code --keep N}: when the context outgrows the block, the cache is refilled from the last N bytes, by
 * default half the block; {@code --keep} equal to the block is nanoGPT's crop exactly, one prompt pass per byte).
 *
 * <p>Usage: {@code ./lanes run Gpt [--steps N] [--batch B] [--block T] [--layers L] [--heads H] [--embd E]
 * [--dropout P] [--lr X] [--min-lr X] [--warmup N] [--eval-every N] [--eval-batches N] [--data FILE]
 * [--checkpoint FILE] [--resume FILE] [--chart FILE.svg|.png] [--prompt TEXT] [--tokens N] [--temperature X]
 * [--top-k K] [--top-p P] [--seed S] [--keep N]}, and {@code ./lanes run Gpt --generate-only --checkpoint FILE [sampling
 * options]} to sample from a saved model. The data comes from {@code scripts/data/fetch.sh janeausten}.
 * The defaults (4 layers, 4 heads, width 256, context 128, batch 16, 1500 steps, learning rate 1.5e-3 decaying to 1.5e-4) take about a quarter of an
 * hour on two cores; see docs/examples.md for the loss they reach.
 */
public final class Gpt {
    private Gpt() {}

    /** What a run did: the last train and validation losses, the steps taken, and the sampled text. */
    record Result(double trainLoss, double valLoss, int steps, String sample, History history) {}

    public static void main(String[] args) throws IOException {
        run(args);
    }

    private static final String[] USAGE = {"--steps N", "--batch B", "--block T", "--layers L", "--heads H", "--embd E",
            "--dropout P", "--lr X", "--min-lr X", "--warmup N", "--eval-every N", "--eval-batches N", "--data FILE",
            "--checkpoint FILE", "--resume FILE", "--chart FILE.svg|.png", "--prompt TEXT", "--tokens N",
            "--temperature X", "--top-k K", "--top-p P", "--seed S", "--keep N", "--log-every N", "[--generate-only]"};

    static Result run(String[] args) throws IOException {
        List<String> rest = new ArrayList<>(List.of(args));
        boolean generateOnly = rest.remove("--generate-only");
        Args a = new Args(rest.toArray(String[]::new), USAGE);
        Sampler sampler = new Sampler(a.real("--temperature", 0.8), a.integer("--top-k", 0), a.real("--top-p", 0.95));
        String prompt = a.string("--prompt", "It is a truth universally acknowledged");
        int tokens = a.integer("--tokens", 500);
        long seed = a.longInteger("--seed", 1337);
        Path checkpoint = a.path("--checkpoint", Path.of("gpt-austen.safetensors"));
        System.out.println(Lanes.describe());
        if (generateOnly) {
            if (!Files.exists(checkpoint)) {
                throw new IllegalArgumentException("--generate-only needs --checkpoint FILE of a trained model; " + checkpoint
                        + " does not exist");
            }
            GPT model = new GPT(configOf(Safetensors.load(checkpoint).metadata(), checkpoint), new Generator(seed));
            Safetensors.loadModel(checkpoint, model, true);
            System.out.println("loaded " + checkpoint + " (" + model.parameterCount() + " parameters)");
            String text = sample(model, prompt, tokens, sampler, seed, keep(a, model.config()));
            return new Result(Double.NaN, Double.NaN, 0, text, new History());
        }
        return train(a, checkpoint, sampler, prompt, tokens, seed);
    }

    private static Result train(Args a, Path checkpoint, Sampler sampler, String prompt, int tokens, long seed) throws IOException {
        int steps = a.integer("--steps", 1500), batch = a.integer("--batch", 16), evalEvery = a.integer("--eval-every", 250);
        int evalBatches = a.integer("--eval-batches", 20), warmup = a.integer("--warmup", 100), logEvery = a.integer("--log-every", 50);
        double lr = a.real("--lr", 1.5e-3), minLr = a.real("--min-lr", 1.5e-4);
        Path resume = a.path("--resume", null), chart = a.path("--chart", Path.of("gpt-austen-loss.svg"));
        GPT.Config config;
        int startStep = 0;
        if (resume != null) {
            config = configOf(Safetensors.load(resume).metadata(), resume);
        } else {
            config = new GPT.Config(TextDataset.VOCAB_SIZE, a.integer("--block", 128), a.integer("--layers", 4),
                    a.integer("--heads", 4), a.integer("--embd", 256), (float) a.real("--dropout", 0.0), true);
        }
        if (steps < 1 || batch < 1 || evalEvery < 1 || evalBatches < 1 || warmup < 0 || warmup >= steps || logEvery < 1) {
            throw new IllegalArgumentException("need --steps >= 1, --batch >= 1, --eval-every >= 1, --eval-batches >= 1, --log-every >= 1"
                    + " and 0 <= --warmup < --steps; got steps " + steps + ", batch " + batch + ", eval-every " + evalEvery
                    + ", eval-batches " + evalBatches + ", log-every " + logEvery + ", warmup " + warmup);
        }
        Path data = a.path("--data", Datasets.cacheDir("janeausten").resolve("austen.txt"));
        if (!Files.isRegularFile(data)) {
            throw new IllegalStateException("no text at " + data + ": run scripts/data/fetch.sh janeausten, or pass --data FILE");
        }
        TextDataset.Split split = TextDataset.split(data, config.blockSize(), config.blockSize(), 0.1);
        System.out.printf(Locale.ROOT, "%s: %d training windows, %d validation windows of %d bytes%n", data,
                split.train().size(), split.validation().size(), config.blockSize());

        GPT model = new GPT(config, new Generator(seed));
        System.out.printf(Locale.ROOT, "%s, %.2fM parameters%n", config, model.parameterCount() / 1e6);
        // nanoGPT: weight decay on 2-D tensors (matrices, embeddings), none on biases and LayerNorm weights.
        AdamW optimizer = optimizer(model, lr);
        if (resume != null) {
            Safetensors.loadModel(resume, model, true);
            startStep = Integer.parseInt(Safetensors.load(resume).metadata().getOrDefault("step", "0"));
            boolean withState = loadOptimizerState(resume, startStep, optimizer);
            System.out.println("resumed from " + resume + " at step " + startStep + (withState ? " with its optimizer state" : ""));
        }

        LRScheduler schedule = warmup == 0 ? new CosineAnnealingLR(optimizer, steps, minLr)
                : new SequentialLR(optimizer, List.of(new LinearLR(optimizer, 1.0 / (warmup + 1), 1.0, warmup),
                        new CosineAnnealingLR(optimizer, steps - warmup, minLr)), warmup);
        for (int i = 0; i < startStep; i++) {
            schedule.step(); // the schedule is a function of the step: replaying it restores the learning rate
        }
        Generator shuffle = new Generator(seed + 1);
        DataLoader loader = DataLoader.builder(split.train()).batchSize(batch).shuffle(true).generator(shuffle).dropLast(true).build();
        Iterator<Batch> it = loader.iterator();
        History history = new History();
        double trainLoss = Double.NaN, valLoss = Double.NaN, windowLoss = 0;
        int windowSteps = 0;
        long windowStart = System.nanoTime(), trainNanos = 0, trainTokens = 0;
        for (int step = startStep; step < steps; step++) {
            if (!it.hasNext()) {
                it = loader.iterator();
            }
            Batch b = it.next();
            long t0 = System.nanoTime();
            model.train();
            optimizer.zeroGrad();
            Tensor loss = GPT.loss(model.forward(b.inputs()), b.targets());
            loss.backward();
            ClipGrad.clipGradNorm(model.parameters(), 1.0);
            optimizer.step();
            schedule.step();
            trainNanos += System.nanoTime() - t0;
            trainTokens += (long) b.size() * config.blockSize();
            trainLoss = loss.item();
            history.addStep("train_loss", step + 1, trainLoss);
            windowLoss += trainLoss;
            windowSteps++;
            if ((step + 1) % logEvery == 0 || step + 1 == steps) {
                double secs = (System.nanoTime() - windowStart) / 1e9;
                System.out.printf(Locale.ROOT, "step %5d/%d  loss %.4f  lr %.2e  %.0f tokens/s%n", step + 1, steps,
                        windowLoss / windowSteps, optimizer.paramGroups().get(0).lr(),
                        windowSteps * (double) batch * config.blockSize() / secs);
                windowLoss = 0;
                windowSteps = 0;
                windowStart = System.nanoTime();
            }
            if ((step + 1) % evalEvery == 0 || step + 1 == steps) {
                valLoss = validationLoss(model, split.validation(), batch, evalBatches);
                history.addStep("val_loss", step + 1, valLoss);
                System.out.printf(Locale.ROOT, "step %5d: validation loss %.4f (%.3f bits per byte)%n", step + 1, valLoss,
                        valLoss / Math.log(2));
                save(checkpoint, model, optimizer, config, step + 1, valLoss);
                writeCurves(history, chart);
                windowStart = System.nanoTime();
            }
        }
        if (trainNanos > 0) {
            System.out.printf(Locale.ROOT, "trained %d steps in %.1f s: %.0f tokens/s; checkpoint %s, loss curves %s%n",
                    steps - startStep, trainNanos / 1e9, trainTokens / (trainNanos / 1e9), checkpoint, chart);
        }
        String text = sample(model, prompt, tokens, sampler, seed, keep(a, config));
        return new Result(trainLoss, valLoss, steps - startStep, text, history);
    }

    /** The mean loss over {@code batches} batches spread evenly over the validation windows, without autograd. */
    static double validationLoss(GPT model, TextDataset validation, int batch, int batches) {
        model.eval();
        int n = validation.size(), count = Math.min(batches * batch, n);
        double sum = 0;
        int done = 0;
        try (var ignored = GradMode.noGrad()) {
            for (int start = 0; start < count; start += batch) {
                int size = Math.min(batch, count - start);
                int[] idx = new int[size];
                for (int i = 0; i < size; i++) {
                    idx[i] = (int) ((long) (start + i) * n / count);
                }
                Batch b = validation.batch(idx);
                sum += GPT.loss(model.forward(b.inputs()), b.targets()).item() * size;
                done += size;
            }
        }
        model.train();
        return sum / done;
    }

    /** {@code --keep}: how many tokens the KV cache is refilled from when the context outgrows the block (default half of it). */
    private static int keep(Args a, GPT.Config config) {
        int keep = a.integer("--keep", Math.max(1, config.blockSize() / 2));
        if (keep < 1 || keep > config.blockSize()) {
            throw new IllegalArgumentException("--keep must be in [1, " + config.blockSize() + "] (the block size), got " + keep);
        }
        return keep;
    }

    /**
     * Samples {@code tokens} bytes after {@code prompt} with the KV cache (refilled from the last {@code keep}
     * tokens when the context outgrows the block), prints them and the speed, returns the text.
     */
    static String sample(GPT model, String prompt, int tokens, Sampler sampler, long seed, int keep) {
        byte[] p = prompt.getBytes(StandardCharsets.UTF_8);
        if (p.length == 0) {
            p = new byte[] {'\n'};
        }
        int[] ids = new int[p.length];
        for (int i = 0; i < p.length; i++) {
            ids[i] = p[i] & 0xFF;
        }
        long t0 = System.nanoTime();
        int[] out = model.generate(ids, tokens, sampler, new Generator(seed), model.newCache(), keep);
        double secs = (System.nanoTime() - t0) / 1e9;
        byte[] bytes = new byte[out.length];
        for (int i = 0; i < out.length; i++) {
            bytes[i] = (byte) out[i];
        }
        String text = TextDataset.decode(bytes);
        System.out.printf(Locale.ROOT, "--- %d bytes sampled with %s, seed %d (%.0f tokens/s with the KV cache) ---%n%s%n---%n",
                tokens, sampler, seed, tokens / secs, text);
        return text;
    }

    private static void save(Path checkpoint, GPT model, AdamW optimizer, GPT.Config c, int step, double valLoss) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("vocab_size", String.valueOf(c.vocabSize()));
        meta.put("block_size", String.valueOf(c.blockSize()));
        meta.put("n_layer", String.valueOf(c.nLayer()));
        meta.put("n_head", String.valueOf(c.nHead()));
        meta.put("n_embd", String.valueOf(c.nEmbd()));
        meta.put("dropout", String.valueOf(c.dropout()));
        meta.put("bias", String.valueOf(c.bias()));
        meta.put("step", String.valueOf(step));
        meta.put("val_loss", String.valueOf(valLoss));
        OptimizerState s = optimizer.stateDict();
        // Two files, each written atomically; the step in both tells a matching pair from one a crash split.
        Map<String, String> optimMeta = new LinkedHashMap<>(s.metadata());
        optimMeta.put(CHECKPOINT_STEP, String.valueOf(step));
        Safetensors.save(optimizerFile(checkpoint), s.tensors(), optimMeta);
        Safetensors.saveModel(checkpoint, model, meta);
    }

    /** The metadata key of the optimizer file that names the model checkpoint's step it belongs to. */
    static final String CHECKPOINT_STEP = "checkpoint_step";

    /** AdamW as the example trains: weight decay 0.1 on matrices and embeddings, none on biases and norms. */
    static AdamW optimizer(GPT model, double lr) {
        List<Tensor> decay = new ArrayList<>(), noDecay = new ArrayList<>();
        for (Tensor p : model.parameters()) {
            (p.dim() >= 2 ? decay : noDecay).add(p);
        }
        AdamW optimizer = new AdamW(decay, lr).betas(0.9, 0.99).weightDecay(0.1);
        optimizer.addParamGroup(ParamGroup.of(noDecay).set("weight_decay", 0));
        return optimizer;
    }

    /**
     * Loads the optimizer state saved next to {@code checkpoint} when it belongs to the model saved at
     * {@code step}; returns false (and says why) when there is none, or when it is from another step, as after
     * a crash between writing the two files, so that a resume never pairs weights with another step's moments.
     */
    static boolean loadOptimizerState(Path checkpoint, int step, AdamW optimizer) throws IOException {
        Path optim = optimizerFile(checkpoint);
        if (!Files.exists(optim)) {
            return false;
        }
        SafetensorsFile f = Safetensors.load(optim);
        Map<String, String> meta = new LinkedHashMap<>(f.metadata());
        String savedStep = meta.remove(CHECKPOINT_STEP);
        if (!String.valueOf(step).equals(savedStep)) {
            System.out.println("not loading " + optim + ": its optimizer state is from "
                    + (savedStep == null ? "an unrecorded step" : "step " + savedStep) + ", the model from step " + step
                    + " (an interrupted save?); the optimizer starts afresh");
            return false;
        }
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (String name : f.names()) {
            t.put(name, f.tensor(name));
        }
        optimizer.loadStateDict(OptimizerState.fromTensors(t, meta));
        return true;
    }

    /** Where the optimizer state of a checkpoint lives: next to it, with {@code .optim} appended. */
    static Path optimizerFile(Path checkpoint) {
        return checkpoint.resolveSibling(checkpoint.getFileName() + ".optim");
    }

    /** The model configuration from a checkpoint's metadata. */
    static GPT.Config configOf(Map<String, String> meta, Path file) {
        try {
            return new GPT.Config(Integer.parseInt(meta.get("vocab_size")), Integer.parseInt(meta.get("block_size")),
                    Integer.parseInt(meta.get("n_layer")), Integer.parseInt(meta.get("n_head")),
                    Integer.parseInt(meta.get("n_embd")), Float.parseFloat(meta.get("dropout")),
                    Boolean.parseBoolean(meta.get("bias")));
        } catch (NumberFormatException | NullPointerException e) {
            throw new IllegalArgumentException(file + " has no GPT configuration in its metadata (vocab_size, block_size, n_layer,"
                    + " n_head, n_embd, dropout, bias), found " + meta, e);
        }
    }

    private static void writeCurves(History history, Path chart) throws IOException {
        if (chart == null) {
            return;
        }
        Chart c = new Chart("GPT on Jane Austen: loss (nats per byte)").xLabel("step").add(history.stepSeries("train_loss"));
        if (history.stepMetrics().contains("val_loss")) {
            c.add(history.stepSeries("val_loss"));
        }
        Examples.writeChart(c, chart);
        Path csv = chart.resolveSibling(chart.getFileName().toString().replaceFirst("\\.[^.]*$", "") + ".csv");
        Files.writeString(csv, history.stepsToCsv());
    }
}
