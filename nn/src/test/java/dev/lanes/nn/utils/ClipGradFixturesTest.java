package dev.lanes.nn.utils;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.nn.Fixtures;
import dev.lanes.nn.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code torch.nn.utils.clip_grad_norm_} (2-, inf-, 1- and 3-norm, clipping and not) and
 * {@code clip_grad_value_} on three gradients and a parameter without one, from
 * {@code scripts/fixtures/gen_schedule_fixtures.py}. PyTorch computes the norm and the factor in float32,
 * Lanes in double, so they agree to float rounding.
 */
class ClipGradFixturesTest {
    private static final Fixtures FIX = Fixtures.load("sched/clip.txt");

    static Stream<String> cases() {
        return FIX.entries().keySet().stream().filter(k -> k.endsWith(".g0")).map(k -> k.substring(0, k.length() - 3));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesTorch(String name) {
        List<Tensor> params = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Fixtures.Entry g = FIX.get(name + ".g" + i);
            Tensor p = Tensor.zeros(g.shape()).requiresGrad(true);
            p.setGrad(Tensor.of(g.floats(), g.shape()));
            params.add(p);
        }
        Tensor noGrad = Tensor.zeros(2).requiresGrad(true);
        params.add(noGrad);
        if (FIX.has(name + ".max_norm")) {
            double total = ClipGrad.clipGradNorm(params, FIX.get(name + ".max_norm").values()[0], FIX.get(name + ".norm_type").values()[0]);
            double expected = FIX.get(name + ".total").values()[0];
            assertTrue(Math.abs(total - expected) <= 2e-6 * expected, name + ": total norm " + total + ", torch " + expected);
        } else {
            ClipGrad.clipGradValue(params, FIX.get(name + ".clip_value").values()[0]);
        }
        assertNull(noGrad.grad());
        for (int i = 0; i < 3; i++) {
            float[] expected = FIX.floats(name + ".out" + i);
            float[] actual = params.get(i).grad().toArray();
            for (int k = 0; k < expected.length; k++) {
                assertTrue(Math.abs(actual[k] - expected[k]) <= 2e-6 * Math.abs(expected[k]) + 1e-7,
                        name + ": gradient " + i + " element " + k + ": " + actual[k] + ", torch " + expected[k]);
            }
        }
    }
}
