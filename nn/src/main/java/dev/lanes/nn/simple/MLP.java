package dev.lanes.nn.simple;

import dev.lanes.kernels.Activation;
import dev.lanes.nn.Generator;
import dev.lanes.nn.GradMode;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.layers.Linear;
import dev.lanes.nn.layers.Sequential;
import dev.lanes.nn.optim.SGD;
import java.io.PrintStream;
import java.util.Locale;

/**
 * A two-layer perceptron for beginners, in the style of seed 000's {@code SimpleNN}: a hidden layer with a
 * sigmoid, ReLU or tanh activation, a sigmoid output, the loss {@code 0.5 * sum((y - o)^2)}, and plain
 * gradient descent one sample at a time.
 *
 * <pre>{@code
 * MLP model = new MLP(3, 4, 1, "sigmoid");
 * model.train(new float[][] {{0, 1, 1}}, new float[][] {{0}}, 1000, 0.1);
 * float[] p = model.predict(new float[] {1, 0, 0});
 * }</pre>
 *
 * It is a thin wrapper over the PyTorch-style API, which it exposes when a user outgrows it:
 * {@link #model()} is a {@code Sequential} of two {@code Linear} layers (activations fused), trained by
 * autograd and {@link SGD}.
 */
public final class MLP {
    private final int inputSize, outputSize;
    private final Sequential model;
    private PrintStream log = System.out;

    /** A network {@code inputSize -> hiddenSize -> outputSize} with PyTorch's default initialisation. */
    public MLP(int inputSize, int hiddenSize, int outputSize, String activation) {
        this(inputSize, hiddenSize, outputSize, activation, Generator.defaultGenerator());
    }

    /** The same with a seeded generator for the initial weights, so runs repeat. */
    public MLP(int inputSize, int hiddenSize, int outputSize, String activation, long seed) {
        this(inputSize, hiddenSize, outputSize, activation, new Generator(seed));
    }

    private MLP(int inputSize, int hiddenSize, int outputSize, String activation, Generator generator) {
        if (inputSize < 1 || hiddenSize < 1 || outputSize < 1) {
            throw new IllegalArgumentException("MLP: sizes must be >= 1, got " + inputSize + ", " + hiddenSize + ", " + outputSize);
        }
        Activation hidden = switch (activation == null ? "" : activation.toLowerCase(Locale.ROOT)) {
            case "sigmoid" -> Activation.SIGMOID;
            case "relu" -> Activation.RELU;
            case "tanh" -> Activation.TANH;
            default -> throw new IllegalArgumentException("MLP: activation must be \"sigmoid\", \"relu\" or \"tanh\", got \"" + activation + "\"");
        };
        this.inputSize = inputSize;
        this.outputSize = outputSize;
        this.model = new Sequential(new Linear(inputSize, hiddenSize, true, hidden, generator),
                new Linear(hiddenSize, outputSize, true, Activation.SIGMOID, generator));
    }

    /** Where {@link #train} prints its progress (every tenth of the epochs); {@code null} for silence. */
    public MLP log(PrintStream out) {
        this.log = out;
        return this;
    }

    /**
     * Trains for {@code epochs} passes over the samples, in order, updating the weights after each sample
     * by {@code w -= lr * dLoss/dw} (seed 000's scheme). Returns the mean loss of the last epoch.
     */
    public double train(float[][] inputs, float[][] targets, int epochs, double learningRate) {
        if (inputs.length != targets.length) {
            throw new IllegalArgumentException("MLP.train: " + inputs.length + " inputs but " + targets.length + " targets");
        }
        if (epochs < 0 || !(learningRate > 0)) {
            throw new IllegalArgumentException("MLP.train: epochs = " + epochs + " must be >= 0 and lr = " + learningRate + " > 0");
        }
        Tensor[] xs = new Tensor[inputs.length], ys = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            xs[i] = Tensor.of(check("input", i, inputs[i], inputSize), 1, inputSize);
            ys[i] = Tensor.of(check("target", i, targets[i], outputSize), 1, outputSize);
        }
        SGD optimizer = new SGD(model.parameters(), learningRate);
        double epochLoss = Double.NaN;
        for (int epoch = 0; epoch < epochs; epoch++) {
            double sum = 0;
            for (int i = 0; i < xs.length; i++) {
                optimizer.zeroGrad();
                Tensor diff = ys[i].sub(model.forward(xs[i]));
                Tensor loss = diff.mul(diff).sum().mul(0.5f);
                loss.backward();
                optimizer.step();
                sum += loss.item();
            }
            epochLoss = sum / Math.max(1, xs.length);
            if (log != null && epoch % Math.max(1, epochs / 10) == 0) {
                log.printf(Locale.ROOT, "Epoch %d, Loss: %.4f%n", epoch, epochLoss);
            }
        }
        return epochLoss;
    }

    /** Trains on a single sample, as seed 000 does. */
    public double train(float[] input, float[] target, int epochs, double learningRate) {
        return train(new float[][] {input}, new float[][] {target}, epochs, learningRate);
    }

    /** The network's output for one input. */
    public float[] predict(float[] input) {
        try (var scope = GradMode.noGrad()) {
            return model.forward(Tensor.of(check("input", 0, input, inputSize), 1, inputSize)).toArray();
        }
    }

    /** The underlying PyTorch-style model: {@code Sequential(Linear, Linear)} with fused activations. */
    public Sequential model() {
        return model;
    }

    private static float[] check(String what, int index, float[] values, int size) {
        if (values == null || values.length != size) {
            throw new IllegalArgumentException("MLP: " + what + " " + index + " has " + (values == null ? "no" : values.length)
                    + " values, the network expects " + size);
        }
        return values;
    }
}
