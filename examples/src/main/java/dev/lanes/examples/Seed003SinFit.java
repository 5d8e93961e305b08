package dev.lanes.examples;

import dev.lanes.kernels.Activation;
import dev.lanes.nn.F;
import dev.lanes.nn.Generator;
import dev.lanes.nn.GradMode;
import dev.lanes.nn.Reduction;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.data.Batch;
import dev.lanes.nn.data.DataLoader;
import dev.lanes.nn.data.TensorDataset;
import dev.lanes.nn.init.Init;
import dev.lanes.nn.layers.Linear;
import dev.lanes.nn.layers.Sequential;
import dev.lanes.nn.optim.SGD;
import dev.lanes.nn.train.Chart;
import dev.lanes.nn.train.Series;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Seed 003's NumPy network {@code [1, 25, 1]} fitting {@code y = 20 sin(2 pi x)} on 100 points of [0, 1],
 * written with Lanes: a sigmoid hidden layer and a linear output, Xavier-uniform weights and zero biases, full
 * batch gradient descent at lr 0.3 for 4000 epochs. The seed's backward pass divides {@code output - y} by the
 * sample count, the gradient of {@code 1/(2N) sum (output - y)^2} (its formula section's loss), so that half
 * MSE is what is minimised here; the printed loss is the plain MSE, as the seed's {@code compute_loss}.
 * The seed's two matplotlib windows become charts, written as PNG and SVG.
 *
 * <p>Then seed 003's gradient accumulation: micro-batches of 25, each loss divided by the 4 accumulation steps,
 * one optimizer step per 4 micro-batches, shown to move the weights exactly as one step on the batch of 100.
 *
 * <p>Usage: {@code ./lanes run Seed003SinFit [--out DIR] [--seed S]}; charts go to {@code target/seed003/}
 * by default ({@code loss.png}, {@code loss.svg}, {@code fit.png}, {@code fit.svg}).
 */
public final class Seed003SinFit {
    private Seed003SinFit() {}

    static final int SAMPLES = 100, HIDDEN = 25, EPOCHS = 4000, LOG_INTERVAL = 500;
    static final double LEARNING_RATE = 0.3;
    static final int MICRO_BATCH = 25, ACCUMULATION_STEPS = 4;

    /**
     * The numbers the test checks: the MSE before and after training, the charts written, and for gradient
     * accumulation the largest parameter difference from the large-batch run next to the largest change the
     * updates made.
     */
    record Result(double initialLoss, double finalLoss, List<Path> files, double accumulationDifference,
                  double accumulationChange) {}

    public static void main(String[] args) throws IOException {
        Args a = new Args(args, "--out DIR", "--seed S");
        run(a.longInteger("--seed", 3), a.path("--out", Path.of("target", "seed003")), System.out);
    }

    static Result run(long seed, Path outDir, PrintStream out) throws IOException {
        Tensor x = linspace(0, 1, SAMPLES).view(SAMPLES, 1);
        float[] sine = new float[SAMPLES];
        for (int i = 0; i < SAMPLES; i++) {
            sine[i] = (float) (20 * Math.sin(2 * Math.PI * x.get(i, 0)));
        }
        Tensor y = Tensor.of(sine, SAMPLES, 1);

        out.println("Initializing neural network...");
        Sequential model = model(new Generator(seed));
        SGD optimizer = new SGD(model.parameters(), LEARNING_RATE);

        out.printf(Locale.ROOT, "Training neural network for %d epochs...%n", EPOCHS);
        double[] lossHistory = new double[EPOCHS];
        for (int epoch = 1; epoch <= EPOCHS; epoch++) {
            optimizer.zeroGrad();
            Tensor mse = F.mseLoss(model.forward(x), y, Reduction.MEAN);
            mse.mul(0.5f).backward();
            optimizer.step();
            lossHistory[epoch - 1] = mse.item();
            if (epoch % LOG_INTERVAL == 0 || epoch == 1) {
                out.printf(Locale.ROOT, "Epoch %4d/%d | Loss: %.6f%n", epoch, EPOCHS, lossHistory[epoch - 1]);
            }
        }

        Files.createDirectories(outDir);
        List<Path> files = new ArrayList<>();
        out.println("Plotting training history...");
        Chart lossChart = new Chart("Training Loss History").xLabel("Epoch").yLabel("Mean Squared Error").logY(true)
                .add(Series.line("training loss", lossHistory));
        files.addAll(write(lossChart, outDir, "loss"));

        out.println("Generating predictions...");
        Tensor predictions;
        try (var noGrad = GradMode.noGrad()) {
            predictions = model.forward(x);
        }
        out.println("Plotting results...");
        Chart fitChart = new Chart("Regression: True vs Predicted").xLabel("Input").yLabel("Output")
                .add(Series.points("True Values", doubles(x), doubles(y)),
                        Series.line("Predictions", doubles(x), doubles(predictions)));
        files.addAll(write(fitChart, outDir, "fit"));
        for (Path file : files) {
            out.println("  wrote " + file);
        }
        double finalLoss = F.mseLoss(predictions, y, Reduction.MEAN).item();
        out.printf(Locale.ROOT, "%nTraining completed. Final loss: %.6f%n", finalLoss);

        double[] accumulation = gradientAccumulation(seed, x, y, out);
        return new Result(lossHistory[0], finalLoss, List.copyOf(files), accumulation[0], accumulation[1]);
    }

    /** {@code [1, 25, 1]}: sigmoid hidden layer, linear output; Xavier-uniform weights, zero biases, as the seed. */
    static Sequential model(Generator generator) {
        Linear hidden = new Linear(1, HIDDEN, true, Activation.SIGMOID, generator);
        Linear output = new Linear(HIDDEN, 1, true, Activation.IDENTITY, generator);
        for (Linear layer : List.of(hidden, output)) {
            Init.xavierUniform(layer.weight(), 1, generator);
            Init.zeros(layer.bias());
        }
        return new Sequential(hidden, output);
    }

    /**
     * Runs a few epochs twice from the same weights: once with one step per batch of 100, once with seed 003's
     * accumulation loop over micro-batches of 25. Returns {largest parameter difference, largest parameter change}.
     */
    private static double[] gradientAccumulation(long seed, Tensor x, Tensor y, PrintStream out) {
        int epochs = 5;
        out.printf(Locale.ROOT, "%nGradient accumulation: %d micro-batches of %d, each loss divided by %d, one step per %d%n",
                SAMPLES / MICRO_BATCH, MICRO_BATCH, ACCUMULATION_STEPS, ACCUMULATION_STEPS);
        Sequential large = model(new Generator(seed)), accumulated = model(new Generator(seed));
        List<float[]> start = snapshot(large);

        SGD largeOptimizer = new SGD(large.parameters(), LEARNING_RATE);
        for (int epoch = 0; epoch < epochs; epoch++) {
            largeOptimizer.zeroGrad();
            F.mseLoss(large.forward(x), y, Reduction.MEAN).mul(0.5f).backward();
            largeOptimizer.step();
        }

        SGD optimizer = new SGD(accumulated.parameters(), LEARNING_RATE);
        DataLoader dataloader = new DataLoader(new TensorDataset(x, y), MICRO_BATCH);
        int steps = 0;
        for (int epoch = 0; epoch < epochs; epoch++) {
            int batchIdx = 0;
            for (Batch batch : dataloader) {
                Tensor loss = F.mseLoss(accumulated.forward(batch.inputs()), batch.targets(), Reduction.MEAN).mul(0.5f);
                loss = loss.div(ACCUMULATION_STEPS);
                loss.backward();
                if ((batchIdx + 1) % ACCUMULATION_STEPS == 0 || batchIdx + 1 == dataloader.size()) {
                    optimizer.step();
                    optimizer.zeroGrad();
                    steps++;
                }
                batchIdx++;
            }
        }

        double difference = 0, change = 0;
        List<float[]> a = snapshot(large), b = snapshot(accumulated);
        for (int p = 0; p < a.size(); p++) {
            for (int i = 0; i < a.get(p).length; i++) {
                difference = Math.max(difference, Math.abs(a.get(p)[i] - b.get(p)[i]));
                change = Math.max(change, Math.abs(a.get(p)[i] - start.get(p)[i]));
            }
        }
        out.printf(Locale.ROOT, "  %d epochs: %d optimizer steps on 4 x %d samples vs %d steps on batches of %d%n",
                epochs, steps, MICRO_BATCH, epochs, SAMPLES);
        out.printf(Locale.ROOT, "  the updates moved the weights by up to %.4f; the two runs differ by at most %.1e (float rounding)%n",
                change, difference);
        return new double[] {difference, change};
    }

    private static List<float[]> snapshot(Sequential model) {
        List<float[]> values = new ArrayList<>();
        for (Tensor p : model.parameters()) {
            values.add(p.toArray());
        }
        return values;
    }

    /** Writes {@code name.png} and {@code name.svg} into {@code dir}. */
    static List<Path> write(Chart chart, Path dir, String name) throws IOException {
        Path png = dir.resolve(name + ".png"), svg = dir.resolve(name + ".svg");
        chart.writePng(png);
        chart.writeSvg(svg);
        return List.of(png, svg);
    }

    /** NumPy's {@code linspace(start, stop, n)}: n evenly spaced values, both ends included. */
    static Tensor linspace(double start, double stop, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) (n == 1 ? start : start + (stop - start) * i / (n - 1));
        }
        return Tensor.of(values);
    }

    static double[] doubles(Tensor t) {
        float[] values = t.toArray();
        double[] result = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            result[i] = values[i];
        }
        return result;
    }
}
