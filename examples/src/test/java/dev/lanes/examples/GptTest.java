package dev.lanes.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.nn.Generator;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.io.Safetensors;
import dev.lanes.nn.models.GPT;
import dev.lanes.nn.models.Sampler;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The GPT example on the committed opening of Pride and Prejudice with a tiny model: it learns, saves, resumes and samples. */
class GptTest {
    @TempDir
    Path dir;

    private static Path text() throws URISyntaxException {
        return Path.of(GptTest.class.getResource("/data/pride-and-prejudice-opening.txt").toURI());
    }

    private String[] args(String... more) throws URISyntaxException {
        String[] base = {"--data", text().toString(), "--batch", "8", "--block", "32", "--layers", "2", "--heads", "2",
                "--embd", "32", "--lr", "3e-3", "--min-lr", "3e-4", "--warmup", "5", "--eval-every", "30",
                "--eval-batches", "2", "--log-every", "30", "--tokens", "40", "--prompt", "It is", "--seed", "3",
                "--checkpoint", dir.resolve("tiny.safetensors").toString(), "--chart", dir.resolve("loss.svg").toString()};
        String[] all = Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    @Test
    void trainsSavesResumesAndSamplesTheSameWithAndWithoutTheCache() throws Exception {
        Gpt.Result r = Gpt.run(args("--steps", "90"));
        double[] loss = r.history().stepSeries("train_loss").y();
        double first = Arrays.stream(loss, 0, 5).average().orElseThrow(), last = Arrays.stream(loss, loss.length - 5, loss.length).average().orElseThrow();
        // From ln(256) = 5.5 nats (uniform over bytes) the tiny model gets well under 3.5 in 90 steps.
        assertTrue(first > 5 && last < 3.5 && last < first - 2, "first " + first + ", last " + last);
        assertTrue(r.valLoss() < 4, "validation loss " + r.valLoss());
        assertEquals(3, r.history().stepSeries("val_loss").size());
        assertTrue(r.sample().startsWith("It is") && r.sample().length() > 20, r.sample());
        Path ckpt = dir.resolve("tiny.safetensors");
        assertTrue(Files.exists(ckpt) && Files.exists(Gpt.optimizerFile(ckpt)) && Files.exists(dir.resolve("loss.svg"))
                && Files.exists(dir.resolve("loss.csv")));
        Map<String, String> meta = Safetensors.load(ckpt).metadata();
        assertEquals("90", meta.get("step"));

        // The checkpoint round-trips: a fresh model from its metadata and weights gives the same sample.
        GPT model = new GPT(Gpt.configOf(meta, ckpt), new Generator(0));
        Safetensors.loadModel(ckpt, model, true);
        Gpt.Result again = Gpt.run(args("--generate-only"));
        assertEquals(r.sample(), again.sample());
        // Generation with and without the KV cache gives the same tokens for the same seed (40 tokens from a
        // 5-token prompt with a 32-token block: the context is cropped and the cache refilled).
        int[] prompt = {'I', 't', ' ', 'i', 's'};
        for (Sampler s : new Sampler[] {new Sampler(0.8, 0, 0.95), new Sampler(1.0, 10, 1.0), Sampler.greedy()}) {
            assertArrayEquals(model.generateWithoutCache(prompt, 40, s, new Generator(5)), model.generate(prompt, 40, s, new Generator(5)),
                    s.toString());
        }
        // Same weights, same logits.
        Tensor idx = Tensor.of(new float[] {73, 116, 32, 105, 115}, 1, 5);
        assertEquals(Gpt.validationLoss(model, text32(), 8, 2), r.valLoss(), 1e-6);
        assertTrue(model.forward(idx).numel() == 5 * 256);

        // --resume continues at step 90 with the optimizer state, for 10 more steps.
        Path optimAt90 = Files.copy(Gpt.optimizerFile(ckpt), dir.resolve("optim-90"));
        assertTrue(Gpt.loadOptimizerState(ckpt, 90, Gpt.optimizer(model, 1e-3)));
        Gpt.Result resumed = Gpt.run(args("--steps", "100", "--resume", ckpt.toString()));
        assertEquals(10, resumed.steps());
        assertEquals("100", Safetensors.load(ckpt).metadata().get("step"));
        assertTrue(resumed.trainLoss() < 3.5, "resumed loss " + resumed.trainLoss());
        // A pair split by a crash (step-100 weights, step-90 optimizer state) is detected: the state is not loaded.
        Files.copy(optimAt90, Gpt.optimizerFile(ckpt), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertFalse(Gpt.loadOptimizerState(ckpt, 100, Gpt.optimizer(model, 1e-3)));
    }

    private static dev.lanes.nn.data.TextDataset text32() throws Exception {
        return dev.lanes.nn.data.TextDataset.split(text(), 32, 32, 0.1).validation();
    }

    @Test
    void badOptionsAreRefused() throws Exception {
        var e = assertThrows(IllegalArgumentException.class, () -> Gpt.run(args("--steps", "10", "--warmup", "10")));
        assertTrue(e.getMessage().contains("warmup 10"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Gpt.run(new String[] {"--generate-only", "--checkpoint",
                dir.resolve("missing.safetensors").toString()}));
        assertTrue(e.getMessage().contains("missing.safetensors"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Gpt.run(new String[] {"--top-p", "0"}));
        assertThrows(IllegalArgumentException.class, () -> Gpt.run(new String[] {"--unknown", "1"}));
    }
}
