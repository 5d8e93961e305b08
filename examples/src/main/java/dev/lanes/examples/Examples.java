package dev.lanes.examples;

import dev.lanes.nn.F;
import dev.lanes.nn.GradMode;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.data.Batch;
import dev.lanes.nn.data.DataLoader;
import dev.lanes.nn.data.Datasets;
import dev.lanes.nn.data.Mnist;
import dev.lanes.nn.data.TensorDataset;
import dev.lanes.nn.inference.InferencePlan;
import dev.lanes.nn.layers.Module;
import dev.lanes.nn.optim.Optimizer;
import dev.lanes.nn.optim.lr.LRScheduler;
import dev.lanes.nn.train.Chart;
import dev.lanes.nn.train.History;
import dev.lanes.nn.train.ProgressLine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.ToDoubleFunction;

/** What the examples share: finding the data sets that {@code scripts/data/fetch.sh} downloads, and options. */
final class Examples {
    private Examples() {}

    /** Loads an MNIST-format data set, or stops with what to run to fetch it. */
    static Mnist loadMnist(Path explicit, String name, Mnist.Options options) throws IOException {
        Path dir = explicit != null ? explicit : Datasets.cacheDir(name); // where scripts/data/fetch.sh puts it
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("no " + name + " data in " + dir + ": run scripts/data/fetch.sh " + name
                    + " (it downloads into $LANES_DATA or ~/.cache/lanes/data), or pass --data DIR");
        }
        return Mnist.load(dir, options);
    }

    /** Pixels scaled to [0, 1] and normalised with the data set's own mean and standard deviation. */
    static Mnist.Options normalized(String dataset, boolean flat) {
        Mnist.Options options = dataset.equals("fashion-mnist")
                ? Mnist.Options.DEFAULT.normalize(0.2860f, 0.3530f) : Mnist.Options.DEFAULT.normalize();
        return flat ? options.flatten() : options;
    }

    /**
     * The share of {@code test} rows whose largest output is the label, computed through an allocation-free
     * {@link InferencePlan} 1000 rows at a time (the model must be a feed-forward stack the plan supports).
     */
    static double accuracy(Module model, TensorDataset test) {
        model.eval();
        InferencePlan plan = InferencePlan.of(model, 1000);
        int in = plan.inputFeatures(), classes = plan.outputFeatures();
        Tensor inputs = test.inputs().contiguous();
        float[] labels = test.targets().toArray();
        float[] outputs = new float[1000 * classes];
        int rows = inputs.size(0), correct = 0;
        for (int start = 0; start < rows; start += 1000) {
            int n = Math.min(1000, rows - start);
            plan.run(inputs.array(), inputs.arrayOffset() + start * in, n, outputs, 0);
            correct += countCorrect(n, classes, outputs, 0, labels, start);
        }
        return rows == 0 ? Double.NaN : (double) correct / rows;
    }

    /** How many of {@code n} rows of {@code classes} outputs have their largest output at the row's label. */
    private static int countCorrect(int n, int classes, float[] outputs, int offset, float[] labels, int firstLabel) {
        int correct = 0;
        for (int i = 0; i < n; i++) {
            if (argmax(outputs, offset + i * classes, classes) == (int) labels[firstLabel + i]) {
                correct++;
            }
        }
        return correct;
    }

    /** The index of the largest of {@code values[offset .. offset + length)}, the first one on ties. */
    static int argmax(float[] values, int offset, int length) {
        int best = 0;
        for (int i = 1; i < length; i++) {
            if (values[offset + i] > values[offset + best]) {
                best = i;
            }
        }
        return best;
    }

    /** What {@link #fit} measured: the per-epoch history and the training throughput (test passes excluded). */
    record Fit(History history, double trainSeconds, double samplesPerSecond) {}

    /**
     * The usual PyTorch training loop, with a progress line: for each epoch, {@code zeroGrad}, forward,
     * cross-entropy, backward, {@code step} per batch, then {@code testAccuracy} on the model in eval mode.
     * Records {@code train_loss} and {@code test_accuracy} per epoch.
     */
    static Fit fit(Module model, Optimizer optimizer, DataLoader loader, int epochs, ToDoubleFunction<Module> testAccuracy) {
        return fit(model, optimizer, null, loader, epochs, testAccuracy);
    }

    /** The same, stepping {@code schedule} (if not null) once per epoch, as PyTorch's epoch-based schedulers expect. */
    static Fit fit(Module model, Optimizer optimizer, LRScheduler schedule, DataLoader loader, int epochs,
                   ToDoubleFunction<Module> testAccuracy) {
        ProgressLine progress = ProgressLine.builder(epochs, loader.size()).build();
        History history = new History();
        long trainNanos = 0, samples = 0;
        for (int epoch = 1; epoch <= epochs; epoch++) {
            model.train();
            progress.startEpoch();
            double lossSum = 0;
            int steps = 0;
            long start = System.nanoTime();
            for (Batch batch : loader) {
                optimizer.zeroGrad();
                Tensor loss = F.crossEntropy(model.forward(batch.inputs()), batch.targets());
                loss.backward();
                optimizer.step();
                float value = loss.item();
                lossSum += value;
                steps++;
                samples += batch.size();
                progress.step(batch.size(), "loss", value);
            }
            trainNanos += System.nanoTime() - start;
            if (schedule != null) {
                schedule.step();
            }
            double accuracy = testAccuracy.applyAsDouble(model);
            history.addEpoch(epoch, "train_loss", lossSum / steps, "test_accuracy", accuracy);
            progress.endEpoch("loss", lossSum / steps, "test_acc", accuracy);
        }
        double seconds = trainNanos / 1e9;
        return new Fit(history, seconds, samples / seconds);
    }

    /** Test accuracy by {@code model.forward} in eval mode without autograd, {@code batch} rows at a time (any model). */
    static double accuracyByForward(Module model, TensorDataset test, int batch) {
        model.eval();
        float[] labels = test.targets().toArray();
        int rows = labels.length, correct = 0;
        try (var scope = GradMode.noGrad()) {
            for (int start = 0; start < rows; start += batch) {
                int n = Math.min(batch, rows - start);
                Tensor logits = model.forward(test.inputs().slice(0, start, start + n)).contiguous();
                correct += countCorrect(n, logits.size(1), logits.array(), logits.arrayOffset(), labels, start);
            }
        }
        return rows == 0 ? Double.NaN : (double) correct / rows;
    }

    /** Writes a chart as PNG or SVG, by the file's extension. */
    static void writeChart(Chart chart, Path file) throws IOException {
        if (file.toString().toLowerCase(java.util.Locale.ROOT).endsWith(".png")) {
            chart.writePng(file);
        } else {
            chart.writeSvg(file);
        }
    }

    /** Checks a {@code --dataset} value: one of the MNIST-format sets that fetch.sh knows. */
    static String dataset(String name) {
        if (!name.equals("mnist") && !name.equals("fashion-mnist")) {
            throw new IllegalArgumentException("--dataset must be mnist or fashion-mnist, got " + name);
        }
        return name;
    }
}
