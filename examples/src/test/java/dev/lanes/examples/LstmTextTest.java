package dev.lanes.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The LSTM language model end to end on the committed opening of Pride and Prejudice (4 KB): a small model
 * for 80 steps must bring the training loss well below its start (ln 256 = 5.55 for a model that knows
 * nothing), print the validation loss, sample text after the prompt, and save its weights.
 */
class LstmTextTest {
    @TempDir
    Path dir;

    @Test
    void lossFallsAndTextIsSampled() throws Exception {
        Path text = Path.of(LstmTextTest.class.getResource("/data/pride-and-prejudice-opening.txt").toURI());
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        Path saved = dir.resolve("lstm.safetensors");
        LstmText.Result r = LstmText.run(new String[] {"--data", text.toString(), "--steps", "80", "--hidden", "64",
                "--embed", "16", "--seq", "32", "--batch", "8", "--lr", "0.01", "--eval", "40", "--sample", "60",
                "--prompt", "It is", "--out", saved.toString()}, new PrintStream(buffer, true, StandardCharsets.UTF_8));
        String printed = buffer.toString(StandardCharsets.UTF_8);
        assertTrue(r.firstLoss() > 5.0 && r.firstLoss() < 6.0, r.toString());
        // Byte frequencies alone give about 3.1 nats on English text; 80 steps learn those and some more.
        assertTrue(r.lastLoss() < 3.4, r.toString());
        assertTrue(Double.isFinite(r.validationLoss()) && r.validationLoss() < 3.5, r.toString());
        assertTrue(printed.contains("validation loss") && printed.contains("--- sample"), printed);
        assertTrue(r.sample().startsWith("It is"), r.sample());
        assertTrue(r.sample().length() > "It is".length() + 20, r.sample());
        assertTrue(java.nio.file.Files.size(saved) > 4 * 64 * 16);
    }
}
