package dev.lanes.nn.functional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.kernels.Activation;
import org.junit.jupiter.api.Test;

class FunctionalTest {

    /** Seed 004's neuron: w = [0, 1], b = 4, x = [2, 3] gives sigmoid(7) = 0.9990889488055994. */
    @Test
    void seedNeuron() {
        float[] out = Functional.linear(new float[] {2, 3}, 1, 2, new float[] {0, 1}, new float[] {4}, 1,
                Activation.SIGMOID);
        assertEquals(0.9990889488055994, out[0], 1e-7);
    }

    /** Seed 004's 2-2-1 network (all weights [0, 1], biases 0) on x = [2, 3] gives 0.7216325609518421. */
    @Test
    void seedTwoLayerNetwork() {
        float[] w = {0, 1, 0, 1};
        float[] hidden = Functional.linear(new float[] {2, 3}, 1, 2, w, new float[] {0, 0}, 2, Activation.SIGMOID);
        float[] out = Functional.linear(hidden, 1, 2, new float[] {0, 1}, new float[] {0}, 1, Activation.SIGMOID);
        assertEquals(0.7216325609518421, out[0], 1e-7);
    }

    @Test
    void batchOfRowsWithRelu() {
        float[] out = Functional.linear(new float[] {1, 2, 3, 4}, 2, 2, new float[] {1, 1, -1, -1, 2, 0},
                new float[] {0, 1, -1}, 3, Activation.RELU);
        assertArrayEquals(new float[] {3, 0, 1, 7, 0, 5}, out);
    }

    @Test
    void shapeErrorsNameTheShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                Functional.linear(new float[6], 2, 3, new float[5], null, 2, Activation.IDENTITY));
        assertTrue(e.getMessage().contains("(outFeatures, inFeatures) = (2, 3)"), e.getMessage());
    }
}
