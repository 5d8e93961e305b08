package dev.lanes.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lanes.kernels.Activation;
import dev.lanes.nn.layers.Linear;
import dev.lanes.nn.layers.Module;
import dev.lanes.nn.layers.Sequential;
import dev.lanes.nn.losses.MSELoss;
import org.junit.jupiter.api.Test;

/** The worked numbers of seed 004 ("a neural network from scratch"), which must come out as printed. */
class SeedExamplesTest {
    /** One neuron with weights [0, 1], bias 4, sigmoid, on x = [2, 3]: sigmoid(7) = 0.9990889488055994. */
    @Test
    void oneNeuron() {
        Linear neuron = new Linear(2, 1, true, Activation.SIGMOID);
        set(neuron, new float[] {0, 1}, new float[] {4});
        assertEquals(0.9990889488055994, neuron.forward(Tensor.of(new float[] {2, 3}, 1, 2)).item(), 1e-7);
    }

    /** The 2-2-1 network, every neuron with weights [0, 1] and bias 0, on x = [2, 3]: 0.7216325609518421. */
    @Test
    void twoTwoOneNetwork() {
        Linear hidden = new Linear(2, 2, true, Activation.SIGMOID);
        Linear out = new Linear(2, 1, true, Activation.SIGMOID);
        set(hidden, new float[] {0, 1, 0, 1}, new float[] {0, 0});
        set(out, new float[] {0, 1}, new float[] {0});
        Module net = new Sequential(hidden, out);
        assertEquals(0.7216325609518421, net.forward(Tensor.of(new float[] {2, 3}, 1, 2)).item(), 1e-7);
    }

    /** MSE of y_true = [1, 0, 0, 1] against y_pred = [0, 0, 0, 0] is 0.5. */
    @Test
    void meanSquaredError() {
        Tensor yTrue = Tensor.of(new float[] {1, 0, 0, 1});
        Tensor yPred = Tensor.zeros(4);
        assertEquals(0.5f, new MSELoss().forward(yPred, yTrue).item());
    }

    /**
     * The chain rule worked by hand: all weights 1, all biases 0, Alice = [-2, -1] with label 1, squared
     * error: dL/dw1 (input 1 to hidden neuron 1) = 0.0214 as printed, which the seed truncated from
     * -0.9526 * 0.2494 * -0.0904; the exact value is 0.0214695.
     */
    @Test
    void chainRuleGradient() {
        Linear hidden = new Linear(2, 2, true, Activation.SIGMOID);
        Linear out = new Linear(2, 1, true, Activation.SIGMOID);
        set(hidden, new float[] {1, 1, 1, 1}, new float[] {0, 0});
        set(out, new float[] {1, 1}, new float[] {0});
        Tensor yPred = out.forward(hidden.forward(Tensor.of(new float[] {-2, -1}, 1, 2)));
        Tensor loss = new MSELoss().forward(yPred, Tensor.of(new float[] {1}, 1, 1));
        loss.backward();
        double h = 1 / (1 + Math.exp(3)), o = 1 / (1 + Math.exp(-2 * h));
        double exact = -2 * (1 - o) * o * (1 - o) * h * (1 - h) * -2;
        assertEquals(exact, hidden.weight().grad().get(0, 0), 1e-7);
        assertEquals(0.0214, hidden.weight().grad().get(0, 0), 1e-4);
    }

    private static void set(Linear layer, float[] weight, float[] bias) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            layer.weight().copy_(Tensor.wrap(weight, layer.weight().shape()));
            layer.bias().copy_(Tensor.wrap(bias, layer.bias().shape()));
        }
    }
}
