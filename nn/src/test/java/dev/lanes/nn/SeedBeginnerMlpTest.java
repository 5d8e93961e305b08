package dev.lanes.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.nn.layers.Linear;
import dev.lanes.nn.simple.MLP;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Seed 000's beginner MLP (3 inputs, 4 hidden, 1 sigmoid output, loss {@code 0.5 * sum((y - o)^2)}, plain
 * gradient descent with lr 0.1 for 1000 epochs on x = [0, 1, 1], y = 0, then a prediction for [1, 0, 0]).
 * Its hand-written backward is reproduced here in double precision, and Lanes' beginner {@link MLP} (autograd
 * and SGD underneath) must take the same steps from the same initial weights.
 */
class SeedBeginnerMlpTest {
    @ParameterizedTest
    @ValueSource(strings = {"sigmoid", "relu"})
    void autogradTrainsLikeTheHandWrittenBackward(String activation) {
        Random random = new Random(0);
        double[][] wIh = new double[3][4];
        double[] bH = new double[4];
        double[][] wHo = new double[4][1];
        double[] bO = new double[1];
        for (double[] row : wIh) {
            for (int j = 0; j < 4; j++) {
                row[j] = random.nextDouble();
            }
        }
        for (int j = 0; j < 4; j++) {
            bH[j] = random.nextDouble();
            wHo[j][0] = random.nextDouble();
        }
        bO[0] = random.nextDouble();

        // Lanes' beginner MLP, whose Linear layers hold (out, in) weights, the transpose of the seed's lists.
        MLP mlp = new MLP(3, 4, 1, activation, 1L).log(null);
        Linear hidden = (Linear) mlp.model().get(0);
        Linear output = (Linear) mlp.model().get(1);
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 4; j++) {
                    hidden.weight().set((float) wIh[i][j], j, i);
                }
            }
            for (int j = 0; j < 4; j++) {
                hidden.bias().set((float) bH[j], j);
                output.weight().set((float) wHo[j][0], 0, j);
            }
            output.bias().set((float) bO[0], 0);
        }

        double[] x = {0, 1, 1};
        double y = 0, lr = 0.1;
        Tensor xt = Tensor.of(new float[] {0, 1, 1}, 1, 3);
        for (int epoch = 0; epoch < 1000; epoch++) {
            // The seed's forward and backward.
            double[] h = new double[4];
            double o = seedForward(x, wIh, bH, wHo, bO, activation, h);
            double outDelta = (o - y) * o * (1 - o);
            double[] hiddenDelta = new double[4];
            for (int j = 0; j < 4; j++) {
                double derivative = activation.equals("sigmoid") ? h[j] * (1 - h[j]) : (h[j] > 0 ? 1 : 0);
                hiddenDelta[j] = outDelta * wHo[j][0] * derivative;
            }
            for (int j = 0; j < 4; j++) {
                wHo[j][0] -= lr * h[j] * outDelta;
            }
            bO[0] -= lr * outDelta;
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 4; j++) {
                    wIh[i][j] -= lr * x[i] * hiddenDelta[j];
                }
            }
            for (int j = 0; j < 4; j++) {
                bH[j] -= lr * hiddenDelta[j];
            }
        }
        // Lanes: the same loss and the same per-sample update, by autograd and SGD.
        mlp.train(new float[] {0, 1, 1}, new float[] {0}, 1000, lr);
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 4; j++) {
                assertEquals(wIh[i][j], hidden.weight().get(j, i), 1e-4, "weights_input_hidden[" + i + "][" + j + "]");
            }
        }
        for (int j = 0; j < 4; j++) {
            assertEquals(wHo[j][0], output.weight().get(0, j), 1e-4, "weights_hidden_output[" + j + "]");
        }
        // The trained network predicts the training label 0 for [0, 1, 1]; [1, 0, 0] as the seed prints.
        Tensor trained;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            trained = output.forward(hidden.forward(xt));
        }
        assertTrue(trained.item() < 0.1f, "after training on y = 0 the output is " + trained.item());
        double want = seedForward(new double[] {1, 0, 0}, wIh, bH, wHo, bO, activation, new double[4]);
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            float got = output.forward(hidden.forward(Tensor.of(new float[] {1, 0, 0}, 1, 3))).item();
            assertEquals(want, got, 1e-4, "prediction for [1, 0, 0]");
            assertEquals(got, mlp.predict(new float[] {1, 0, 0})[0]);
        }
    }

    /** The seed's forward pass: fills the hidden activations {@code h} and returns the output. */
    private static double seedForward(double[] x, double[][] wIh, double[] bH, double[][] wHo, double[] bO,
                                      String activation, double[] h) {
        for (int j = 0; j < 4; j++) {
            double s = bH[j];
            for (int i = 0; i < 3; i++) {
                s += x[i] * wIh[i][j];
            }
            h[j] = activation.equals("sigmoid") ? 1 / (1 + Math.exp(-s)) : Math.max(0, s);
        }
        double s = bO[0];
        for (int j = 0; j < 4; j++) {
            s += h[j] * wHo[j][0];
        }
        return 1 / (1 + Math.exp(-s));
    }
}
