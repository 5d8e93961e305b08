package dev.lanes.examples;

import dev.lanes.kernels.Lanes;
import dev.lanes.nn.F;
import dev.lanes.nn.Generator;
import dev.lanes.nn.GradMode;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.data.Batch;
import dev.lanes.nn.data.DataLoader;
import dev.lanes.nn.data.Datasets;
import dev.lanes.nn.data.TextDataset;
import dev.lanes.nn.io.Safetensors;
import dev.lanes.nn.layers.Embedding;
import dev.lanes.nn.layers.LSTM;
import dev.lanes.nn.layers.Linear;
import dev.lanes.nn.layers.Module;
import dev.lanes.nn.optim.Adam;
import dev.lanes.nn.utils.ClipGrad;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;

/**
 * A character-level (byte, vocabulary 256) LSTM language model on Jane Austen's novels, char-rnn style:
 * {@code Embedding(256, E) -> LSTM(E, H, layers, batch_first) -> Linear(H, 256)}, trained with Adam and
 * gradient clipping on windows of the text, each predicting the next byte at every position. It prints the
 * training loss and, every {@code --eval} steps and at the end, the validation loss (nats per byte; a model
 * that knows nothing scores ln 256 = 5.55), then samples a few lines of text from a prompt.
 *
 * <p>Usage: {@code ./lanes run LstmText [--data FILE] [--steps N] [--hidden H] [--embed E] [--layers L]
 * [--seq T] [--batch B] [--lr X] [--eval N] [--sample CHARS] [--temperature X] [--prompt TEXT] [--seed S]
 * [--out FILE.safetensors]}. Defaults: {@code austen.txt} from {@code scripts/data/fetch.sh janeausten}, 1500
 * steps of batch 32 x 100 bytes with 256 hidden units (a few minutes on two cores; validation loss about
 * 1.6). The saved file loads into the PyTorch module printed at the end.
 */
public final class LstmText {
    private LstmText() {}

    public static void main(String[] args) throws IOException {
        run(args, System.out);
    }

    /** The losses of a run: the first training batch's, the last one's, and the final validation loss. */
    record Result(double firstLoss, double lastLoss, double validationLoss, String sample) {}

    /** The model: byte embedding, LSTM, and a linear read-out to the 256 byte values. */
    static final class CharLstm extends Module {
        final Embedding embed;
        final LSTM lstm;
        final Linear head;

        CharLstm(int embedding, int hidden, int layers, Generator g) {
            embed = registerModule("embed", new Embedding(TextDataset.VOCAB_SIZE, embedding, g));
            lstm = registerModule("lstm", new LSTM(embedding, hidden, layers, true, true, 0f, false, g));
            head = registerModule("head", new Linear(hidden, TextDataset.VOCAB_SIZE, true, null, g));
        }

        /** Logits {@code (B, T, 256)} for byte indices {@code (B, T)}, from zero states. */
        @Override
        public Tensor forward(Tensor indices) {
            return head.forward(lstm.forward(embed.forward(indices)));
        }

        /** One step of generation: the logits {@code (B, 1, 256)} and the states after reading {@code indices}. */
        LSTM.Output step(Tensor indices, Tensor h, Tensor c) {
            LSTM.Output o = lstm.forward(embed.forward(indices), h, c);
            return new LSTM.Output(head.forward(o.output()), o.h(), o.c());
        }
    }

    static Result run(String[] args, PrintStream out) throws IOException {
        Args a = new Args(args, "--data FILE", "--steps N", "--hidden H", "--embed E", "--layers L", "--seq T",
                "--batch B", "--lr X", "--eval N", "--sample CHARS", "--temperature X", "--prompt TEXT", "--seed S",
                "--out FILE.safetensors");
        Path data = a.path("--data", Datasets.cacheDir("janeausten").resolve("austen.txt"));
        int steps = a.integer("--steps", 1500), hidden = a.integer("--hidden", 256), embedding = a.integer("--embed", 64);
        int layers = a.integer("--layers", 1), seq = a.integer("--seq", 100), batch = a.integer("--batch", 32);
        int evalEvery = a.integer("--eval", 250), sampleChars = a.integer("--sample", 400);
        double lr = a.real("--lr", 2e-3), temperature = a.real("--temperature", 0.8);
        String prompt = a.string("--prompt", "It is a truth universally acknowledged");
        long seed = a.longInteger("--seed", 1);
        Path save = a.path("--out", null);
        if (!Files.isRegularFile(data)) {
            throw new IllegalStateException("no text at " + data + ": run scripts/data/fetch.sh janeausten, or pass --data FILE");
        }
        out.println(Lanes.describe());
        TextDataset.Split split = TextDataset.split(data, seq, seq, 0.05);
        out.printf(Locale.ROOT, "text: %s, %d training and %d validation windows of %d bytes%n", data.getFileName(),
                split.train().size(), split.validation().size(), seq);

        Generator g = new Generator(seed);
        CharLstm model = new CharLstm(embedding, hidden, layers, g);
        out.println(model);
        Adam optimizer = new Adam(model.parameters(), lr);
        DataLoader loader = DataLoader.builder(split.train()).batchSize(batch).shuffle(seed).dropLast(true).build();
        if (loader.size() == 0) {
            throw new IllegalArgumentException("the training text has fewer than --batch " + batch + " windows of --seq " + seq);
        }
        Iterator<Batch> batches = loader.iterator();
        double first = Double.NaN, last = Double.NaN, running = 0, validation = Double.NaN;
        long start = System.nanoTime();
        for (int step = 1; step <= steps; step++) {
            if (!batches.hasNext()) {
                batches = loader.iterator(); // the next epoch, reshuffled
            }
            Batch b = batches.next();
            model.train();
            optimizer.zeroGrad();
            Tensor loss = loss(model, b);
            loss.backward();
            ClipGrad.clipGradNorm(model.parameters(), 1.0);
            optimizer.step();
            last = loss.item();
            first = step == 1 ? last : first;
            running = step == 1 ? last : 0.95 * running + 0.05 * last;
            boolean report = step % evalEvery == 0 || step == steps;
            if (report || step % 50 == 0) {
                double seconds = (System.nanoTime() - start) / 1e9;
                out.printf(Locale.ROOT, "step %5d/%d  train loss %.3f  %.0f sequences/s", step, steps, running,
                        step * (double) batch / seconds);
                if (report) {
                    validation = validationLoss(model, split.validation(), batch);
                    out.printf(Locale.ROOT, "  validation loss %.3f", validation);
                }
                out.println();
            }
        }
        String sample = sample(model, prompt, sampleChars, (float) temperature, new Generator(seed + 1));
        out.println("--- sample (temperature " + temperature + ") ---");
        out.println(sample);
        out.println("---");
        if (save != null) {
            Safetensors.saveModel(save, model);
            out.println("saved " + save + "; in PyTorch it loads into a module with embed = nn.Embedding(256, " + embedding
                    + "), lstm = nn.LSTM(" + embedding + ", " + hidden + ", " + layers + ", batch_first=True), head = nn.Linear("
                    + hidden + ", 256)");
        }
        return new Result(first, last, validation, sample);
    }

    /** Mean cross-entropy of the next byte over every position of the batch. */
    private static Tensor loss(CharLstm model, Batch b) {
        Tensor logits = model.forward(b.inputs());
        return F.crossEntropy(logits.reshape(-1, TextDataset.VOCAB_SIZE), b.targets().reshape(-1));
    }

    /** The mean loss over (up to 20 batches of) the validation windows, in eval mode without gradients. */
    static double validationLoss(CharLstm model, TextDataset validation, int batch) {
        model.eval();
        DataLoader loader = DataLoader.builder(validation).batchSize(Math.min(batch, validation.size())).build();
        double sum = 0;
        int n = 0;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            for (Batch b : loader) {
                sum += loss(model, b).item();
                if (++n == 20) {
                    break;
                }
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /**
     * Reads {@code prompt}, then draws {@code chars} bytes one at a time from the softmax of the logits
     * divided by {@code temperature}, feeding each back with the LSTM's states.
     */
    static String sample(CharLstm model, String prompt, int chars, float temperature, Generator g) {
        model.eval();
        byte[] text = new byte[chars];
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            Tensor p = TextDataset.encode(prompt.isEmpty() ? "\n" : prompt);
            LSTM.Output o = model.step(p.reshape(1, p.numel()), null, null);
            for (int i = 0; i < chars; i++) {
                int t = o.output().size(1);
                Tensor logits = o.output().select(1, t - 1).reshape(-1).div(temperature);
                float[] probs = F.softmax(logits, 0).toArray();
                int next = draw(probs, g.nextFloat());
                text[i] = (byte) next;
                o = model.step(Tensor.of(new float[] {next}, 1, 1), o.h(), o.c());
            }
        }
        return prompt + TextDataset.decode(text);
    }

    private static int draw(float[] probs, float u) {
        double acc = 0;
        for (int i = 0; i < probs.length; i++) {
            acc += probs[i];
            if (u < acc) {
                return i;
            }
        }
        return probs.length - 1;
    }
}
