package dev.lanes.nn.optim.lr;

import dev.lanes.nn.optim.Optimizer;
import dev.lanes.nn.optim.ParamGroup;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code torch.optim.lr_scheduler.ReduceLROnPlateau}: multiplies every group's learning rate by
 * {@code factor} when a metric has not improved for more than {@code patience} epochs, then waits
 * {@code cooldown} epochs before counting again; never below {@code min_lr}, and a reduction smaller than
 * {@code eps} is skipped.
 *
 * <pre>{@code
 * var plateau = ReduceLROnPlateau.builder(optimizer).factor(0.5).patience(3).build();
 * for (...) { train(); plateau.step(validationLoss()); }
 * }</pre>
 *
 * <p>"Improved" means below {@code best * (1 - threshold)} (mode min, threshold mode rel), below
 * {@code best - threshold} (min, abs), above {@code best * (1 + threshold)} (max, rel) or above
 * {@code best + threshold} (max, abs). A NaN metric never improves.
 *
 * <p>It does not extend {@link LRScheduler} (PyTorch's does): its {@link #step(double)} needs the metric,
 * so it cannot be stepped by a {@link SequentialLR} or {@link ChainedScheduler}, which PyTorch refuses too.
 */
public final class ReduceLROnPlateau {
    /** Whether lower (loss) or higher (accuracy) metrics are better. */
    public enum Mode { MIN, MAX }

    /** Whether {@code threshold} is relative to the best value or an absolute margin. */
    public enum ThresholdMode { REL, ABS }

    private final Optimizer optimizer;
    private final Mode mode;
    private final double factor;
    private final int patience;
    private final double threshold;
    private final ThresholdMode thresholdMode;
    private final int cooldown;
    private final Double defaultMinLr;
    private double[] minLrs;
    private final double eps;

    private int lastEpoch;
    private double best;
    private int numBadEpochs;
    private int cooldownCounter;
    private double[] lastLr;

    /** With PyTorch's defaults: mode min, factor 0.1, patience 10, threshold 1e-4 rel, cooldown 0, min_lr 0, eps 1e-8. */
    public ReduceLROnPlateau(Optimizer optimizer) {
        this(builder(optimizer));
    }

    private ReduceLROnPlateau(Builder b) {
        this.optimizer = b.optimizer;
        this.mode = b.mode;
        this.factor = b.factor;
        this.patience = b.patience;
        this.threshold = b.threshold;
        this.thresholdMode = b.thresholdMode;
        this.cooldown = b.cooldown;
        this.defaultMinLr = b.minLrs == null ? b.minLr : null;
        this.minLrs = b.minLrs == null ? filled(optimizer.paramGroups().size(), b.minLr) : b.minLrs.clone();
        this.eps = b.eps;
        this.lastEpoch = 0;
        this.lastLr = LRScheduler.currentLrs(optimizer);
        this.best = worst();
        this.numBadEpochs = 0;
        this.cooldownCounter = 0;
    }

    /** A builder with PyTorch's defaults. */
    public static Builder builder(Optimizer optimizer) {
        if (optimizer == null) {
            throw new IllegalArgumentException("ReduceLROnPlateau: optimizer is null");
        }
        return new Builder(optimizer);
    }

    private static double[] filled(int n, double v) {
        double[] a = new double[n];
        Arrays.fill(a, v);
        return a;
    }

    private double worst() {
        return mode == Mode.MIN ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
    }

    /** Records the metric of one more epoch and reduces the learning rates when it has plateaued. */
    public void step(double metric) {
        double current = metric;
        int epoch = lastEpoch + 1;
        lastEpoch = epoch;
        if (isBetter(current, best)) {
            best = current;
            numBadEpochs = 0;
        } else {
            numBadEpochs++;
        }
        if (cooldownCounter > 0) {
            cooldownCounter--;
            numBadEpochs = 0; // bad epochs in cooldown do not count
        }
        if (numBadEpochs > patience) {
            reduceLr();
            cooldownCounter = cooldown;
            numBadEpochs = 0;
        }
        lastLr = LRScheduler.currentLrs(optimizer);
    }

    private void reduceLr() {
        if (minLrs.length != optimizer.paramGroups().size()) {
            if (defaultMinLr == null) {
                throw new IllegalStateException("ReduceLROnPlateau: the optimizer has " + optimizer.paramGroups().size()
                        + " parameter groups, min_lr was given for " + minLrs.length + " (a group was added since)");
            }
            minLrs = filled(optimizer.paramGroups().size(), defaultMinLr);
        }
        List<ParamGroup> groups = optimizer.paramGroups();
        for (int i = 0; i < groups.size(); i++) {
            double oldLr = groups.get(i).lr();
            double newLr = Math.max(oldLr * factor, minLrs[i]);
            if (oldLr - newLr > eps) {
                groups.get(i).lr(newLr);
            }
        }
    }

    private boolean isBetter(double a, double best) {
        if (mode == Mode.MIN) {
            return thresholdMode == ThresholdMode.REL ? a < best * (1.0 - threshold) : a < best - threshold;
        }
        return thresholdMode == ThresholdMode.REL ? a > best * (threshold + 1.0) : a > best + threshold;
    }

    /** The best metric seen so far (infinite before the first step). */
    public double best() {
        return best;
    }

    /** Epochs without improvement since the last improvement, reduction or cooldown. */
    public int numBadEpochs() {
        return numBadEpochs;
    }

    /** Epochs of cooldown left. */
    public int cooldownCounter() {
        return cooldownCounter;
    }

    /** The number of steps taken (PyTorch's {@code last_epoch}; 0 after construction). */
    public int lastEpoch() {
        return lastEpoch;
    }

    /** The groups' learning rates after the last step, as a copy. */
    public double[] getLastLr() {
        return lastLr.clone();
    }

    /** The optimizer whose learning rates this scheduler reduces. */
    public Optimizer optimizer() {
        return optimizer;
    }

    /** {@code last_epoch}, {@code best}, {@code num_bad_epochs}, {@code cooldown_counter} and {@code last_lr}. */
    public Map<String, double[]> stateDict() {
        Map<String, double[]> out = new LinkedHashMap<>();
        out.put("last_epoch", new double[] {lastEpoch});
        out.put("best", new double[] {best});
        out.put("num_bad_epochs", new double[] {numBadEpochs});
        out.put("cooldown_counter", new double[] {cooldownCounter});
        out.put("last_lr", lastLr.clone());
        return out;
    }

    /**
     * Restores a {@link #stateDict()}: keys and lengths must match, everything is checked first. The saved
     * last learning rates are written into the groups, so a resume keeps the reductions even when the
     * optimizer's own state does not carry its learning rates.
     */
    public void loadStateDict(Map<String, double[]> state) {
        String routine = "ReduceLROnPlateau.loadStateDict";
        StateDicts.check(routine, stateDict(), state);
        double savedBest = state.get("best")[0];
        if (Double.isNaN(savedBest)) {
            throw new IllegalArgumentException(routine + ": 'best' is NaN");
        }
        if (state.get("last_lr").length != optimizer.paramGroups().size()) {
            throw new IllegalArgumentException(routine + ": 'last_lr' has " + state.get("last_lr").length
                    + " values, the optimizer has " + optimizer.paramGroups().size() + " groups");
        }
        LRScheduler.setLrs(optimizer, state.get("last_lr"));
        lastEpoch = (int) state.get("last_epoch")[0];
        best = savedBest;
        numBadEpochs = (int) state.get("num_bad_epochs")[0];
        cooldownCounter = (int) state.get("cooldown_counter")[0];
        lastLr = state.get("last_lr").clone();
    }

    /** ReduceLROnPlateau's options, PyTorch's names and defaults. */
    public static final class Builder {
        private final Optimizer optimizer;
        private Mode mode = Mode.MIN;
        private double factor = 0.1;
        private int patience = 10;
        private double threshold = 1e-4;
        private ThresholdMode thresholdMode = ThresholdMode.REL;
        private int cooldown = 0;
        private double minLr = 0;
        private double[] minLrs;
        private double eps = 1e-8;

        private Builder(Optimizer optimizer) {
            this.optimizer = optimizer;
        }

        /** MIN (default) for losses, MAX for accuracies. */
        public Builder mode(Mode mode) {
            this.mode = mode;
            return this;
        }

        /** The multiplier of a reduction, in {@code [0, 1)}; default 0.1. */
        public Builder factor(double factor) {
            this.factor = factor;
            return this;
        }

        /** Epochs without improvement tolerated before a reduction; default 10. */
        public Builder patience(int patience) {
            this.patience = patience;
            return this;
        }

        /** The margin an improvement must clear; default 1e-4. */
        public Builder threshold(double threshold) {
            this.threshold = threshold;
            return this;
        }

        /** REL (default): the margin is relative to the best value; ABS: absolute. */
        public Builder thresholdMode(ThresholdMode thresholdMode) {
            this.thresholdMode = thresholdMode;
            return this;
        }

        /** Epochs to wait after a reduction before counting bad epochs again; default 0. */
        public Builder cooldown(int cooldown) {
            this.cooldown = cooldown;
            return this;
        }

        /** The lowest learning rate of every group; default 0. */
        public Builder minLr(double minLr) {
            this.minLr = minLr;
            this.minLrs = null;
            return this;
        }

        /** The lowest learning rate of each group. */
        public Builder minLr(double[] minLrs) {
            this.minLrs = minLrs == null ? null : minLrs.clone();
            return this;
        }

        /** Reductions smaller than this are skipped; default 1e-8. */
        public Builder eps(double eps) {
            this.eps = eps;
            return this;
        }

        /** Checks the options and creates the scheduler (which does not touch the learning rates yet). */
        public ReduceLROnPlateau build() {
            String r = "ReduceLROnPlateau";
            if (mode == null || thresholdMode == null) {
                throw new IllegalArgumentException(r + ": mode = " + mode + " and threshold_mode = " + thresholdMode + " must not be null");
            }
            if (!(factor >= 0 && factor < 1.0)) {
                throw new IllegalArgumentException(r + ": factor = " + factor + " must be in [0, 1)");
            }
            Checks.atLeast(r, "patience", patience, 0);
            Checks.atLeast(r, "cooldown", cooldown, 0);
            Checks.nonNegative(r, "threshold", threshold);
            Checks.nonNegative(r, "eps", eps);
            if (minLrs != null) {
                if (minLrs.length != optimizer.paramGroups().size()) {
                    throw new IllegalArgumentException(r + ": expected " + optimizer.paramGroups().size() + " min_lrs, got "
                            + minLrs.length);
                }
                for (double v : minLrs) {
                    Checks.nonNegative(r, "min_lr", v);
                }
            } else {
                Checks.nonNegative(r, "min_lr", minLr);
            }
            return new ReduceLROnPlateau(this);
        }
    }
}
