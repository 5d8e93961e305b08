package dev.lanes.nn.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.kernels.Activation;
import dev.lanes.nn.Generator;
import dev.lanes.nn.GradMode;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.layers.Activations;
import dev.lanes.nn.layers.Conv2d;
import dev.lanes.nn.layers.Dropout;
import dev.lanes.nn.layers.Flatten;
import dev.lanes.nn.layers.Linear;
import dev.lanes.nn.layers.Module;
import dev.lanes.nn.layers.Sequential;
import java.util.List;
import org.junit.jupiter.api.Test;

class InferencePlanTest {
    private static Linear linear(int in, int out, Generator g) {
        return new Linear(in, out, true, Activation.IDENTITY, g);
    }

    /** Every supported layer, fused and not, against model.forward on batches of 0, 1, a tail and more than maxBatch. */
    @Test
    void matchesForwardForEverySupportedLayer() {
        Generator g = new Generator(7);
        List<Module> models = List.of(
                new Sequential(new Flatten(), linear(13, 17, g), new Activations.ReLU(), new Dropout(0.3f),
                        linear(17, 9, g), new Activations.GELU(), linear(9, 5, g), new Activations.Softmax(-1)),
                new Sequential(linear(13, 8, g), new Activations.SiLU(), linear(8, 8, g), new Activations.Sigmoid(),
                        linear(8, 8, g), new Activations.Tanh(), linear(8, 3, g), new Activations.LogSoftmax(1)),
                new Sequential(linear(13, 8, g), new Activations.GELU("tanh"), new Activations.LeakyReLU(0.2f),
                        new Activations.ELU(0.7f), new Activations.Softplus(2f, 5f), new Activations.Identity(),
                        new Linear(8, 4, false, Activation.RELU, g)),
                linear(13, 1, g));
        for (Module model : models) {
            model.eval();
            InferencePlan plan = InferencePlan.of(model, 4);
            assertEquals(13, plan.inputFeatures());
            for (int rows : new int[] {0, 1, 3, 4, 11}) {
                Tensor x = Tensor.randn(g, rows, 13);
                Tensor expected;
                try (var scope = GradMode.noGrad()) {
                    expected = model.forward(x);
                }
                Tensor actual = plan.predict(x);
                assertArrayEquals(expected.shape(), actual.shape());
                float[] e = expected.toArray(), a = actual.toArray();
                for (int i = 0; i < e.length; i++) {
                    assertEquals(e[i], a[i], 1e-5f * Math.max(1f, Math.abs(e[i])), model + " rows " + rows + " at " + i);
                }
            }
        }
    }

    @Test
    void runWritesAtOffsetsAndLeavesTheRestAlone() {
        Generator g = new Generator(3);
        Module model = new Sequential(linear(5, 6, g), new Activations.ReLU(), linear(6, 2, g));
        InferencePlan plan = InferencePlan.of(model, 2);
        Tensor x = Tensor.randn(g, 2, 5);
        float[] input = new float[3 + 10];
        System.arraycopy(x.toArray(), 0, input, 3, 10);
        float[] output = new float[1 + 4 + 1];
        output[0] = 42f;
        output[5] = 43f;
        plan.run(input, 3, 2, output, 1);
        Tensor expected;
        try (var scope = GradMode.noGrad()) {
            expected = model.forward(x);
        }
        assertArrayEquals(expected.toArray(), java.util.Arrays.copyOfRange(output, 1, 5), 1e-6f);
        assertEquals(42f, output[0]);
        assertEquals(43f, output[5]);
    }

    @Test
    void seesWeightsLoadedAfterItWasMade() {
        Generator g = new Generator(5);
        Linear layer = linear(3, 2, g);
        InferencePlan plan = InferencePlan.of(layer, 1);
        try (var scope = GradMode.noGrad()) {
            layer.weight().fill_(0f);
            layer.bias().fill_(1.5f);
        }
        assertArrayEquals(new float[] {1.5f, 1.5f}, plan.predict(Tensor.of(new float[] {1, 2, 3})).toArray());
    }

    @Test
    void refusesWhatItCannotRunByName() {
        Generator g = new Generator(1);
        var conv = new Sequential(new Conv2d(1, 2, 3), new Flatten(), linear(8, 2, g));
        var e = assertThrows(IllegalArgumentException.class, () -> InferencePlan.of(conv, 1));
        assertTrue(e.getMessage().contains("Conv2d"), e.getMessage());
        var mismatch = new Sequential(linear(4, 3, g), linear(5, 2, g));
        e = assertThrows(IllegalArgumentException.class, () -> InferencePlan.of(mismatch, 1));
        assertTrue(e.getMessage().contains("receives rows of 3"), e.getMessage());
        InferencePlan plan = InferencePlan.of(linear(4, 3, g), 2);
        e = assertThrows(IllegalArgumentException.class, () -> plan.run(new float[12], 0, 3, new float[9], 0));
        assertTrue(e.getMessage().contains("maxBatch"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> plan.run(new float[7], 0, 2, new float[6], 0));
        assertTrue(e.getMessage().contains("input needs 8"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> plan.predict(Tensor.zeros(2, 5)));
        assertTrue(e.getMessage().contains("rows of 4"), e.getMessage());
    }
}
