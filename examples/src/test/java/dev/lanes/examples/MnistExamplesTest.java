package dev.lanes.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.nn.data.Datasets;
import dev.lanes.nn.data.Mnist;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MNIST examples on the real data. They need the files of {@code scripts/data/fetch.sh mnist} and skip
 * with a message without them (a fresh CI machine has none). The full targets (MLP 98 %, CNN 99 %)
 * take minutes and run only with {@code -Dlanes.test.long=true}:
 * {@code ./lanes test -pl examples -Dlanes.test.long=true -Dtest=MnistExamplesTest}.
 */
class MnistExamplesTest {
    private static final Path MNIST = Datasets.cacheDir("mnist");

    @BeforeAll
    static void needsTheData() {
        Assumptions.assumeTrue(Files.isDirectory(MNIST),
                "MNIST is not in " + MNIST + ": run scripts/data/fetch.sh mnist to run these tests");
    }

    @Test
    void demoTrainsSavesAndReloads(@TempDir Path dir) throws Exception {
        // MnistMlp itself throws if the reloaded model predicts differently from the saved one.
        double accuracy = MnistMlp.run(new String[] {"--epochs", "1", "--out", dir.resolve("m.safetensors").toString()});
        assertTrue(accuracy >= 0.96, "one epoch gave " + accuracy);
    }

    @Test
    void fineTuningBeatsTrainingFromScratch(@TempDir Path dir) throws Exception {
        Mnist mnist = Mnist.load(MNIST, Mnist.Options.DEFAULT.flatten().normalize());
        FineTune.Result r = FineTune.run(mnist, 10, 2, 30, dir.resolve("pretrained.safetensors"));
        assertTrue(r.fineTunedAccuracy() > r.scratchAccuracy() + 0.03, r.toString());
        assertTrue(r.fineTunedAccuracy() > 0.88, r.toString());
    }

    @Test
    void mlpReaches98Percent(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("lanes.test.long"), "a long run: set -Dlanes.test.long=true");
        double accuracy = MnistMlp.run(new String[] {"--epochs", "10", "--out", dir.resolve("m.safetensors").toString()});
        assertTrue(accuracy >= 0.98, "10 epochs gave " + accuracy);
    }

    @Test
    void cnnReaches99Percent() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("lanes.test.long"), "a long run: set -Dlanes.test.long=true");
        double accuracy = MnistCnn.run(new String[] {"--epochs", "4"});
        assertTrue(accuracy >= 0.99, "4 epochs gave " + accuracy);
    }
}
