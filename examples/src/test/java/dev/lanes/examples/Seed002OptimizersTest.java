package dev.lanes.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Seed002OptimizersTest {
    @TempDir
    Path dir;

    @Test
    void autogradMatchesTheHandComputationAndEveryOptimizerLearns() throws IOException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        Seed002Optimizers.Result r = Seed002Optimizers.run(2, 300, dir, new PrintStream(buffer, true, StandardCharsets.UTF_8));
        String printed = buffer.toString(StandardCharsets.UTF_8);

        assertEquals(3.0, r.gradA(), 0);
        assertEquals(2.0, r.gradB(), 0);
        assertTrue(printed.contains("a.grad = None") && printed.contains("a.grad = tensor([3.0000])"), printed);

        // One sample, 262 parameters: Adam drives the loss to about zero, as in the seed's printout.
        assertTrue(r.fnnFinalLoss() < 1e-3, r.toString());
        assertTrue(printed.contains("Epoch [100/100], Loss: "), printed);

        List<String> names = r.curves().stream().map(Seed002Optimizers.Curve::name).toList();
        assertEquals(List.of("SGD", "Momentum", "NAG", "Adagrad", "RMSprop", "Adam", "AdamW", "Muon"), names);
        double start = r.curves().get(0).initialLoss();
        for (Seed002Optimizers.Curve c : r.curves()) {
            assertEquals(start, c.initialLoss(), 0, c.name() + " did not start from the same weights");
            assertEquals(300, c.losses().length, c.name());
            // Plain SGD, the slowest, ends about 35 times lower; the adaptive ones 900 to 3000 times.
            assertTrue(c.finalLoss() < start / 10, c.name() + ": " + start + " -> " + c.finalLoss());
        }

        assertEquals(List.of(dir.resolve("optimizers.png"), dir.resolve("optimizers.svg")), r.files());
        byte[] png = Files.readAllBytes(dir.resolve("optimizers.png"));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(png, 4));
        String svg = Files.readString(dir.resolve("optimizers.svg"));
        assertTrue(svg.contains("<svg") && svg.contains("Muon") && svg.contains("Adagrad"), "legend missing");
    }
}
