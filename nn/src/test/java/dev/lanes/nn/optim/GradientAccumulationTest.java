package dev.lanes.nn.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.kernels.Activation;
import dev.lanes.nn.Generator;
import dev.lanes.nn.GradMode;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.layers.Linear;
import dev.lanes.nn.layers.Sequential;
import dev.lanes.nn.losses.MSELoss;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Seed 003's gradient accumulation: {@code loss = criterion(preds, labels) / 4; loss.backward()} for 4
 * micro-batches, then one {@code optimizer.step()} and {@code zero_grad()}. No API is needed because
 * {@code backward()} adds into an existing {@code grad}, as PyTorch's does; with a mean loss, 4 micro-batches
 * of 8 scaled by 1/4 give the gradient of one batch of 32, and the same update.
 */
class GradientAccumulationTest {
    private static Sequential mlp() {
        Generator g = new Generator(42);
        return new Sequential(new Linear(5, 16, true, Activation.TANH, g), new Linear(16, 3, true, null, g));
    }

    @Test
    void fourMicroBatchesOfEightEqualOneBatchOf32() {
        Generator g = new Generator(3);
        Tensor x = Tensor.randn(g, 32, 5);
        Tensor y = Tensor.randn(g, 32, 3);
        MSELoss criterion = new MSELoss();

        Sequential whole = mlp();
        Sequential accumulated = mlp();
        TestSgd sgdWhole = new TestSgd(whole.parameters(), 0.1);
        TestSgd sgdAccumulated = new TestSgd(accumulated.parameters(), 0.1);

        criterion.forward(whole.forward(x), y).backward();

        int steps = 4;
        for (int b = 0; b < steps; b++) {
            Tensor xb = x.slice(0, 8 * b, 8 * b + 8), yb = y.slice(0, 8 * b, 8 * b + 8);
            Tensor loss = criterion.forward(accumulated.forward(xb), yb).div(steps);
            loss.backward();
            if (b == 0) {
                // after the first micro-batch the gradient is a quarter-batch's, not the whole one yet
                assertTrue(maxDiff(whole, accumulated, true) > 1e-3);
            }
        }
        assertTrue(maxDiff(whole, accumulated, true) <= 1e-6, "gradients differ by " + maxDiff(whole, accumulated, true));

        sgdWhole.step();
        sgdAccumulated.step();
        assertTrue(maxDiff(whole, accumulated, false) <= 1e-7, "weights differ by " + maxDiff(whole, accumulated, false));
        sgdAccumulated.zeroGrad();
        for (Tensor p : accumulated.parameters()) {
            assertEquals(null, p.grad(), "zeroGrad clears the accumulated gradient");
        }
    }

    @Test
    void backwardAddsIntoAnExistingGrad() {
        Tensor w = Tensor.of(new float[] {1, 2}).requiresGrad(true);
        w.mul(w).sum().backward();
        w.mul(3f).sum().backward();
        float[] g = w.grad().toArray();
        assertEquals(2 * 1 + 3, g[0]);
        assertEquals(2 * 2 + 3, g[1]);
    }

    /** The largest absolute difference between the two models' gradients (or weights), relative to scale 1. */
    private static double maxDiff(Sequential a, Sequential b, boolean grads) {
        Map<String, Tensor> pa = a.namedParameters(), pb = b.namedParameters();
        double max = 0;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            for (String name : pa.keySet()) {
                Tensor ta = grads ? pa.get(name).grad() : pa.get(name), tb = grads ? pb.get(name).grad() : pb.get(name);
                float[] va = ta.toArray(), vb = tb.toArray();
                for (int i = 0; i < va.length; i++) {
                    max = Math.max(max, Math.abs(va[i] - vb[i]) / Math.max(1, Math.abs(va[i])));
                }
            }
        }
        return max;
    }
}
