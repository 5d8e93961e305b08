package dev.lanes.nn.utils;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lanes.nn.Generator;
import dev.lanes.nn.GradCheck;
import dev.lanes.nn.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class PenaltiesTest {
    @Test
    void values() {
        Tensor a = Tensor.of(new float[] {1, -2, 3}), b = Tensor.of(new float[] {-0.5f, 0, 4, 0}, 2, 2);
        assertEquals(10.5f, Penalties.l1(List.of(a, b)).item(), 1e-6f);
        assertEquals(1 + 4 + 9 + 0.25f + 16, Penalties.l2(List.of(a, b)).item(), 1e-5f);
        assertEquals(0, Penalties.l2(List.of()).dim());
        assertEquals(0f, Penalties.l1(List.of()).item());
        assertFalse(Penalties.l1(List.of()).requiresGrad());
    }

    @Test
    void gradientsPassGradCheck() {
        Generator g = new Generator(7);
        // keep L1's inputs away from 0, where |w| has a kink
        Tensor a = Tensor.rand(g, 3, 4).add(0.2f).mul(Tensor.of(new float[] {1, -1, 1, -1})).detach().requiresGrad(true);
        Tensor b = Tensor.randn(g, 5).detach().requiresGrad(true);
        GradCheck.check(in -> Penalties.l1(List.of(in[0], in[1].add(3f))), a, b);
        GradCheck.check(in -> Penalties.l2(Arrays.asList(in)), a, b);
    }

    @Test
    void gradientsAreSignAndTwiceW() {
        Tensor w = Tensor.of(new float[] {-1.5f, 0, 2}).requiresGrad(true);
        Penalties.l1(List.of(w)).backward();
        assertArrayEquals(new float[] {-1, 0, 1}, w.grad().toArray(), 0);
        w.zeroGrad();
        Penalties.l2(List.of(w)).backward();
        assertArrayEquals(new float[] {-3, 0, 4}, w.grad().toArray(), 0);
    }

    @Test
    void halfWdTimesL2IsCoupledWeightDecay() {
        float wd = 0.01f;
        Tensor w = Tensor.of(new float[] {0.5f, -1.25f, 3f}).requiresGrad(true);
        Penalties.l2(List.of(w)).mul(wd / 2).backward();
        float[] expected = {wd * 0.5f, wd * -1.25f, wd * 3f}; // SGD's weight_decay adds wd * w to the gradient
        assertArrayEquals(expected, w.grad().toArray(), 1e-9f);
    }

    @Test
    void badArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Penalties.l1(null));
        assertEquals("Penalties.l1: params is null", e.getMessage());
        List<Tensor> withNull = new ArrayList<>(Arrays.asList(Tensor.zeros(2), null));
        e = assertThrows(IllegalArgumentException.class, () -> Penalties.l2(withNull));
        assertEquals("Penalties.l2: parameter 1 is null", e.getMessage());
    }
}
