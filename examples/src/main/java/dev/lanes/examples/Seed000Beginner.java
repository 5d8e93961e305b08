package dev.lanes.examples;

import dev.lanes.nn.F;
import dev.lanes.nn.Generator;
import dev.lanes.nn.GradMode;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.layers.Linear;
import dev.lanes.nn.layers.Module;
import dev.lanes.nn.losses.BCEWithLogitsLoss;
import dev.lanes.nn.optim.Adam;
import dev.lanes.nn.simple.MLP;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Locale;

/**
 * Seed 000's two programs.
 *
 * <p>First the beginner's network written without libraries, {@code SimpleNN(3, 4, 1)} with a sigmoid hidden
 * layer, trained for 1000 epochs at lr 0.1 on the single sample {@code [0, 1, 1] -> 0}, then asked about
 * {@code [1, 0, 0]}; here it is {@link MLP}, Lanes' beginner API made for it (same loss {@code 0.5 * (y - o)^2},
 * same per-sample gradient descent).
 *
 * <p>Then the seed's PyTorch version: {@code fc1/fc2/fc3} of sizes 10-64-64-1 with ReLU, {@code BCEWithLogitsLoss}
 * and Adam at lr 0.001 on 100 random samples with random 0/1 labels, 1000 full-batch epochs printing the loss
 * every 100, and the predicted class of a new random sample. With random labels the network can only memorise
 * them, which it does: the loss falls from about 0.69 towards zero.
 *
 * <p>Usage: {@code ./lanes run Seed000Beginner [--seed S]}.
 */
public final class Seed000Beginner {
    private Seed000Beginner() {}

    /** The beginner network's prediction and final loss, and the PyTorch-style run's losses, accuracy and class. */
    record Result(float prediction, double beginnerLoss, double firstLoss, double finalLoss, double trainAccuracy,
                  float predictedClass) {}

    /** The seed's {@code SimpleNN(nn.Module)}: three Linear layers, ReLU after the first two, logits out. */
    static final class SimpleNN extends Module {
        private final Linear fc1, fc2, fc3;

        SimpleNN(int inputSize, int hiddenSize, int outputSize, Generator generator) {
            fc1 = registerModule("fc1", new Linear(inputSize, hiddenSize, true, null, generator));  // input to hidden
            fc2 = registerModule("fc2", new Linear(hiddenSize, hiddenSize, true, null, generator)); // hidden to hidden
            fc3 = registerModule("fc3", new Linear(hiddenSize, outputSize, true, null, generator)); // hidden to output
        }

        @Override
        public Tensor forward(Tensor x) {
            x = F.relu(fc1.forward(x));
            x = F.relu(fc2.forward(x));
            return fc3.forward(x);
        }
    }

    public static void main(String[] args) {
        Args a = new Args(args, "--seed S");
        run(a.longInteger("--seed", 0), System.out);
    }

    static Result run(long seed, PrintStream out) {
        out.println("== The hand-written MLP, as Lanes' beginner API: new MLP(3, 4, 1, \"sigmoid\")");
        int inputSize = 3, hiddenSize = 4, outputSize = 1;
        float[] xTrain = {0, 1, 1};  // one training sample
        float[] yTrain = {0};        // its label (0 or 1)
        MLP simple = new MLP(inputSize, hiddenSize, outputSize, "sigmoid", seed).log(out);
        double beginnerLoss = simple.train(xTrain, yTrain, 1000, 0.1);
        float[] prediction = simple.predict(new float[] {1, 0, 0});
        out.println("Prediction for new input: " + Arrays.toString(prediction));

        out.println();
        out.println("== The PyTorch-style version: fc1/fc2/fc3 10-64-64-1, BCEWithLogitsLoss, Adam(lr=0.001)");
        Generator generator = new Generator(seed);
        int features = 10, hidden = 64, samples = 100, epochs = 1000;
        SimpleNN model = new SimpleNN(features, hidden, 1, generator);
        BCEWithLogitsLoss criterion = new BCEWithLogitsLoss();
        Adam optimizer = new Adam(model.parameters(), 0.001);

        Tensor xData = Tensor.randn(generator, samples, features);  // torch.randn(100, input_size)
        float[] labels = new float[samples];
        for (int i = 0; i < samples; i++) {
            labels[i] = generator.nextInt(2);                     // torch.randint(0, 2, (100, 1)).float()
        }
        Tensor yData = Tensor.of(labels, samples, 1);

        double firstLoss = Double.NaN, loss = Double.NaN;
        for (int epoch = 0; epoch < epochs; epoch++) {
            model.train();
            Tensor outputs = model.forward(xData);
            Tensor lossTensor = criterion.forward(outputs, yData);
            optimizer.zeroGrad();
            lossTensor.backward();
            optimizer.step();
            loss = lossTensor.item();
            if (epoch == 0) {
                firstLoss = loss;
            }
            if ((epoch + 1) % 100 == 0) {
                out.printf(Locale.ROOT, "Epoch [%d/%d], Loss: %.4f%n", epoch + 1, epochs, loss);
            }
        }

        model.eval();
        double accuracy;
        float predictedClass;
        try (var noGrad = GradMode.noGrad()) {
            float[] logits = model.forward(xData).toArray();
            int correct = 0;
            for (int i = 0; i < samples; i++) {
                correct += (logits[i] > 0 ? 1 : 0) == labels[i] ? 1 : 0;
            }
            accuracy = correct / (double) samples;
            Tensor sampleInput = Tensor.randn(generator, 1, features);  // a new input sample
            Tensor predicted = model.forward(sampleInput);
            predictedClass = (float) Math.rint(predicted.sigmoid().item());  // torch.round(torch.sigmoid(...))
        }
        out.printf(Locale.ROOT, "Training accuracy: %.0f %% (random labels, so memorised)%n", 100 * accuracy);
        out.println("Predicted class: " + predictedClass);
        return new Result(prediction[0], beginnerLoss, firstLoss, loss, accuracy, predictedClass);
    }
}
