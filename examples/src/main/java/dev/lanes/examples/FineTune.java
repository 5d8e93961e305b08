package dev.lanes.examples;

import dev.lanes.kernels.Activation;
import dev.lanes.nn.F;
import dev.lanes.nn.Generator;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.data.Batch;
import dev.lanes.nn.data.DataLoader;
import dev.lanes.nn.data.Mnist;
import dev.lanes.nn.data.TensorDataset;
import dev.lanes.nn.io.Safetensors;
import dev.lanes.nn.layers.Linear;
import dev.lanes.nn.layers.Sequential;
import dev.lanes.nn.optim.Adam;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * Transfer learning in four moves: pretrain, save, load, fine-tune. A {@code 784-256-128-5} MLP learns
 * MNIST digits 0-4 on all their training images and is saved as safetensors. A fresh model loads those
 * weights, freezes the two hidden layers, gets a new head, and learns digits 5-9 from only
 * {@code --shots} labelled images (default 50 per digit), training the head alone. The same network trained
 * from scratch on the same few images is the baseline: the pretrained features should do clearly better.
 *
 * <p>Usage: {@code ./lanes run dev.lanes.examples.FineTune [--shots N] [--epochs N] [--data DIR]}.
 */
public final class FineTune {
    private FineTune() {}

    /** The results: test accuracy on digits 5-9 of the fine-tuned model and of the from-scratch baseline. */
    record Result(double pretrainAccuracy, double fineTunedAccuracy, double scratchAccuracy) {}

    public static void main(String[] args) throws IOException {
        int shots = 50, epochs = 30;
        Path data = null;
        for (int i = 0; i < args.length; i += 2) {
            String value = Examples.required(args[i], i + 1 < args.length ? args[i + 1] : null);
            switch (args[i]) {
                case "--shots" -> shots = Integer.parseInt(value);
                case "--epochs" -> epochs = Integer.parseInt(value);
                case "--data" -> data = Path.of(value);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; options: --shots N --epochs N --data DIR");
            }
        }
        Mnist mnist = Examples.loadMnist(data, "mnist", Mnist.Options.DEFAULT.flatten().normalize());
        Path checkpoint = Files.createTempFile("lanes-pretrained", ".safetensors");
        try {
            Result r = run(mnist, shots, epochs, checkpoint);
            System.out.printf(Locale.ROOT, "fine-tuned (frozen pretrained features, new head): %.2f %%  vs  trained from scratch: %.2f %%%n",
                    100 * r.fineTunedAccuracy(), 100 * r.scratchAccuracy());
        } finally {
            Files.deleteIfExists(checkpoint);
        }
    }

    static Result run(Mnist mnist, int shotsPerDigit, int epochs, Path checkpoint) throws IOException {
        TensorDataset lowTrain = digits(mnist.train(), 0, 5, Integer.MAX_VALUE);
        TensorDataset lowTest = digits(mnist.test(), 0, 5, Integer.MAX_VALUE);
        TensorDataset highFew = digits(mnist.train(), 5, 10, shotsPerDigit);
        TensorDataset highTest = digits(mnist.test(), 5, 10, Integer.MAX_VALUE);

        // 1. Pretrain on digits 0-4 and save.
        Sequential pretrained = model(new Generator(1));
        train(pretrained, lowTrain, 1, 128, 1e-3, 1);
        double pretrainAccuracy = accuracy(pretrained, lowTest);
        System.out.printf(Locale.ROOT, "pretrained on digits 0-4 (%d images): test accuracy %.2f %%%n", lowTrain.size(), 100 * pretrainAccuracy);
        Safetensors.saveModel(checkpoint, pretrained);

        // 2. Load into a fresh model, freeze the features, replace the head, train the head alone.
        Sequential fineTuned = model(new Generator(2));
        Safetensors.loadModel(checkpoint, fineTuned, true);
        fineTuned.get(0).requiresGrad(false);
        fineTuned.get(1).requiresGrad(false);
        fineTuned.set(2, new Linear(128, 5, true, Activation.IDENTITY, new Generator(3)));
        float[] frozenBefore = ((Linear) fineTuned.get(0)).weight().toArray();
        System.out.printf("fine-tuning on digits 5-9 with %d labelled images: %d of %d parameters trainable%n",
                highFew.size(), trainable(fineTuned), fineTuned.parameterCount());
        train(fineTuned, highFew, epochs, 32, 1e-2, 4);
        if (!Arrays.equals(frozenBefore, ((Linear) fineTuned.get(0)).weight().toArray())) {
            throw new IllegalStateException("a frozen layer changed during fine-tuning");
        }
        double fineTunedAccuracy = accuracy(fineTuned, highTest);

        // 3. The baseline: the same network, all of it trained from scratch on the same few images.
        Sequential scratch = model(new Generator(2));
        train(scratch, highFew, epochs, 32, 1e-3, 4);
        double scratchAccuracy = accuracy(scratch, highTest);
        return new Result(pretrainAccuracy, fineTunedAccuracy, scratchAccuracy);
    }

    private static Sequential model(Generator generator) {
        return new Sequential(new Linear(784, 256, true, Activation.RELU, generator),
                new Linear(256, 128, true, Activation.RELU, generator),
                new Linear(128, 5, true, Activation.IDENTITY, generator));
    }

    private static void train(Sequential model, TensorDataset data, int epochs, int batch, double lr, long seed) {
        model.train();
        Adam optimizer = new Adam(model.parameters(), lr);
        DataLoader loader = DataLoader.builder(data).batchSize(batch).shuffle(seed).build();
        for (int epoch = 0; epoch < epochs; epoch++) {
            for (Batch b : loader) {
                optimizer.zeroGrad();
                Tensor loss = F.crossEntropy(model.forward(b.inputs()), b.targets());
                loss.backward();
                optimizer.step();
            }
        }
    }

    private static double accuracy(Sequential model, TensorDataset test) {
        return Examples.accuracy(model, test);
    }

    private static long trainable(Sequential model) {
        return model.parameters().stream().filter(Tensor::requiresGrad).mapToLong(Tensor::numel).sum();
    }

    /** The images of digits {@code [from, to)}, at most {@code perDigit} of each, relabelled {@code 0 .. to-from-1}. */
    static TensorDataset digits(TensorDataset data, int from, int to, int perDigit) {
        float[] labels = data.targets().toArray();
        int[] taken = new int[10];
        int[] rows = IntStream.range(0, labels.length)
                .filter(i -> labels[i] >= from && labels[i] < to && taken[(int) labels[i]]++ < perDigit)
                .toArray();
        float[] relabelled = new float[rows.length];
        for (int i = 0; i < rows.length; i++) {
            relabelled[i] = labels[rows[i]] - from;
        }
        return new TensorDataset(data.inputs().indexSelect(rows), Tensor.wrap(relabelled, rows.length));
    }
}
