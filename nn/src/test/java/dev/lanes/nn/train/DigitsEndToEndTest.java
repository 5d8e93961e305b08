package dev.lanes.nn.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.kernels.Activation;
import dev.lanes.nn.F;
import dev.lanes.nn.Generator;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.data.Batch;
import dev.lanes.nn.data.Csv;
import dev.lanes.nn.data.DataLoader;
import dev.lanes.nn.data.Datasets;
import dev.lanes.nn.data.Subset;
import dev.lanes.nn.inference.InferencePlan;
import dev.lanes.nn.io.Safetensors;
import dev.lanes.nn.layers.Dropout;
import dev.lanes.nn.layers.Linear;
import dev.lanes.nn.layers.Sequential;
import dev.lanes.nn.optim.AdamW;
import dev.lanes.nn.optim.lr.CosineAnnealingLR;
import dev.lanes.nn.utils.ClipGrad;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training toolkit end to end on real data that CI always has: scikit-learn's 8x8 digits (1797 images,
 * committed). CSV reader, seeded train/validation/test split, shuffled batches, an MLP with dropout, AdamW with a cosine schedule,
 * gradient clipping, early stopping with best-weights restore, a history chart, a safetensors round trip and
 * an inference plan. A small MLP classifies these digits at about 97 %; the test asks for 94 %.
 */
class DigitsEndToEndTest {
    @Test
    void trainsSavesReloadsAndPredicts(@TempDir Path dir) throws Exception {
        Csv.Table digits = Csv.read(Path.of(DigitsEndToEndTest.class.getResource("/data/digits.csv.gz").toURI()),
                Csv.Options.DEFAULT.labelColumn(-1));
        Tensor pixels = digits.features().div(16f); // 0..16 intensities to [0, 1]
        var all = new dev.lanes.nn.data.TensorDataset(pixels, digits.labels());
        // Early stopping watches the validation split; the test split is only looked at once, at the end.
        List<Subset> split = Datasets.randomSplit(all, new double[] {0.7, 0.15, 0.15}, new Generator(1));
        Subset train = split.get(0), validation = split.get(1), test = split.get(2);
        Batch validationSet = validation.batch(IntStream.range(0, validation.size()).toArray());
        Batch testSet = test.batch(IntStream.range(0, test.size()).toArray());

        Generator g = new Generator(2);
        Sequential model = new Sequential(new Linear(64, 128, true, Activation.RELU, g), new Dropout(0.1f, g),
                new Linear(128, 10, true, Activation.IDENTITY, g));
        AdamW optimizer = new AdamW(model.parameters(), 3e-3);
        int epochs = 40;
        var schedule = new CosineAnnealingLR(optimizer, epochs);
        DataLoader loader = DataLoader.builder(train).batchSize(32).shuffle(3).build();
        EarlyStopping stopping = new EarlyStopping(8);
        History history = new History();
        for (int epoch = 0; epoch < epochs; epoch++) {
            model.train();
            double lossSum = 0;
            for (Batch b : loader) {
                optimizer.zeroGrad();
                Tensor loss = F.crossEntropy(model.forward(b.inputs()), b.targets());
                loss.backward();
                ClipGrad.clipGradNorm(model.parameters(), 5.0);
                optimizer.step();
                lossSum += loss.item() * b.size();
            }
            schedule.step();
            double accuracy = accuracy(InferencePlan.of(model.eval(), validation.size()), validationSet);
            history.addEpoch(epoch, "train_loss", lossSum / train.size(), "val_accuracy", accuracy);
            if (stopping.step(1 - accuracy, model)) {
                break;
            }
        }
        stopping.restoreBest(model);
        model.eval();
        assertEquals(1 - stopping.bestMetric(), accuracy(InferencePlan.of(model, validation.size()), validationSet), 1e-12,
                "restored weights give the best epoch's validation accuracy");
        double accuracy = accuracy(InferencePlan.of(model, test.size()), testSet);
        assertTrue(accuracy >= 0.94, "test accuracy " + accuracy + "; history:\n" + history.toCsv());

        Path chart = dir.resolve("digits.svg");
        history.chart("digits", "train_loss", "val_accuracy").writeSvg(chart);
        assertTrue(Files.readString(chart).contains("<svg"));

        Path file = dir.resolve("digits.safetensors");
        Safetensors.saveModel(file, model);
        Sequential reloaded = new Sequential(new Linear(64, 128, true, Activation.RELU, new Generator(9)),
                new Dropout(0.1f), new Linear(128, 10, true, Activation.IDENTITY, new Generator(9)));
        Safetensors.loadModel(file, reloaded, true);
        reloaded.eval();
        InferencePlan plan = InferencePlan.of(reloaded, test.size());
        assertArrayEquals(InferencePlan.of(model, test.size()).predict(testSet.inputs()).toArray(),
                plan.predict(testSet.inputs()).toArray());
        assertEquals(accuracy, accuracy(plan, testSet));
    }

    private static double accuracy(InferencePlan plan, Batch data) {
        float[] logits = plan.predict(data.inputs()).toArray();
        float[] labels = data.targets().toArray();
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
            int best = 0;
            for (int c = 1; c < 10; c++) {
                if (logits[i * 10 + c] > logits[i * 10 + best]) {
                    best = c;
                }
            }
            correct += best == (int) labels[i] ? 1 : 0;
        }
        return (double) correct / labels.length;
    }
}
