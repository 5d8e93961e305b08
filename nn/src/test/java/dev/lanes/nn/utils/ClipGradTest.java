package dev.lanes.nn.utils;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.nn.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClipGradTest {
    private static Tensor param(float... grad) {
        Tensor p = Tensor.zeros(grad.length).requiresGrad(true);
        p.setGrad(Tensor.of(grad));
        return p;
    }

    @Test
    void normOfAllGradientsTogether() {
        Tensor a = param(3, 0), b = param(0, 4);
        double total = ClipGrad.clipGradNorm(List.of(a, b), 1.0);
        assertEquals(5.0, total, 1e-12);
        float c = (float) (1.0 / (5.0 + 1e-6));
        assertArrayEquals(new float[] {3 * c, 0}, a.grad().toArray(), 0);
        assertArrayEquals(new float[] {0, 4 * c}, b.grad().toArray(), 0);
        assertEquals(1.0, ClipGrad.totalNorm(List.of(a.grad(), b.grad()), 2), 1e-6);
    }

    @Test
    void smallNormsAreLeftAlone() {
        Tensor a = param(0.3f, -0.4f);
        assertEquals(0.7, ClipGrad.clipGradNorm(List.of(a), 1.0, 1.0), 1e-7);
        assertArrayEquals(new float[] {0.3f, -0.4f}, a.grad().toArray(), 0);
        assertEquals(0.4, ClipGrad.clipGradNorm(List.of(a), Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY), 1e-7);
    }

    @Test
    void duplicatesCountOnceAndMissingGradsAreSkipped() {
        Tensor a = param(6, 8);
        Tensor none = Tensor.zeros(3).requiresGrad(true);
        assertEquals(10.0, ClipGrad.clipGradNorm(List.of(a, none, a), 5.0), 1e-12);
        assertEquals(5.0, Math.hypot(a.grad().toArray()[0], a.grad().toArray()[1]), 1e-5);
        assertEquals(0.0, ClipGrad.clipGradNorm(List.of(none), 1.0), 0);
        assertEquals(0.0, ClipGrad.clipGradNorm(List.of(), 1.0), 0);
    }

    @Test
    void nonContiguousGradients() {
        Tensor p = Tensor.zeros(3, 2).requiresGrad(true);
        Tensor g = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).t(); // a (3, 2) view with strides (1, 3)
        p.setGrad(g);
        double total = ClipGrad.clipGradNorm(List.of(p), 1.0);
        assertEquals(Math.sqrt(91), total, 1e-6);
        float c = (float) (1 / (Math.sqrt(91) + 1e-6));
        float[] got = p.grad().toArray();
        float[] want = {1 * c, 4 * c, 2 * c, 5 * c, 3 * c, 6 * c};
        for (int i = 0; i < 6; i++) {
            assertEquals(want[i], got[i], 1e-6f);
        }
        Tensor q = Tensor.zeros(3, 2).requiresGrad(true);
        q.setGrad(Tensor.of(new float[] {-1, 2, -3, 4, -5, 6}, 2, 3).t());
        ClipGrad.clipGradValue(List.of(q), 2.5);
        assertArrayEquals(new float[] {-1, 2.5f, 2, -2.5f, -2.5f, 2.5f}, q.grad().toArray(), 0);
    }

    @Test
    void clipValue() {
        Tensor a = param(-3, 0.5f, Float.NaN, 2);
        ClipGrad.clipGradValue(List.of(a), 1.0);
        float[] g = a.grad().toArray();
        assertEquals(-1f, g[0]);
        assertEquals(0.5f, g[1]);
        assertTrue(Float.isNaN(g[2]));
        assertEquals(1f, g[3]);
    }

    @Test
    void errorIfNonfinite() {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            Tensor a = param(1, bad), b = param(2, 2);
            ArithmeticException e = assertThrows(ArithmeticException.class,
                    () -> ClipGrad.clipGradNorm(List.of(a, b), 1.0, 2.0, true));
            assertTrue(e.getMessage().contains("ClipGrad.clipGradNorm") && e.getMessage().contains("order 2.0")
                    && e.getMessage().contains("non-finite"), e.getMessage());
            assertArrayEquals(new float[] {2, 2}, b.grad().toArray(), 0, "nothing changed");
        }
        // Without the error, PyTorch's arithmetic: a NaN norm makes every gradient NaN, an infinite one makes finite ones 0
        Tensor a = param(1, Float.NaN), b = param(2, 2);
        assertTrue(Double.isNaN(ClipGrad.clipGradNorm(List.of(a, b), 1.0)));
        assertTrue(Float.isNaN(b.grad().toArray()[0]));
        Tensor c = param(1, Float.POSITIVE_INFINITY), d = param(2, 2);
        assertEquals(Double.POSITIVE_INFINITY, ClipGrad.clipGradNorm(List.of(c, d), 1.0));
        assertArrayEquals(new float[] {0, 0}, d.grad().toArray(), 0);
        assertTrue(Float.isNaN(c.grad().toArray()[1]), "inf * 0");
        // The float sum of squares overflows as PyTorch's float32 norm does
        Tensor huge = param(1e20f, 1e20f);
        assertThrows(ArithmeticException.class, () -> ClipGrad.clipGradNorm(List.of(huge), 1.0, 2.0, true));
        assertEquals(1e20, ClipGrad.clipGradNorm(List.of(huge), 1.0, Double.POSITIVE_INFINITY, true), 1e14);
    }

    @Test
    void badArguments() {
        Tensor a = param(1, 2);
        List<Tensor> withNull = new ArrayList<>(Arrays.asList(a, null));
        String[][] cases = {
            {"max_norm = -1.0"}, {"max_norm = NaN"}, {"norm_type = 0.0"}, {"norm_type = -Infinity"}, {"parameter 1 is null"},
            {"params is null"}, {"clip_value = -0.5"}, {"clip_value = NaN"}, {"tensor 0 is null"},
        };
        List<org.junit.jupiter.api.function.Executable> calls = List.of(
                () -> ClipGrad.clipGradNorm(List.of(a), -1),
                () -> ClipGrad.clipGradNorm(List.of(a), Double.NaN),
                () -> ClipGrad.clipGradNorm(List.of(a), 1, 0),
                () -> ClipGrad.clipGradNorm(List.of(a), 1, Double.NEGATIVE_INFINITY),
                () -> ClipGrad.clipGradNorm(withNull, 1),
                () -> ClipGrad.clipGradValue(null, 1),
                () -> ClipGrad.clipGradValue(List.of(a), -0.5),
                () -> ClipGrad.clipGradValue(List.of(a), Double.NaN),
                () -> ClipGrad.totalNorm(withNull.reversed(), 2));
        for (int i = 0; i < calls.size(); i++) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, calls.get(i));
            assertTrue(e.getMessage().startsWith("ClipGrad.") && e.getMessage().contains(cases[i][0]), e.getMessage());
        }
        assertArrayEquals(new float[] {1, 2}, a.grad().toArray(), 0);
    }
}
