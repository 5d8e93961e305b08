package dev.lanes.nn.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.nn.Tensor;
import dev.lanes.nn.layers.Linear;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The rules every optimizer shares: options checked with PyTorch's wording, cross-option rules checked before
 * a step writes anything, parameters listed once and contiguous, parameters without a gradient skipped, state
 * created lazily, non-contiguous gradients, and the fluent setters reaching every group that has no option of
 * its own.
 */
class OptimizerTest {
    private static List<Tensor> weight() {
        return List.of(Tensor.of(new float[] {1, -2, 3, -4, 5, -6}, 2, 3).requiresGrad(true));
    }

    private static void fails(Executable e, String... words) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        for (String w : words) {
            assertTrue(ex.getMessage().contains(w), "'" + w + "' missing from: " + ex.getMessage());
        }
    }

    @Test
    void rejectsBadOptionsWithPyTorchsWords() {
        List<Tensor> p = weight();
        fails(() -> new SGD(p, -0.1), "SGD: Invalid learning rate: -0.1", "lr must be >= 0");
        fails(() -> new SGD(p, 0.1).momentum(-0.9), "SGD: Invalid momentum value: -0.9");
        fails(() -> new SGD(p, 0.1).weightDecay(-1e-4), "SGD: Invalid weight_decay value: -1.0E-4");
        fails(() -> new Adam(p, -1), "Adam: Invalid learning rate: -1.0");
        fails(() -> new Adam(p).betas(1.0, 0.999), "Adam: Invalid beta parameter at index 0: 1.0", "beta1 must be in [0, 1)");
        fails(() -> new AdamW(p).betas(0.9, -0.1), "AdamW: Invalid beta parameter at index 1: -0.1");
        fails(() -> new Adam(p).eps(-1e-8), "Adam: Invalid epsilon value: -1.0E-8");
        fails(() -> new AdamW(p).weightDecay(-0.01), "AdamW: Invalid weight_decay value: -0.01");
        fails(() -> new Adagrad(p).lrDecay(-1), "Adagrad: Invalid lr_decay value: -1.0");
        fails(() -> new Adagrad(p).initialAccumulatorValue(-0.1), "Adagrad: Invalid initial_accumulator_value value: -0.1");
        fails(() -> new Adagrad(p).eps(-1), "Adagrad: Invalid epsilon value");
        fails(() -> new RMSprop(p).alpha(-0.5), "RMSprop: Invalid alpha value: -0.5");
        fails(() -> new RMSprop(p).alpha(1.5), "RMSprop: Invalid alpha value: 1.5", "in [0, 1]");
        fails(() -> new RMSprop(p).momentum(-1), "RMSprop: Invalid momentum value");
        // Not numbers a float kernel can use.
        fails(() -> new SGD(p, Double.NaN), "Invalid learning rate: NaN");
        fails(() -> new SGD(p, Double.POSITIVE_INFINITY), "Invalid learning rate: Infinity");
        fails(() -> new SGD(p, 1e300), "finite in float32");
        fails(() -> new SGD(p, 0.1).dampening(Double.NaN), "Invalid dampening value: NaN");
        // Flags and names.
        fails(() -> new SGD(p, 0.1).paramGroups().get(0).set("nesterov", 0.5), "nesterov is a boolean option");
        fails(() -> new SGD(p, 0.1).paramGroups().get(0).set("betas", 0.9), "SGD has no option 'betas'", "momentum");
        fails(() -> new SGD(p, 0.1).addParamGroup(ParamGroup.of(List.of(Tensor.zeros(2).requiresGrad(true))).set("lr", -1)),
                "Invalid learning rate: -1.0");
        // Both betas are checked before either is set.
        Adam adam = new Adam(p);
        fails(() -> adam.betas(0.5, 1.5), "index 1");
        assertEquals(0.9, adam.defaultOption("beta1"));
    }

    @Test
    void sgdNesterovNeedsMomentumWithoutDampeningAndFailsBeforeWriting() {
        Tensor w = weight().get(0);
        Tensor b = Tensor.zeros(3).requiresGrad(true);
        // Setter order does not matter: the rule is checked at the step.
        SGD ok = new SGD(List.of(w), 0.1).nesterov(true).momentum(0.9);
        w.setGrad(Tensor.ones(2, 3));
        ok.step();

        float[] before = w.toArray();
        SGD sgd = new SGD(List.of(w), 0.1).momentum(0.9);
        sgd.addParamGroup(ParamGroup.of(List.of(b)).set("nesterov", true).set("dampening", 0.1));
        b.setGrad(Tensor.ones(3));
        fails(sgd::step, "SGD: Nesterov momentum requires a momentum and zero dampening", "group 1", "dampening = 0.1");
        assertArrayEquals(before, w.toArray(), "group 0 was not updated before group 1 failed");
        assertTrue(sgd.stateDict().state().isEmpty());
        fails(() -> { new SGD(List.of(Tensor.zeros(1).requiresGrad(true)), 0.1).nesterov(true).step(); }, "momentum = 0.0");
    }

    @Test
    void parametersAreListedOnceAndContiguous() {
        Tensor w = weight().get(0);
        fails(() -> new Adam(List.of(w, w)), "more than one group (or twice in one)");
        Adam adam = new Adam(List.of(w));
        fails(() -> adam.addParamGroup(ParamGroup.of(List.of(w))), "more than one group");
        assertEquals(1, adam.paramGroups().size());
        Tensor transposed = Tensor.zeros(3, 4).t().requiresGrad(true);
        fails(() -> new SGD(List.of(transposed)), "not contiguous", "[4, 3]");
        // A frozen parameter is accepted as in PyTorch, and left alone by step().
        Tensor frozen = Tensor.ones(2);
        SGD sgd = new SGD(List.of(frozen), 0.1);
        sgd.step();
        assertEquals(1f, frozen.get(0));
    }

    @Test
    void skipsParametersWithoutGradientAndCreatesStateLazily() {
        Tensor w = weight().get(0);
        Tensor b = Tensor.of(new float[] {1, 2, 3}).requiresGrad(true);
        for (Supplier<Optimizer> make : List.<Supplier<Optimizer>>of(
                () -> new SGD(List.of(w, b), 0.1).momentum(0.9), () -> new Adagrad(List.of(w, b)),
                () -> new RMSprop(List.of(w, b)), () -> new Adam(List.of(w, b)), () -> new AdamW(List.of(w, b)))) {
            Optimizer opt = make.get();
            w.setGrad(Tensor.ones(2, 3));
            b.setGrad(null);
            float[] bias = b.toArray();
            opt.step();
            assertArrayEquals(bias, b.toArray(), opt.name() + ": a parameter without a gradient does not move");
            assertEquals(List.of(0), List.copyOf(opt.stateDict().state().keySet()), opt.name() + ": state only where a gradient was");
            opt.zeroGrad();
            assertNull(w.grad());
        }
    }

    @Test
    void sgdWithoutMomentumKeepsNoState() {
        Tensor w = weight().get(0);
        SGD sgd = new SGD(List.of(w), 0.5);
        w.setGrad(Tensor.ones(2, 3));
        sgd.step();
        assertArrayEquals(new float[] {0.5f, -2.5f, 2.5f, -4.5f, 4.5f, -6.5f}, w.toArray());
        assertTrue(sgd.stateDict().state().isEmpty(), "PyTorch keeps no momentum_buffer without momentum");
    }

    @Test
    void nonContiguousGradientsAreCopied() {
        float[] g = {0.5f, -1, 2, 0.25f, 3, -0.75f};
        Tensor a = weight().get(0);
        Tensor b = weight().get(0);
        Adam left = new Adam(List.of(a), 0.1);
        Adam right = new Adam(List.of(b), 0.1);
        a.setGrad(Tensor.of(g, 2, 3));
        // The same values through a transposed view of a (3, 2) array.
        float[] t = new float[6];
        for (int r = 0; r < 2; r++) {
            for (int c = 0; c < 3; c++) {
                t[c * 2 + r] = g[r * 3 + c];
            }
        }
        Tensor view = Tensor.of(t, 3, 2).t();
        assertTrue(!view.isContiguous());
        b.setGrad(view);
        left.step();
        right.step();
        assertArrayEquals(a.toArray(), b.toArray());
    }

    @Test
    void fluentDefaultsReachGroupsWithoutTheirOwn() {
        Linear backbone = new Linear(3, 2);
        Linear head = new Linear(2, 1);
        SGD sgd = new SGD(backbone.parameters(), 0.1);
        sgd.addParamGroup(ParamGroup.of(head.parameters()).set("lr", 0.01).set("weight_decay", 0));
        sgd.momentum(0.9).nesterov(true).weightDecay(5e-4);
        assertEquals(0.9, sgd.paramGroups().get(1).get("momentum"));
        assertEquals(0.0, sgd.paramGroups().get(1).get("weight_decay"), "a group's own option wins");
        assertEquals(5e-4, sgd.paramGroups().get(0).get("weight_decay"));
        assertEquals(0.01, sgd.paramGroups().get(1).lr());
        assertTrue(sgd.paramGroups().get(0).flag("nesterov"));
        AdamW adamw = new AdamW(backbone.parameters()).betas(0.9, 0.95).weightDecay(0.1).amsgrad(true);
        assertEquals(0.95, adamw.paramGroups().get(0).get("beta2"));
        assertEquals(1.0, adamw.paramGroups().get(0).get("decoupled_weight_decay"));
    }

    /** AdamW is Adam with decoupled weight decay: the same numbers either way, and not Adam's L2 penalty. */
    @Test
    void adamWIsAdamWithDecoupledDecay() {
        Tensor a = weight().get(0);
        Tensor b = weight().get(0);
        Tensor c = weight().get(0);
        AdamW adamw = new AdamW(List.of(a), 0.05).weightDecay(0.2);
        Adam decoupled = new Adam(List.of(b), 0.05).weightDecay(0.2).decoupledWeightDecay(true);
        Adam coupled = new Adam(List.of(c), 0.05).weightDecay(0.2);
        for (int t = 0; t < 3; t++) {
            for (Tensor p : List.of(a, b, c)) {
                p.setGrad(Tensor.of(new float[] {1, 2, 3, -1, -2, t}, 2, 3));
            }
            adamw.step();
            decoupled.step();
            coupled.step();
        }
        assertArrayEquals(a.toArray(), b.toArray());
        // Coupled decay goes into the moments (and Adam normalises it away); decoupled decay does not.
        assertTrue(Math.abs(a.toArray()[0] - c.toArray()[0]) > 1e-3, a.toArray()[0] + " vs " + c.toArray()[0]);
    }
}
