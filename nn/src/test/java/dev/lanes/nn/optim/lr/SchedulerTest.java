package dev.lanes.nn.optim.lr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.nn.Tensor;
import dev.lanes.nn.optim.Optimizer;
import dev.lanes.nn.optim.ParamGroup;
import dev.lanes.nn.optim.TestSgd;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Scheduler behaviour beyond the PyTorch fixtures: state dicts, shared initial_lr, bad arguments. */
class SchedulerTest {
    private static TestSgd opt() {
        return TestSgd.twoGroups(false, 0.1, 0.05);
    }

    /** Runs a scheduler 12 steps, saves it, loads it into a fresh twin, and checks both continue alike. */
    private static void resumes(Function<Optimizer, LRScheduler> make, String momentumOption) {
        TestSgd a = opt();
        LRScheduler sa = make.apply(a);
        for (int i = 0; i < 12; i++) {
            sa.step();
        }
        Map<String, double[]> state = sa.stateDict();
        TestSgd b = opt();
        LRScheduler sb = make.apply(b);
        sb.loadStateDict(state);
        assertArrayEquals(sa.getLastLr(), sb.getLastLr(), 0);
        assertEquals(sa.lastEpoch(), sb.lastEpoch());
        assertArrayEquals(LRScheduler.currentLrs(a), LRScheduler.currentLrs(b), 0, "load writes the saved rates into the groups");
        for (int i = 0; i < 10; i++) {
            sa.step();
            sb.step();
            assertArrayEquals(sa.getLastLr(), sb.getLastLr(), 0, sa.getClass().getSimpleName() + " after resume, step " + i);
            if (momentumOption != null) {
                assertEquals(a.paramGroups().get(1).get(momentumOption), b.paramGroups().get(1).get(momentumOption), 0);
            }
        }
    }

    @Test
    void stateDictsResume() {
        resumes(o -> new StepLR(o, 5, 0.5), null);
        resumes(o -> new MultiStepLR(o, new int[] {3, 14, 14}), null);
        resumes(o -> new ExponentialLR(o, 0.9), null);
        resumes(o -> new CosineAnnealingLR(o, 8, 0.001), null);
        resumes(o -> new LinearLR(o, 0.1, 1.0, 15), null);
        resumes(o -> OneCycleLR.builder(o, 0.4).totalSteps(25).build(), "momentum");
        resumes(o -> new SequentialLR(o, List.of(new LinearLR(o, 0.1, 1.0, 4), new CosineAnnealingLR(o, 20)), 4), null);
        resumes(o -> new ChainedScheduler(List.of(new StepLR(o, 3, 0.8), new CosineAnnealingLR(o, 9))), null);
    }

    @Test
    void stateDictKeys() {
        TestSgd o = opt();
        var s = new SequentialLR(o, List.of(new LinearLR(o), new StepLR(o, 2)), 3);
        assertEquals(List.of("last_epoch", "last_lr", "schedulers.0.last_epoch", "schedulers.0.step_count", "schedulers.0.base_lrs",
                "schedulers.0.last_lr", "schedulers.1.last_epoch", "schedulers.1.step_count", "schedulers.1.base_lrs",
                "schedulers.1.last_lr"), List.copyOf(s.stateDict().keySet()));
        assertArrayEquals(new double[] {0.1, 0.05}, s.stateDict().get("schedulers.1.base_lrs"), 0);
    }

    @Test
    void plateauResumes() {
        double[] metrics = {1, 0.9, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7};
        TestSgd a = opt();
        var pa = ReduceLROnPlateau.builder(a).patience(1).cooldown(1).factor(0.5).build();
        for (int i = 0; i < 8; i++) {
            pa.step(metrics[i]);
        }
        TestSgd b = opt();
        var pb = ReduceLROnPlateau.builder(b).patience(1).cooldown(1).factor(0.5).build();
        pb.loadStateDict(pa.stateDict());
        assertEquals(pa.best(), pb.best(), 0);
        assertArrayEquals(pa.getLastLr(), LRScheduler.currentLrs(b), 0);
        for (int i = 8; i < metrics.length; i++) {
            pa.step(metrics[i]);
            pb.step(metrics[i]);
            assertArrayEquals(pa.getLastLr(), pb.getLastLr(), 0);
            assertEquals(pa.numBadEpochs(), pb.numBadEpochs());
            assertEquals(pa.cooldownCounter(), pb.cooldownCounter());
        }
        assertTrue(pa.getLastLr()[0] < 0.1 / 4, "it reduced more than twice");
    }

    @Test
    void badStateDictsChangeNothing() {
        TestSgd o = opt();
        var s = new StepLR(o, 2);
        s.step();
        s.step();
        Map<String, double[]> good = s.stateDict();
        Map<String, double[]> extra = new HashMap<>(good);
        extra.put("gamma", new double[] {0.5});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.loadStateDict(extra));
        assertTrue(e.getMessage().contains("StepLR.loadStateDict") && e.getMessage().contains("gamma"), e.getMessage());
        Map<String, double[]> shortLr = new HashMap<>(good);
        shortLr.put("last_lr", new double[] {0.3});
        e = assertThrows(IllegalArgumentException.class, () -> s.loadStateDict(shortLr));
        assertTrue(e.getMessage().contains("last_lr"), e.getMessage());
        Map<String, double[]> fraction = new HashMap<>(good);
        fraction.put("last_epoch", new double[] {2.5});
        e = assertThrows(IllegalArgumentException.class, () -> s.loadStateDict(fraction));
        assertTrue(e.getMessage().contains("last_epoch") && e.getMessage().contains("2.5"), e.getMessage());
        Map<String, double[]> negative = new HashMap<>(good);
        negative.put("last_lr", new double[] {0.3, -1});
        assertThrows(IllegalArgumentException.class, () -> s.loadStateDict(negative));
        assertThrows(IllegalArgumentException.class, () -> ReduceLROnPlateau.builder(o).build().loadStateDict(good));
        assertEquals(2, s.lastEpoch());
        assertArrayEquals(good.get("last_lr"), LRScheduler.currentLrs(o), 0);
        assertArrayEquals(good.get("last_lr"), s.getLastLr(), 0);
    }

    @Test
    void initialLrIsSharedAsInPyTorch() {
        TestSgd o = opt();
        ParamGroup g0 = o.paramGroups().get(0);
        assertTrue(LRScheduler.initialLr(g0).isEmpty());
        new StepLR(o, 10);
        assertEquals(0.1, LRScheduler.initialLr(g0).getAsDouble(), 0);
        g0.lr(0.5);
        var second = new CosineAnnealingLR(o, 4);
        assertArrayEquals(new double[] {0.1, 0.05}, second.baseLrs(), 0, "the second scheduler's base is initial_lr, not lr");
        assertArrayEquals(new double[] {0.5, 0.05}, second.getLastLr(), 0, "its initial step leaves lr alone");
        var cycle = OneCycleLR.builder(o, 1.0).totalSteps(10).build();
        assertEquals(1.0 / 25, LRScheduler.initialLr(g0).getAsDouble(), 0, "OneCycleLR replaces initial_lr");
        assertArrayEquals(new double[] {0.04, 0.04}, cycle.baseLrs(), 0);
    }

    @Test
    void linearWarmupAppliesAtConstruction() {
        TestSgd o = opt();
        var s = new LinearLR(o, 0.1, 1.0, 4);
        assertArrayEquals(new double[] {0.1 * 0.1, 0.05 * 0.1}, LRScheduler.currentLrs(o), 1e-15);
        assertEquals(0, s.lastEpoch());
        for (int i = 0; i < 4; i++) {
            s.step();
        }
        assertArrayEquals(new double[] {0.1, 0.05}, s.getLastLr(), 1e-15);
        s.getLastLr()[0] = 99;
        assertEquals(0.1, s.getLastLr()[0], 1e-15, "getLastLr returns a copy");
    }

    @Test
    void chainedCountsItsOwnSteps() {
        TestSgd o = opt();
        var c = new ChainedScheduler(List.of(new ExponentialLR(o, 0.5), new StepLR(o, 2, 0.5)));
        assertEquals(0, c.lastEpoch());
        c.step();
        c.step();
        assertEquals(2, c.lastEpoch());
        assertArrayEquals(new double[] {0.1 * 0.25 * 0.5, 0.05 * 0.25 * 0.5}, c.getLastLr(), 1e-17);
    }

    @Test
    void aGroupAddedLaterIsAnError() {
        TestSgd o = opt();
        var s = new ExponentialLR(o, 0.5);
        o.addParamGroup(ParamGroup.of(List.of(Tensor.zeros(1).requiresGrad(true))));
        IllegalStateException e = assertThrows(IllegalStateException.class, s::step);
        assertTrue(e.getMessage().contains("3 parameter groups") && e.getMessage().contains("created with 2"), e.getMessage());
        assertEquals(0, s.lastEpoch(), "the failed step was undone");
    }

    @Test
    void plateauNaNIsABadEpoch() {
        TestSgd o = opt();
        var p = ReduceLROnPlateau.builder(o).patience(0).build();
        p.step(1.0);
        p.step(Double.NaN);
        assertEquals(1.0, p.best(), 0);
        assertArrayEquals(new double[] {0.1 * 0.1, 0.05 * 0.1}, p.getLastLr(), 1e-17);
    }

    @Test
    void plateauMinLrPerGroupMustMatchTheGroups() {
        TestSgd o = opt();
        var p = ReduceLROnPlateau.builder(o).patience(0).minLr(new double[] {0.01, 0.01}).build();
        o.addParamGroup(ParamGroup.of(List.of(Tensor.zeros(1).requiresGrad(true))));
        p.step(1);
        assertThrows(IllegalStateException.class, () -> p.step(2));
        TestSgd o2 = opt();
        var q = ReduceLROnPlateau.builder(o2).patience(0).minLr(0.02).build();
        o2.addParamGroup(ParamGroup.of(List.of(Tensor.zeros(1).requiresGrad(true))).lr(0.5));
        q.step(1);
        q.step(2);
        assertArrayEquals(new double[] {0.02, 0.02, 0.05}, q.getLastLr(), 1e-17, "a single min_lr extends to new groups");
    }

    private static void bad(Executable e, String... words) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        for (String w : words) {
            assertTrue(ex.getMessage().contains(w), "'" + ex.getMessage() + "' should mention " + w);
        }
    }

    @Test
    void badArguments() {
        TestSgd o = opt();
        bad(() -> new StepLR(o, 0), "StepLR", "step_size", "0");
        bad(() -> new StepLR(o, 3, -0.1), "StepLR", "gamma", "-0.1");
        bad(() -> new ExponentialLR(o, Double.NaN), "ExponentialLR", "gamma", "NaN");
        bad(() -> new MultiStepLR(o, new int[] {3, -1}), "MultiStepLR", "milestones", "-1");
        bad(() -> new CosineAnnealingLR(o, 0), "CosineAnnealingLR", "T_max", "0");
        bad(() -> new CosineAnnealingLR(o, 5, -1e-3), "CosineAnnealingLR", "eta_min");
        bad(() -> new LinearLR(o, 0, 1, 5), "LinearLR", "start_factor", "(0, 1]");
        bad(() -> new LinearLR(o, 0.5, 1.5, 5), "LinearLR", "end_factor", "1.5");
        bad(() -> new LinearLR(o, 0.5, 1, 0), "LinearLR", "total_iters");
        bad(() -> new LambdaLR(o, List.of(e -> 1.0)), "LambdaLR", "expected 2", "got 1");
        bad(() -> OneCycleLR.builder(o, 0.1).build(), "OneCycleLR", "total_steps", "epochs");
        bad(() -> OneCycleLR.builder(o, 0.1).epochs(3).build(), "OneCycleLR", "steps_per_epoch");
        bad(() -> OneCycleLR.builder(o, 0.1).totalSteps(0).build(), "OneCycleLR", "total_steps = 0");
        bad(() -> OneCycleLR.builder(o, 0.1).totalSteps(10).pctStart(1.5).build(), "pct_start = 1.5");
        bad(() -> OneCycleLR.builder(o, 0.1).totalSteps(10).pctStart(0.1).build(), "pct_start = 0.1", "length 0");
        bad(() -> OneCycleLR.builder(o, 0.1).totalSteps(10).divFactor(0).build(), "div_factor");
        bad(() -> OneCycleLR.builder(o, new double[] {0.1}), "max_lr", "1 values", "2 groups");
        bad(() -> OneCycleLR.builder(o, 0.1).totalSteps(10).maxMomentum(1.5).build(), "max_momentum = 1.5");
        Optimizer lrOnly = new Optimizer() {
            {
                defineOption("lr", 0.1, 0, Double.POSITIVE_INFINITY);
                addParamGroup(ParamGroup.of(List.of(Tensor.zeros(1).requiresGrad(true))));
            }

            @Override
            protected String name() {
                return "LrOnly";
            }

            @Override
            public void step() {}
        };
        bad(() -> OneCycleLR.builder(lrOnly, 0.1).totalSteps(10).build(), "cycle_momentum", "'momentum' or 'beta1'", "[lr]");
        OneCycleLR.builder(lrOnly, 0.1).totalSteps(10).cycleMomentum(false).build();
        bad(() -> ReduceLROnPlateau.builder(o).factor(1.0).build(), "ReduceLROnPlateau", "factor = 1.0");
        bad(() -> ReduceLROnPlateau.builder(o).patience(-1).build(), "patience = -1");
        bad(() -> ReduceLROnPlateau.builder(o).minLr(new double[] {0.1}).build(), "expected 2 min_lrs, got 1");
        bad(() -> ReduceLROnPlateau.builder(o).mode(null).build(), "mode");
        TestSgd other = opt();
        bad(() -> new SequentialLR(o, List.of(new StepLR(o, 2), new StepLR(o, 3)), 2, 4), "SequentialLR", "one milestone fewer", "[2, 4]");
        bad(() -> new SequentialLR(o, List.of(new StepLR(o, 2), new StepLR(other, 3)), 2), "same optimizer", "index 1");
        bad(() -> new SequentialLR(o, List.of(new StepLR(o, 2), new StepLR(o, 3), new StepLR(o, 3)), 4, 4), "increasing");
        bad(() -> new SequentialLR(o, List.of(new StepLR(o, 2), new ChainedScheduler(List.of(new StepLR(o, 3)))), 2),
                "ChainedScheduler", "index 1", "only come first");
        bad(() -> new SequentialLR(o, List.of()), "at least one scheduler");
        bad(() -> new ChainedScheduler(List.of()), "ChainedScheduler", "at least one");
        bad(() -> new ChainedScheduler(List.of(new StepLR(o, 2), new StepLR(other, 2))), "same optimizer", "index 1");
    }

    /** OneCycleLR on a real Adam: a max_momentum Adam's beta1 cannot take is refused before anything changes. */
    @Test
    void oneCycleChecksMomentumAgainstTheOptimizerFirst() {
        var adam = new dev.lanes.nn.optim.Adam(List.of(Tensor.zeros(2).requiresGrad(true)), 1e-3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OneCycleLR.builder(adam, 0.1).totalSteps(10).maxMomentum(1.0).build());
        assertTrue(e.getMessage().contains("beta1"), e.getMessage());
        assertTrue(LRScheduler.initialLr(adam.paramGroups().get(0)).isEmpty(), "initial_lr was left set");
        assertEquals(1e-3, adam.paramGroups().get(0).lr());
        // and it works with Adam's own betas, cycling beta1
        OneCycleLR ok = OneCycleLR.builder(adam, 0.1).totalSteps(10).build();
        ok.step();
        assertTrue(adam.paramGroups().get(0).get("beta1") < 0.95, "beta1 cycles down from max_momentum 0.95");
    }
}
