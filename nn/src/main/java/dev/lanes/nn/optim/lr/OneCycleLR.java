package dev.lanes.nn.optim.lr;

import dev.lanes.nn.optim.Optimizer;
import dev.lanes.nn.optim.ParamGroup;
import java.util.Arrays;
import java.util.List;

/**
 * {@code torch.optim.lr_scheduler.OneCycleLR}, the 1cycle policy (Smith and Topin): the learning rate rises
 * from {@code max_lr / div_factor} to {@code max_lr} over the first {@code pct_start} of the steps, then
 * falls to {@code initial_lr / final_div_factor}; momentum (the group's {@code "momentum"} option, or
 * {@code "beta1"} when the optimizer has betas) moves the opposite way between {@code max_momentum} and
 * {@code base_momentum}. Step it after every batch, {@code total_steps} times at most.
 *
 * <pre>{@code
 * var sched = OneCycleLR.builder(optimizer, 0.1).epochs(10).stepsPerEpoch(loader.size()).build();
 * }</pre>
 *
 * <p>The last step allowed is step {@code total_steps} (the one after the last batch, whose rate no batch
 * uses); there PyTorch extrapolates the final phase one step past its end, which with linear annealing goes
 * below {@code min_lr}, often below 0, and moves momentum past {@code max_momentum}. Lanes' optimizers
 * refuse a negative rate, so Lanes keeps each value within its phase's range: the only difference from
 * PyTorch's numbers, and only at that step and only with {@link AnnealStrategy#LINEAR} (with cosine
 * annealing the extrapolation turns back into the range and the values are PyTorch's). A further step throws.
 *
 * <p>With {@code three_phase} the rate falls back to {@code initial_lr} symmetrically before the final
 * annealing, as fastai's schedule does. Creating the scheduler sets every group's {@code initial_lr} to
 * {@code max_lr / div_factor} (replacing one another scheduler recorded), as PyTorch does.
 */
public final class OneCycleLR extends LRScheduler {
    /** How the rate and momentum move within a phase. */
    public enum AnnealStrategy {
        /** {@code end + (start - end) / 2 * (1 + cos(pi * pct))}, PyTorch's default. */
        COS,
        /** {@code (end - start) * pct + start}. */
        LINEAR
    }

    /** One phase: its last step and where rate and momentum come from and go to. */
    private record Phase(double endStep, Point startLr, Point endLr, Point startMomentum, Point endMomentum) {}

    private enum Point { INITIAL, MAX, MIN, BASE_MOMENTUM, MAX_MOMENTUM }

    private final int totalSteps;
    private final List<Phase> phases;
    private final AnnealStrategy anneal;
    private final boolean cycleMomentum;
    private final String momentumOption;
    private final double[] maxLrs;
    private final double[] minLrs;
    private final double[] maxMomentums;
    private final double[] baseMomentums;

    private OneCycleLR(Builder b, int totalSteps, List<Phase> phases, String momentumOption) {
        Optimizer optimizer = b.optimizer;
        List<ParamGroup> groups = optimizer.paramGroups();
        int n = groups.size();
        double[] initial = new double[n];
        double[] min = new double[n];
        for (int i = 0; i < n; i++) {
            initial[i] = b.maxLrs[i] / b.divFactor;
            min[i] = initial[i] / b.finalDivFactor;
        }
        this.minLrs = min;
        this.totalSteps = totalSteps;
        this.phases = phases;
        this.anneal = b.anneal;
        this.cycleMomentum = b.cycleMomentum;
        this.momentumOption = momentumOption;
        this.maxLrs = b.maxLrs.clone();
        this.maxMomentums = b.maxMomentums.clone();
        this.baseMomentums = b.baseMomentums.clone();
        for (int i = 0; i < n; i++) {
            putInitialLr(groups.get(i), initial[i]);
        }
        super(optimizer);
    }

    /** A builder for a OneCycleLR with peak learning rate {@code maxLr} in every group. */
    public static Builder builder(Optimizer optimizer, double maxLr) {
        if (optimizer == null) {
            throw new IllegalArgumentException("OneCycleLR: optimizer is null");
        }
        double[] maxLrs = new double[optimizer.paramGroups().size()];
        Arrays.fill(maxLrs, maxLr);
        return new Builder(optimizer, maxLrs);
    }

    /** A builder with one peak learning rate per parameter group. */
    public static Builder builder(Optimizer optimizer, double[] maxLrs) {
        if (optimizer == null || maxLrs == null) {
            throw new IllegalArgumentException("OneCycleLR: optimizer or max_lr is null");
        }
        return new Builder(optimizer, perGroup(optimizer, "max_lr", maxLrs));
    }

    private static double[] perGroup(Optimizer optimizer, String name, double[] values) {
        if (values.length != optimizer.paramGroups().size()) {
            throw new IllegalArgumentException("OneCycleLR: " + name + " must have one value per parameter group; "
                    + name + " has " + values.length + " values, the optimizer has " + optimizer.paramGroups().size() + " groups");
        }
        return values.clone();
    }

    /** {@code total_steps}: how many times the scheduler may be stepped after its creation. */
    public int totalSteps() {
        return totalSteps;
    }

    @Override
    protected double[] computeLr() {
        int stepNum = lastEpoch;
        if (stepNum > totalSteps) {
            throw new IllegalStateException("OneCycleLR: tried to step " + stepNum + " times; the specified number of total steps is "
                    + totalSteps);
        }
        int n = groupCount();
        double[] lrs = new double[n];
        double[] momenta = new double[n];
        for (int i = 0; i < n; i++) {
            double startStep = 0.0;
            for (int p = 0; p < phases.size(); p++) {
                Phase phase = phases.get(p);
                double endStep = phase.endStep();
                if (stepNum <= endStep || p == phases.size() - 1) {
                    double pct = (stepNum - startStep) / (endStep - startStep);
                    lrs[i] = anneal(value(phase.startLr(), i), value(phase.endLr(), i), pct);
                    momenta[i] = anneal(value(phase.startMomentum(), i), value(phase.endMomentum(), i), pct);
                    break;
                }
                startStep = endStep;
            }
        }
        if (cycleMomentum) {
            // PyTorch sets momentum inside get_lr; a value the optimizer refuses leaves the earlier groups unchanged
            List<ParamGroup> groups = optimizer.paramGroups();
            double[] old = new double[n];
            int done = 0;
            try {
                for (; done < n; done++) {
                    old[done] = groups.get(done).get(momentumOption);
                    groups.get(done).set(momentumOption, momenta[done]);
                }
            } catch (RuntimeException e) {
                for (int i = 0; i < done; i++) {
                    groups.get(i).set(momentumOption, old[i]);
                }
                throw e;
            }
        }
        return lrs;
    }

    private double value(Point point, int group) {
        return switch (point) {
            case INITIAL -> baseLr(group);
            case MAX -> maxLrs[group];
            case MIN -> minLrs[group];
            case BASE_MOMENTUM -> baseMomentums[group];
            case MAX_MOMENTUM -> maxMomentums[group];
        };
    }

    private double anneal(double start, double end, double pct) {
        double v;
        if (anneal == AnnealStrategy.COS) {
            double cosOut = Math.cos(Math.PI * pct) + 1;
            v = end + (start - end) / 2.0 * cosOut;
        } else {
            v = (end - start) * pct + start;
        }
        // Past the end of the final phase (step total_steps only) linear annealing leaves the range; see the class doc
        return pct <= 1 ? v : Math.max(Math.min(start, end), Math.min(Math.max(start, end), v));
    }

    /**
     * OneCycleLR's options, PyTorch's names and defaults. Give either {@link #totalSteps(int)} or both
     * {@link #epochs(int)} and {@link #stepsPerEpoch(int)} ({@code total_steps} wins when both are given).
     */
    public static final class Builder {
        private final Optimizer optimizer;
        private final double[] maxLrs;
        private Integer totalSteps, epochs, stepsPerEpoch;
        private double pctStart = 0.3;
        private AnnealStrategy anneal = AnnealStrategy.COS;
        private boolean cycleMomentum = true;
        private double[] baseMomentums;
        private double[] maxMomentums;
        private double divFactor = 25.0;
        private double finalDivFactor = 1e4;
        private boolean threePhase;

        private Builder(Optimizer optimizer, double[] maxLrs) {
            this.optimizer = optimizer;
            this.maxLrs = maxLrs;
            int n = optimizer.paramGroups().size();
            baseMomentums = new double[n];
            maxMomentums = new double[n];
            Arrays.fill(baseMomentums, 0.85);
            Arrays.fill(maxMomentums, 0.95);
        }

        /** The number of steps in the cycle. */
        public Builder totalSteps(int totalSteps) {
            this.totalSteps = totalSteps;
            return this;
        }

        /** The number of epochs, used with {@link #stepsPerEpoch(int)} when no total is given. */
        public Builder epochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        /** The number of steps per epoch, used with {@link #epochs(int)}. */
        public Builder stepsPerEpoch(int stepsPerEpoch) {
            this.stepsPerEpoch = stepsPerEpoch;
            return this;
        }

        /** The fraction of the cycle spent raising the rate; default 0.3. */
        public Builder pctStart(double pctStart) {
            this.pctStart = pctStart;
            return this;
        }

        /** Cosine (default) or linear annealing. */
        public Builder annealStrategy(AnnealStrategy strategy) {
            this.anneal = strategy;
            return this;
        }

        /** Whether to cycle momentum inversely to the rate; default true. */
        public Builder cycleMomentum(boolean cycleMomentum) {
            this.cycleMomentum = cycleMomentum;
            return this;
        }

        /** The lower momentum bound, reached at the peak rate; default 0.85. */
        public Builder baseMomentum(double baseMomentum) {
            Arrays.fill(baseMomentums, baseMomentum);
            return this;
        }

        /** One lower momentum bound per group. */
        public Builder baseMomentum(double[] baseMomentums) {
            this.baseMomentums = perGroup(optimizer, "base_momentum", baseMomentums);
            return this;
        }

        /** The upper momentum bound, at the start and end of the cycle; default 0.95. */
        public Builder maxMomentum(double maxMomentum) {
            Arrays.fill(maxMomentums, maxMomentum);
            return this;
        }

        /** One upper momentum bound per group. */
        public Builder maxMomentum(double[] maxMomentums) {
            this.maxMomentums = perGroup(optimizer, "max_momentum", maxMomentums);
            return this;
        }

        /** {@code initial_lr = max_lr / div_factor}; default 25. */
        public Builder divFactor(double divFactor) {
            this.divFactor = divFactor;
            return this;
        }

        /** {@code min_lr = initial_lr / final_div_factor}; default 1e4. */
        public Builder finalDivFactor(double finalDivFactor) {
            this.finalDivFactor = finalDivFactor;
            return this;
        }

        /** Three phases (up, back down to {@code initial_lr}, then to {@code min_lr}) instead of two; default false. */
        public Builder threePhase(boolean threePhase) {
            this.threePhase = threePhase;
            return this;
        }

        /** Checks the options, sets the groups' {@code initial_lr} and runs the initial step. */
        public OneCycleLR build() {
            String r = "OneCycleLR";
            int total;
            if (totalSteps != null) {
                Checks.atLeast(r, "total_steps", totalSteps, 1);
                total = totalSteps;
            } else if (epochs != null && stepsPerEpoch != null) {
                Checks.atLeast(r, "epochs", epochs, 1);
                Checks.atLeast(r, "steps_per_epoch", stepsPerEpoch, 1);
                if ((long) epochs * stepsPerEpoch > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException(r + ": epochs * steps_per_epoch = " + epochs + " * " + stepsPerEpoch
                            + " is too large");
                }
                total = epochs * stepsPerEpoch;
            } else {
                throw new IllegalArgumentException(r + ": you must define either total_steps OR (epochs AND steps_per_epoch)");
            }
            if (!(pctStart >= 0 && pctStart <= 1)) {
                throw new IllegalArgumentException(r + ": pct_start = " + pctStart + " must be in [0, 1]");
            }
            if (anneal == null) {
                throw new IllegalArgumentException(r + ": anneal_strategy is null; use COS or LINEAR");
            }
            perGroup(optimizer, "max_lr", maxLrs); // groups added since builder() was called
            perGroup(optimizer, "base_momentum", baseMomentums);
            for (double v : maxLrs) {
                Checks.nonNegative(r, "max_lr", v);
            }
            if (!(divFactor > 0 && divFactor < Double.POSITIVE_INFINITY)) {
                throw new IllegalArgumentException(r + ": div_factor = " + divFactor + " must be finite and > 0");
            }
            if (!(finalDivFactor > 0 && finalDivFactor < Double.POSITIVE_INFINITY)) {
                throw new IllegalArgumentException(r + ": final_div_factor = " + finalDivFactor + " must be finite and > 0");
            }
            List<Phase> phases = threePhase
                    ? List.of(
                            new Phase(pctStart * total - 1, Point.INITIAL, Point.MAX, Point.MAX_MOMENTUM, Point.BASE_MOMENTUM),
                            new Phase(2 * pctStart * total - 2, Point.MAX, Point.INITIAL, Point.BASE_MOMENTUM, Point.MAX_MOMENTUM),
                            new Phase(total - 1, Point.INITIAL, Point.MIN, Point.MAX_MOMENTUM, Point.MAX_MOMENTUM))
                    : List.of(
                            new Phase(pctStart * total - 1, Point.INITIAL, Point.MAX, Point.MAX_MOMENTUM, Point.BASE_MOMENTUM),
                            new Phase(total - 1, Point.MAX, Point.MIN, Point.BASE_MOMENTUM, Point.MAX_MOMENTUM));
            double start = 0;
            for (Phase p : phases) {
                // PyTorch divides by the phase length and fails with ZeroDivisionError when a step reaches it
                if (p.endStep() == start) {
                    throw new IllegalArgumentException(r + ": pct_start = " + pctStart + " with total_steps = " + total
                            + (threePhase ? " (three_phase)" : "") + " gives a phase of length 0");
                }
                start = p.endStep();
            }
            String option = null;
            if (cycleMomentum) {
                if (optimizer.defaults().containsKey("beta1")) {
                    option = "beta1"; // PyTorch: use_beta1 = 'betas' in optimizer.defaults, checked first
                } else if (optimizer.defaults().containsKey("momentum")) {
                    option = "momentum";
                } else {
                    throw new IllegalArgumentException(r + ": cycle_momentum needs an optimizer with a 'momentum' or 'beta1' option; "
                            + optimizer.getClass().getSimpleName() + " has " + optimizer.defaults().keySet()
                            + " (or pass cycleMomentum(false))");
                }
                for (int i = 0; i < maxMomentums.length; i++) {
                    if (!(baseMomentums[i] >= 0 && baseMomentums[i] <= 1 && maxMomentums[i] >= 0 && maxMomentums[i] <= 1)) {
                        throw new IllegalArgumentException(r + ": base_momentum = " + baseMomentums[i] + " and max_momentum = "
                                + maxMomentums[i] + " of group " + i + " must be in [0, 1]");
                    }
                    // Checked now, against the optimizer's own range (Adam's beta1 is below 1): the constructor's
                    // first step writes them after it has recorded initial_lr in the groups.
                    optimizer.checkOption(option, baseMomentums[i]);
                    optimizer.checkOption(option, maxMomentums[i]);
                }
            }
            return new OneCycleLR(this, total, phases, option);
        }
    }
}
