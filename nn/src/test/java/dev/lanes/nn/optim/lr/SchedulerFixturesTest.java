package dev.lanes.nn.optim.lr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.lanes.nn.Fixtures;
import dev.lanes.nn.optim.Optimizer;
import dev.lanes.nn.optim.TestSgd;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every case of {@code scripts/fixtures/gen_schedule_fixtures.py}: the same scheduler, built here with the
 * same arguments on two groups (lr 0.1 and 0.05), must set the same learning rates (and OneCycleLR the same
 * momentum) after construction and after each of 30 steps, to 1e-12 relative: both sides compute in double
 * with the same formulas in the same order, so only a last-bit difference of cos or pow may remain.
 */
class SchedulerFixturesTest {
    private static final Fixtures FIX = Fixtures.load("sched/schedules.txt");
    private static final double RTOL = 1e-12;

    /** The Java twin of each Python case, with the same arguments. */
    private static Function<Optimizer, LRScheduler> schedule(String name) {
        return switch (name) {
            case "step_default" -> o -> new StepLR(o, 7);
            case "step_half" -> o -> new StepLR(o, 3, 0.5);
            case "multistep_default" -> o -> new MultiStepLR(o, new int[] {10, 25});
            case "multistep_repeat" -> o -> new MultiStepLR(o, new int[] {5, 12, 12, 20}, 0.5);
            case "exp_decay" -> o -> new ExponentialLR(o, 0.9);
            case "exp_grow" -> o -> new ExponentialLR(o, 1.05);
            case "cos_default" -> o -> new CosineAnnealingLR(o, 10);
            case "cos_eta" -> o -> new CosineAnnealingLR(o, 7, 0.001);
            case "linear_default" -> LinearLR::new;
            case "linear_warmup" -> o -> new LinearLR(o, 0.25, 0.9, 8);
            case "linear_decay" -> o -> new LinearLR(o, 1.0, 0.0, 20);
            case "lambda_warmup" -> o -> new LambdaLR(o, e -> Math.min(1.0, (e + 1) / 5.0) * Math.pow(0.95, e));
            case "onecycle_cos" -> o -> OneCycleLR.builder(o, new double[] {0.5, 0.2}).totalSteps(30).build();
            case "onecycle_linear_3phase_adam" -> o -> OneCycleLR.builder(o, 0.01).epochs(5).stepsPerEpoch(6).pctStart(0.25)
                    .annealStrategy(OneCycleLR.AnnealStrategy.LINEAR).divFactor(10.0).finalDivFactor(100.0).threePhase(true)
                    .baseMomentum(0.8).maxMomentum(0.9).build();
            case "onecycle_no_momentum" -> o -> OneCycleLR.builder(o, 0.3).totalSteps(40).pctStart(0.4).cycleMomentum(false).build();
            case "sequential_warmup_cos" -> o -> new SequentialLR(o,
                    List.of(new LinearLR(o, 0.1, 1.0, 5), new CosineAnnealingLR(o, 25)), 5);
            case "sequential_three" -> o -> new SequentialLR(o,
                    List.of(new LinearLR(o, 0.5, 1.0, 3), new ExponentialLR(o, 0.9), new StepLR(o, 4, 0.5)), 3, 10);
            case "chained_linear_exp" -> o -> new ChainedScheduler(List.of(new LinearLR(o, 0.2, 1.0, 4), new ExponentialLR(o, 0.95)));
            case "chained_step_cos" -> o -> new ChainedScheduler(List.of(new StepLR(o, 5, 0.5), new CosineAnnealingLR(o, 10, 0.002)));
            case "sequential_of_chained" -> o -> new SequentialLR(o, List.of(
                    new ChainedScheduler(List.of(new LinearLR(o, 0.3, 1.0, 4), new ExponentialLR(o, 0.97))),
                    new CosineAnnealingLR(o, 12, 0.001)), 6);
            default -> null;
        };
    }

    private static ReduceLROnPlateau plateau(String name, Optimizer o) {
        return switch (name) {
            case "plateau_default" -> ReduceLROnPlateau.builder(o).patience(2).build();
            case "plateau_max_abs" -> ReduceLROnPlateau.builder(o).mode(ReduceLROnPlateau.Mode.MAX).factor(0.5).patience(1)
                    .threshold(0.01).thresholdMode(ReduceLROnPlateau.ThresholdMode.ABS).cooldown(2).minLr(new double[] {0.01, 0.02})
                    .build();
            case "plateau_min_abs_eps" -> ReduceLROnPlateau.builder(o).factor(0.7).patience(0).threshold(0.005)
                    .thresholdMode(ReduceLROnPlateau.ThresholdMode.ABS).minLr(0.03).eps(0.004).build();
            case "plateau_max_rel" -> ReduceLROnPlateau.builder(o).mode(ReduceLROnPlateau.Mode.MAX).factor(0.25).patience(3)
                    .threshold(0.1).cooldown(1).build();
            default -> null;
        };
    }

    static Stream<String> cases() {
        return FIX.entries().keySet().stream().filter(k -> k.endsWith(".lr")).map(k -> k.substring(0, k.length() - 3));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesTorch(String name) {
        double[] expected = FIX.get(name + ".lr").values();
        boolean adam = name.endsWith("_adam");
        TestSgd opt = TestSgd.twoGroups(adam, 0.1, 0.05);
        int steps = expected.length / 2 - 1;
        double[][] lrs = new double[steps + 1][];
        double[][] momenta = new double[steps + 1][];
        String option = adam ? "beta1" : "momentum";
        Function<Optimizer, LRScheduler> builder = schedule(name);
        if (builder != null) {
            LRScheduler s = builder.apply(opt);
            lrs[0] = s.getLastLr();
            momenta[0] = options(opt, option);
            for (int k = 1; k <= steps; k++) {
                s.step();
                lrs[k] = s.getLastLr();
                momenta[k] = options(opt, option);
                assertEquals(lrs[k][0], opt.paramGroups().get(0).lr(), 0, "getLastLr is what the group uses");
            }
        } else {
            ReduceLROnPlateau s = plateau(name, opt);
            if (s == null) {
                fail("no Java twin for fixture case " + name);
            }
            double[] metrics = FIX.get(name + ".metrics").values();
            lrs[0] = s.getLastLr();
            for (int k = 1; k <= steps; k++) {
                s.step(metrics[k - 1]);
                lrs[k] = s.getLastLr();
            }
        }
        // OneCycleLR with linear annealing: at step total_steps PyTorch extrapolates below min_lr (here below 0);
        // Lanes keeps the phase's range there (see OneCycleLR's doc and oneCycleLinearStopsAtMinLrOnTheFinalStep)
        int compared = name.startsWith("onecycle_linear") ? steps - 1 : steps;
        for (int k = 0; k <= compared; k++) {
            for (int g = 0; g < 2; g++) {
                close(expected[2 * k + g], lrs[k][g], name + " lr at step " + k + " group " + g);
            }
        }
        if (FIX.has(name + ".momentum")) {
            double[] m = FIX.get(name + ".momentum").values();
            for (int k = 0; k <= steps; k++) {
                for (int g = 0; g < 2; g++) {
                    close(m[2 * k + g], momenta[k][g], name + " " + option + " at step " + k + " group " + g);
                }
            }
        }
    }

    @Test
    void oneCycleLinearStopsAtMinLrOnTheFinalStep() {
        String name = "onecycle_linear_3phase_adam";
        double[] expected = FIX.get(name + ".lr").values();
        int steps = expected.length / 2 - 1;
        TestSgd opt = TestSgd.twoGroups(true, 0.1, 0.05);
        OneCycleLR s = (OneCycleLR) schedule(name).apply(opt);
        assertEquals(steps, s.totalSteps());
        for (int k = 0; k < steps; k++) {
            s.step();
        }
        double minLr = 0.01 / 10.0 / 100.0;
        assertTrue(expected[2 * steps] < 0, "PyTorch's extrapolated final rate is negative");
        assertEquals(minLr, s.getLastLr()[0], 0);
        assertEquals(minLr, s.getLastLr()[1], 0);
        assertEquals(0.9, opt.paramGroups().get(0).get("beta1"), 0);
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, s::step);
        assertTrue(e.getMessage().contains("total steps is 30"), e.getMessage());
        assertEquals(steps, s.lastEpoch(), "a refused step changes nothing");
        assertEquals(minLr, opt.paramGroups().get(0).lr(), 0);
    }

    private static double[] options(Optimizer opt, String option) {
        return opt.paramGroups().stream().mapToDouble(g -> g.get(option)).toArray();
    }

    static void close(double expected, double actual, String what) {
        double tol = RTOL * Math.max(Math.abs(expected), Math.abs(actual)) + 1e-300;
        assertTrue(Math.abs(expected - actual) <= tol, what + ": expected " + expected + ", got " + actual);
    }

    @Test
    void everyFixtureCaseHasAJavaTwin() {
        TestSgd opt = TestSgd.twoGroups(false, 0.1, 0.05);
        assertTrue(cases().allMatch(n -> schedule(n) != null || plateau(n, opt) != null));
        assertTrue(cases().count() >= 20);
    }
}
