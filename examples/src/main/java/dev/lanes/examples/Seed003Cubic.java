package dev.lanes.examples;

import dev.lanes.nn.F;
import dev.lanes.nn.Generator;
import dev.lanes.nn.GradMode;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.layers.Linear;
import dev.lanes.nn.layers.Module;
import dev.lanes.nn.losses.MSELoss;
import dev.lanes.nn.optim.SGD;
import dev.lanes.nn.train.Chart;
import dev.lanes.nn.train.ProgressLine;
import dev.lanes.nn.train.Series;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Seed 003's last program: {@code Net(1, 20, 1)} ({@code dense1 -> ReLU -> dense2 -> ReLU -> out}) fitting
 * {@code y = x^3 + 0.1 * noise} on 100 points of [-1, 1], with {@code MSELoss} and {@code SGD(lr=0.1)} for 500
 * full-batch steps. The seed redraws a matplotlib window every 5 steps; here a progress line reports the loss
 * while training, and at the end the data with the fitted curve ({@code fit.png}/{@code .svg}, titled with the
 * loss as the seed's text label) and the loss curve ({@code loss.png}/{@code .svg}) are written.
 *
 * <p>Usage: {@code ./lanes run Seed003Cubic [--out DIR] [--seed S]} (default {@code target/seed003-cubic/}).
 */
public final class Seed003Cubic {
    private Seed003Cubic() {}

    static final int SAMPLES = 100, STEPS = 500;

    /** The MSE before and after training, that of the exact {@code x^3} on the noisy data (the noise floor), and the charts. */
    record Result(double initialLoss, double finalLoss, double noiseLoss, List<Path> files) {}

    /** The seed's {@code Net}: PyTorch's module layout, with its field names as parameter names. */
    static final class Net extends Module {
        private final Linear dense1, dense2, out;

        Net(int nInput, int nHidden, int nOutput, Generator generator) {
            dense1 = registerModule("dense1", new Linear(nInput, nHidden, true, null, generator));
            dense2 = registerModule("dense2", new Linear(nHidden, nHidden, true, null, generator));
            out = registerModule("out", new Linear(nHidden, nOutput, true, null, generator));
        }

        @Override
        public Tensor forward(Tensor x) {
            x = F.relu(dense1.forward(x));
            x = F.relu(dense2.forward(x));
            return out.forward(x);
        }
    }

    public static void main(String[] args) throws IOException {
        Args a = new Args(args, "--out DIR", "--seed S");
        run(a.longInteger("--seed", 3), a.path("--out", Path.of("target", "seed003-cubic")), System.out);
    }

    static Result run(long seed, Path outDir, PrintStream out) throws IOException {
        Generator generator = new Generator(seed);
        Net model = new Net(1, 20, 1, generator);
        out.println(model);

        // x = torch.unsqueeze(torch.linspace(-1, 1, 100), dim=1); y = x.pow(3) + 0.1 * torch.randn(x.size())
        Tensor x = Seed003SinFit.linspace(-1, 1, SAMPLES).unsqueeze(1);
        Tensor cube = x.pow(3);
        Tensor y = cube.add(Tensor.randn(generator, SAMPLES, 1).mul(0.1f));

        SGD optimizer = new SGD(model.parameters(), 0.1);
        MSELoss lossFunc = new MSELoss();
        ProgressLine progress = ProgressLine.builder(1, STEPS).out(out).build();
        double[] losses = new double[STEPS];
        progress.startEpoch();
        for (int t = 0; t < STEPS; t++) {
            Tensor predict = model.forward(x);
            Tensor loss = lossFunc.forward(predict, y);
            optimizer.zeroGrad();
            loss.backward();
            optimizer.step();
            losses[t] = loss.item();
            progress.step(SAMPLES, "loss", losses[t]);
        }
        progress.endEpoch("loss", losses[STEPS - 1]);

        Tensor fitted;
        try (var noGrad = GradMode.noGrad()) {
            fitted = model.forward(x);
        }
        double finalLoss = lossFunc.forward(fitted, y).item();
        double noiseLoss = lossFunc.forward(cube, y).item();
        out.printf(Locale.ROOT, "Loss = %.4f after %d steps (from %.4f; the exact x^3 scores %.4f on this noise)%n",
                finalLoss, STEPS, losses[0], noiseLoss);

        Files.createDirectories(outDir);
        List<Path> files = new ArrayList<>();
        double[] xs = Seed003SinFit.doubles(x);
        Chart fit = new Chart(String.format(Locale.ROOT, "Loss = %.4f", finalLoss)).xLabel("x").yLabel("y")
                .add(Series.points("x^3 + 0.1 noise", xs, Seed003SinFit.doubles(y)),
                        Series.line("model", xs, Seed003SinFit.doubles(fitted)).withColor(0xFF0000));
        files.addAll(Seed003SinFit.write(fit, outDir, "fit"));
        Chart lossChart = new Chart("MSE loss").xLabel("step").yLabel("loss").logY(true).add(Series.line("loss", losses));
        files.addAll(Seed003SinFit.write(lossChart, outDir, "loss"));
        for (Path file : files) {
            out.println("wrote " + file);
        }
        return new Result(losses[0], finalLoss, noiseLoss, List.copyOf(files));
    }
}
