package dev.lanes.examples;

import dev.lanes.kernels.Activation;
import dev.lanes.nn.Generator;
import dev.lanes.nn.GradMode;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.init.Init;
import dev.lanes.nn.layers.Linear;
import dev.lanes.nn.layers.Sequential;
import dev.lanes.nn.losses.MSELoss;
import dev.lanes.nn.optim.SGD;
import java.io.PrintStream;
import java.util.Locale;

/**
 * Seed 004 ("build a neural network from scratch in Python", after Victor Zhou's introduction): its worked
 * numbers computed with Lanes' {@code Linear}, autograd and {@code SGD} instead of hand-written code.
 *
 * <ol>
 *   <li>one sigmoid neuron, {@code w = [0, 1]}, {@code b = 4}, {@code x = [2, 3]}: 0.9990889488055994;</li>
 *   <li>the 2-2-1 network with every neuron {@code w = [0, 1]}, {@code b = 0}: 0.7216325609518421;</li>
 *   <li>the MSE of predicting 0 for {@code [1, 0, 0, 1]}: 0.5;</li>
 *   <li>{@code dL/dw1} for Alice {@code [-2, -1] -> 1} with all weights 1 and biases 0, by autograd, next to the
 *       seed's chain-rule product of the three factors: 0.02147 (the seed writes 0.0214, the product of its
 *       factors rounded to three digits, -0.952 * 0.249 * -0.0904);</li>
 *   <li>training the network on the four-person (weight - 135 lb, height - 66 in) table, one sample at a time,
 *       lr 0.1, 1000 epochs, MSE, from normally distributed initial weights; then Emily {@code [-7, -3]}
 *       (the seed: 0.951, female) and Frank {@code [20, 2]} (0.039, male).</li>
 * </ol>
 *
 * <p>Lanes computes in float32, the seed in float64: the worked numbers agree to about 1e-7.
 *
 * <p>Usage: {@code ./lanes run Seed004Gender [--seed S]} (the seed of the initial weights, default 4).
 */
public final class Seed004Gender {
    private Seed004Gender() {}

    /** The printed numbers: the worked examples, the loss before and after training and the two predictions. */
    record Result(double neuron, double network, double mse, double alicePrediction, double dLdw1,
                  double initialLoss, double finalLoss, double emily, double frank) {}

    /** The seed's table, centred: weight minus 135 lb, height minus 66 in; 1 is female, 0 male. */
    static final float[][] DATA = {{-2, -1}, {25, 6}, {17, 4}, {-15, -6}};
    static final float[] GENDER = {1, 0, 0, 1};
    static final String[] NAMES = {"Alice", "Bob", "Charlie", "Diana"};

    public static void main(String[] args) {
        Args a = new Args(args, "--seed S");
        run(a.longInteger("--seed", 4), System.out);
    }

    static Result run(long seed, PrintStream out) {
        out.println("1. One neuron: w = [0, 1], b = 4, x = [2, 3], sigmoid");
        Linear neuron = new Linear(2, 1);
        set(neuron, new float[][] {{0, 1}}, new float[] {4});
        double neuronOut;
        try (var noGrad = GradMode.noGrad()) {
            neuronOut = neuron.forward(row(2, 3)).sigmoid().item();
        }
        out.printf(Locale.ROOT, "   sigmoid(0*2 + 1*3 + 4) = sigmoid(7) = %.9f   (seed: 0.9990889488055994)%n", neuronOut);

        out.println("2. A 2-2-1 network, every neuron w = [0, 1], b = 0, x = [2, 3]");
        Sequential network = network(null);
        set((Linear) network.get(0), new float[][] {{0, 1}, {0, 1}}, new float[] {0, 0});
        set((Linear) network.get(1), new float[][] {{0, 1}}, new float[] {0});
        double networkOut;
        try (var noGrad = GradMode.noGrad()) {
            Tensor hidden = network.get(0).forward(row(2, 3));
            networkOut = network.get(1).forward(hidden).item();
            out.printf(Locale.ROOT, "   h1 = h2 = sigmoid(3) = %.4f, o1 = sigmoid(h2) = %.9f   (seed: 0.7216325609518421)%n",
                    hidden.get(0, 0), networkOut);
        }

        out.println("3. MSE loss of predicting 0 for everyone");
        MSELoss mse = new MSELoss();
        double mseOut = mse.forward(Tensor.of(new float[] {0, 0, 0, 0}), Tensor.of(GENDER)).item();
        out.printf(Locale.ROOT, "   y_true = [1, 0, 0, 1], y_pred = [0, 0, 0, 0]: MSE = %s   (seed: 0.5)%n", mseOut);

        out.println("4. Backpropagation: dL/dw1 for Alice [-2, -1] -> 1, all weights 1, all biases 0");
        Sequential ones = network(null);
        set((Linear) ones.get(0), new float[][] {{1, 1}, {1, 1}}, new float[] {0, 0});
        set((Linear) ones.get(1), new float[][] {{1, 1}}, new float[] {0});
        Tensor alice = row(-2, -1);
        Tensor h = ones.get(0).forward(alice);
        Tensor prediction = ones.get(1).forward(h);
        Tensor aliceLoss = mse.forward(prediction, Tensor.of(new float[] {1}, 1, 1));
        aliceLoss.backward();
        double dLdw1 = ((Linear) ones.get(0)).weight().grad().get(0, 0);
        // The seed's three factors, from the values of this forward pass.
        double yPred = prediction.item(), h1 = h.get(0, 0);
        double dLdYPred = -2 * (1 - yPred);
        double dYPredDh1 = 1 * yPred * (1 - yPred);  // w5 * f'(sum_o1), and f' = f (1 - f)
        double dh1Dw1 = -2 * h1 * (1 - h1);           // x1 * f'(sum_h1)
        out.printf(Locale.ROOT, "   h1 = h2 = %.4f, y_pred = %.4f, L = (1 - y_pred)^2 = %.4f%n", h1, yPred, aliceLoss.item());
        out.printf(Locale.ROOT, "   chain rule: dL/dy_pred * dy_pred/dh1 * dh1/dw1 = %.4f * %.4f * %.4f = %.4f%n",
                dLdYPred, dYPredDh1, dh1Dw1, dLdYPred * dYPredDh1 * dh1Dw1);
        out.printf(Locale.ROOT, "   autograd:   dL/dw1 = %.6f   (seed: -0.952 * 0.249 * -0.0904 = 0.0214, from rounded factors)%n", dLdw1);

        out.println("5. Training on the four people (lr 0.1, 1000 epochs, one sample per step, MSE)");
        out.printf(Locale.ROOT, "   %-8s %18s %18s %s%n", "Name", "Weight (minus 135)", "Height (minus 66)", "Gender");
        for (int i = 0; i < DATA.length; i++) {
            out.printf(Locale.ROOT, "   %-8s %18.0f %18.0f %s%n", NAMES[i], DATA[i][0], DATA[i][1], GENDER[i] == 1 ? "F (1)" : "M (0)");
        }
        Generator generator = new Generator(seed);
        Sequential model = network(generator);
        // The seed draws every weight and bias from N(0, 1), not from PyTorch's default uniform.
        for (Tensor p : model.parameters()) {
            Init.normal(p, 0, 1, generator);
        }
        Tensor inputs = Tensor.of(DATA), targets = Tensor.of(GENDER, 4, 1);
        SGD optimizer = new SGD(model.parameters(), 0.1);
        double initialLoss = datasetLoss(model, inputs, targets), loss = initialLoss;
        for (int epoch = 0; epoch < 1000; epoch++) {
            for (int i = 0; i < DATA.length; i++) {  // in table order, as the seed's zip(data, all_y_trues)
                optimizer.zeroGrad();
                mse.forward(model.forward(row(DATA[i][0], DATA[i][1])), Tensor.of(new float[] {GENDER[i]}, 1, 1)).backward();
                optimizer.step();
            }
            // The seed prints every 10th epoch; every 100th keeps the output short.
            if (epoch % 100 == 0 || epoch == 999) {
                loss = datasetLoss(model, inputs, targets);
                out.printf(Locale.ROOT, "   Epoch %d loss: %.3f%n", epoch, loss);
            }
        }
        double emily, frank;
        try (var noGrad = GradMode.noGrad()) {
            emily = model.forward(row(-7, -3)).item();
            frank = model.forward(row(20, 2)).item();
        }
        out.printf(Locale.ROOT, "   Emily: %.3f - %s   (128 lb, 63 in; seed: 0.951 - F)%n", emily, emily > 0.5 ? "F" : "M");
        out.printf(Locale.ROOT, "   Frank: %.3f - %s   (155 lb, 68 in; seed: 0.039 - M)%n", frank, frank > 0.5 ? "F" : "M");
        return new Result(neuronOut, networkOut, mseOut, yPred, dLdw1, initialLoss, loss, emily, frank);
    }

    /** The seed's network: 2 inputs, hidden neurons h1 and h2, output o1, all with a sigmoid (fused into the Linear). */
    static Sequential network(Generator generator) {
        return new Sequential(new Linear(2, 2, true, Activation.SIGMOID, generator),
                new Linear(2, 1, true, Activation.SIGMOID, generator));
    }

    /** Sets a layer's weight (out x in, PyTorch's layout: row j holds neuron j's weights) and bias. */
    static void set(Linear layer, float[][] weight, float[] bias) {
        try (var noGrad = GradMode.noGrad()) {
            layer.weight().copy_(Tensor.of(weight));
            layer.bias().copy_(Tensor.of(bias));
        }
    }

    private static double datasetLoss(Sequential model, Tensor inputs, Tensor targets) {
        try (var noGrad = GradMode.noGrad()) {
            return new MSELoss().forward(model.forward(inputs), targets).item();
        }
    }

    /** One sample as a 1 x 2 batch. */
    private static Tensor row(float x1, float x2) {
        return Tensor.of(new float[] {x1, x2}, 1, 2);
    }
}
