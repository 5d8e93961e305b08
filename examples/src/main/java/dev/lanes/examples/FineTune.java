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
 * Transfer learning in four moves: pretrain, save, load, fine-tune. A {@code 784-256-128-10} MLP learns the
 * ten MNIST digits and is saved as safetensors. A fresh model loads those weights, freezes its first
 * {@code --freeze} layers (default 2: both hidden layers), gets a new two-way head, and learns a new task,
 * "is the digit odd?", from only {@code --shots} labelled images per digit (default 10, so 100 in all),
 * training only what is not frozen. The baseline is the same network trained from scratch on the same
 * 100 images: the pretrained features should do far better.
 *
 * <p>Usage: {@code ./lanes run FineTune [--shots N] [--freeze 0|1|2] [--epochs N] [--data DIR]}.
 */
public final class FineTune {
    private FineTune() {}

    /** The results: digit accuracy of the pretrained model, parity accuracy of the fine-tuned one and of the baseline. */
    record Result(double pretrainAccuracy, double fineTunedAccuracy, double scratchAccuracy) {}

    public static void main(String[] args) throws IOException {
        Args a = new Args(args, "--shots N", "--freeze 0|1|2", "--epochs N", "--data DIR");
        int shots = a.integer("--shots", 10), epochs = a.integer("--epochs", 30), freeze = a.integer("--freeze", 2);
        Path data = a.path("--data", null);
        Mnist mnist = Examples.loadMnist(data, "mnist", Mnist.Options.DEFAULT.flatten().normalize());
        Path checkpoint = Files.createTempFile("lanes-pretrained", ".safetensors");
        try {
            Result r = run(mnist, shots, freeze, epochs, checkpoint);
            System.out.printf(Locale.ROOT, "odd or even, test accuracy: fine-tuned %.2f %%  vs  trained from scratch %.2f %%%n",
                    100 * r.fineTunedAccuracy(), 100 * r.scratchAccuracy());
        } finally {
            Files.deleteIfExists(checkpoint);
        }
    }

    static Result run(Mnist mnist, int shotsPerDigit, int frozenLayers, int epochs, Path checkpoint) throws IOException {
        if (frozenLayers < 0 || frozenLayers > 2) {
            throw new IllegalArgumentException("--freeze must be 0, 1 or 2 (hidden layers), got " + frozenLayers);
        }
        TensorDataset fewParity = parity(fewPerDigit(mnist.train(), shotsPerDigit));
        TensorDataset testParity = parity(mnist.test());

        // 1. Pretrain on the ten digits and save.
        Sequential pretrained = model(new Generator(1), 10);
        train(pretrained, mnist.train(), 1, 128, 1);
        double pretrainAccuracy = Examples.accuracy(pretrained, mnist.test());
        System.out.printf(Locale.ROOT, "pretrained on the ten digits (%d images): test accuracy %.2f %%%n", mnist.train().size(),
                100 * pretrainAccuracy);
        Safetensors.saveModel(checkpoint, pretrained);

        // 2. Load into a fresh model, freeze the first layers, replace the head, train the rest on the new task.
        Sequential fineTuned = model(new Generator(2), 10);
        Safetensors.loadModel(checkpoint, fineTuned, true);
        for (int layer = 0; layer < frozenLayers; layer++) {
            fineTuned.get(layer).requiresGrad(false);
        }
        fineTuned.set(2, new Linear(128, 2, true, Activation.IDENTITY, new Generator(3)));
        float[] firstLayerBefore = ((Linear) fineTuned.get(0)).weight().toArray();
        System.out.printf("fine-tuning for odd/even with %d labelled images: %d of %d parameters trainable%n",
                fewParity.size(), trainable(fineTuned), fineTuned.parameterCount());
        train(fineTuned, fewParity, epochs, 20, 4);
        boolean firstLayerSame = Arrays.equals(firstLayerBefore, ((Linear) fineTuned.get(0)).weight().toArray());
        if (frozenLayers > 0 && !firstLayerSame) {
            throw new IllegalStateException("a frozen layer changed during fine-tuning");
        }
        double fineTunedAccuracy = Examples.accuracy(fineTuned, testParity);

        // 3. The baseline: the same network, all of it trained from scratch on the same few images.
        Sequential scratch = model(new Generator(2), 2);
        train(scratch, fewParity, epochs, 20, 4);
        double scratchAccuracy = Examples.accuracy(scratch, testParity);
        return new Result(pretrainAccuracy, fineTunedAccuracy, scratchAccuracy);
    }

    private static Sequential model(Generator generator, int classes) {
        return new Sequential(new Linear(784, 256, true, Activation.RELU, generator),
                new Linear(256, 128, true, Activation.RELU, generator),
                new Linear(128, classes, true, Activation.IDENTITY, generator));
    }

    private static void train(Sequential model, TensorDataset data, int epochs, int batch, long seed) {
        model.train();
        Adam optimizer = new Adam(model.parameters(), 1e-3);
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

    private static long trainable(Sequential model) {
        return model.parameters().stream().filter(Tensor::requiresGrad).mapToLong(Tensor::numel).sum();
    }

    /** The first {@code perDigit} training images of each digit. */
    static TensorDataset fewPerDigit(TensorDataset data, int perDigit) {
        float[] labels = data.targets().toArray();
        int[] taken = new int[10];
        int[] rows = IntStream.range(0, labels.length).filter(i -> taken[(int) labels[i]]++ < perDigit).toArray();
        return new TensorDataset(data.inputs().indexSelect(rows), data.targets().indexSelect(rows));
    }

    /** The same images labelled 1 for an odd digit and 0 for an even one. */
    static TensorDataset parity(TensorDataset data) {
        float[] labels = data.targets().toArray();
        float[] odd = new float[labels.length];
        for (int i = 0; i < labels.length; i++) {
            odd[i] = (int) labels[i] % 2;
        }
        return new TensorDataset(data.inputs(), Tensor.wrap(odd, odd.length));
    }
}
