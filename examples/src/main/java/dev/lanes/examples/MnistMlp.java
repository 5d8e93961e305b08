package dev.lanes.examples;

import dev.lanes.kernels.Activation;
import dev.lanes.kernels.Lanes;
import dev.lanes.nn.Generator;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.data.DataLoader;
import dev.lanes.nn.data.Mnist;
import dev.lanes.nn.data.TensorDataset;
import dev.lanes.nn.inference.InferencePlan;
import dev.lanes.nn.io.Safetensors;
import dev.lanes.nn.layers.Activations.ReLU;
import dev.lanes.nn.layers.Linear;
import dev.lanes.nn.layers.Module;
import dev.lanes.nn.layers.Sequential;
import dev.lanes.nn.optim.Adam;
import dev.lanes.nn.optim.lr.CosineAnnealingLR;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * The main demo: trains {@code Linear(784,512)-ReLU-Linear(512,256)-ReLU-Linear(256,10)} on MNIST with Adam
 * and a cosine learning-rate schedule over the epochs,
 * shows a progress line, reports test accuracy and samples/s, saves the model as safetensors (loadable by
 * PyTorch's {@code load_state_dict}), loads it into a fresh model and predicts with it.
 *
 * <p>Usage: {@code ./lanes demo [--dataset mnist|fashion-mnist] [--epochs N] [--batch B] [--lr X] [--seed S] [--data DIR] [--out FILE]
 * [--chart FILE.svg|.png]}. Defaults: 2 epochs (about 97.5-98 % test accuracy); 10 epochs reach 98 %+.
 * The data is fetched by {@code scripts/data/fetch.sh mnist} (the launcher runs it when needed).
 */
public final class MnistMlp {
    private MnistMlp() {}

    public static void main(String[] args) throws IOException {
        run(args);
    }

    /** Runs the demo with these command-line options and returns the final test accuracy. */
    static double run(String[] args) throws IOException {
        Options o = Options.parse(args);
        System.out.println(Lanes.describe());
        Mnist mnist = Examples.loadMnist(o.data, o.dataset, Examples.normalized(o.dataset, true));

        Generator generator = new Generator(o.seed);
        Module model = mlp(generator);
        System.out.println(model);
        Adam optimizer = new Adam(model.parameters(), o.lr);
        DataLoader loader = DataLoader.builder(mnist.train()).batchSize(o.batch).shuffle(o.seed).build();
        Examples.Fit fit = Examples.fit(model, optimizer, new CosineAnnealingLR(optimizer, o.epochs), loader, o.epochs,
                m -> Examples.accuracy(m, mnist.test()));
        double accuracy = fit.history().last("test_accuracy");
        System.out.printf(Locale.ROOT, "trained %d epochs in %.1f s: %.0f samples/s; test accuracy %.2f %%%n",
                o.epochs, fit.trainSeconds(), fit.samplesPerSecond(), 100 * accuracy);

        Safetensors.saveModel(o.out, model);
        System.out.println("saved " + o.out + "; in PyTorch: model = " + PYTORCH
                + "; model.load_state_dict(safetensors.torch.load_file(\"" + o.out + "\"))");
        Module reloaded = mlp(new Generator(o.seed + 1));
        Safetensors.loadModel(o.out, reloaded, true);
        double reloadedAccuracy = Examples.accuracy(reloaded, mnist.test());
        System.out.printf(Locale.ROOT, "reloaded: test accuracy %.2f %% (%s)%n", 100 * reloadedAccuracy,
                reloadedAccuracy == accuracy ? "same as before saving" : "DIFFERENT from before saving");
        if (reloadedAccuracy != accuracy) {
            throw new IllegalStateException("the reloaded model does not predict as the saved one did");
        }
        predictFew(reloaded, mnist.test(), 10);
        if (o.chart != null) {
            Examples.writeChart(fit.history().chart(o.dataset + " MLP", "train_loss", "test_accuracy"), o.chart);
            System.out.println("chart: " + o.chart);
        }
        return accuracy;
    }

    /**
     * The MLP, written as in PyTorch, so the saved file's keys ({@code 0.weight}, {@code 2.weight},
     * {@code 4.weight}) are those of {@link #PYTORCH}. (Fusing the ReLUs into the Linear layers trains about
     * 15 % faster with the same numbers, but the keys become 0, 1, 2.)
     */
    static Module mlp(Generator generator) {
        return new Sequential(new Linear(784, 512, true, Activation.IDENTITY, generator), new ReLU(),
                new Linear(512, 256, true, Activation.IDENTITY, generator), new ReLU(),
                new Linear(256, 10, true, Activation.IDENTITY, generator));
    }

    /** The same model in PyTorch, for loading the saved file there. */
    static final String PYTORCH = "nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))";

    private static void predictFew(Module model, TensorDataset test, int count) {
        InferencePlan plan = InferencePlan.of(model, 1);
        Tensor images = test.inputs().contiguous();
        float[] logits = new float[10];
        int[] predicted = new int[count], expected = new int[count];
        for (int i = 0; i < count; i++) {
            plan.run(images.array(), images.arrayOffset() + i * 784, 1, logits, 0);
            predicted[i] = Examples.argmax(logits, 0, 10);
            expected[i] = (int) test.targets().get(i);
        }
        System.out.println("first " + count + " test images: predicted " + Arrays.toString(predicted) + ", labels "
                + Arrays.toString(expected));
    }

    private record Options(String dataset, int epochs, int batch, double lr, long seed, Path data, Path out, Path chart) {
        static Options parse(String[] args) {
            Args a = new Args(args, "--dataset mnist|fashion-mnist", "--epochs N", "--batch B", "--lr X", "--seed S",
                    "--data DIR", "--out FILE", "--chart FILE.svg|.png");
            return new Options(Examples.dataset(a.string("--dataset", "mnist")), a.integer("--epochs", 2),
                    a.integer("--batch", 128), a.real("--lr", 1e-3), a.longInteger("--seed", 42), a.path("--data", null),
                    a.path("--out", Path.of("mnist-mlp.safetensors")), a.path("--chart", null));
        }
    }
}
