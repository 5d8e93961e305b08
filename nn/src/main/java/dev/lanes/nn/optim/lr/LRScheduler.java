package dev.lanes.nn.optim.lr;

import dev.lanes.nn.optim.Optimizer;
import dev.lanes.nn.optim.ParamGroup;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.WeakHashMap;

/**
 * The base of the epoch- or iteration-based learning-rate schedules, like
 * {@code torch.optim.lr_scheduler.LRScheduler}: it holds the optimizer, records each parameter group's
 * {@code initial_lr} when it is created, and sets every group's {@code lr} on {@link #step()}.
 *
 * <pre>{@code
 * var sched = new CosineAnnealingLR(optimizer, 100);
 * for (int epoch = 0; epoch < 100; epoch++) {
 *     train(optimizer);          // optimizer.step() for each batch
 *     sched.step();              // after the optimizer, as in PyTorch
 * }
 * }</pre>
 *
 * <p>PyTorch's behaviour is kept where it changes numbers:
 * <ul>
 *   <li>Creating a scheduler performs its initial step (epoch 0), which may already change the learning
 *       rate ({@link LinearLR} multiplies it by {@code start_factor}).</li>
 *   <li>{@code initial_lr} is set once per group and shared: a second scheduler on the same optimizer takes
 *       the first one's {@code initial_lr} as its base learning rate, not the group's current {@code lr}.
 *       PyTorch keeps it in the group's dictionary; {@link ParamGroup} accepts only its optimizer's options,
 *       so Lanes keeps it beside the group (see {@link #initialLr(ParamGroup)}).</li>
 *   <li>{@link #step()} uses each scheduler's chainable (recursive) form, which multiplies the group's
 *       current {@code lr}, so schedulers combine in a {@link ChainedScheduler}; the closed form is used
 *       only where PyTorch uses it (a {@link SequentialLR} restarting a scheduler at a milestone).</li>
 * </ul>
 * Lanes does not take PyTorch's deprecated {@code last_epoch} constructor argument and {@code step(epoch)};
 * resume with {@link #stateDict()} and {@link #loadStateDict(Map)}.
 *
 * <p>A subclass assigns its fields before calling {@code super(optimizer)} (Java 25's flexible constructor
 * bodies), because the base constructor runs the initial step, which calls {@link #computeLr()}.
 *
 * <p>Not thread-safe: step a scheduler from the training thread only.
 */
public abstract class LRScheduler {
    /** PyTorch's {@code group['initial_lr']}, weakly keyed by the group (ParamGroup has identity equality). */
    private static final Map<ParamGroup, Double> INITIAL_LR = Collections.synchronizedMap(new WeakHashMap<>());

    final Optimizer optimizer;
    double[] baseLrs;
    int lastEpoch;
    int stepCount;
    double[] lastLr;
    private boolean initial;

    /**
     * Records the groups' {@code initial_lr} (keeping one another scheduler set) as this scheduler's base
     * learning rates, then runs the initial step.
     */
    @SuppressWarnings("this-escape") // the initial step is part of construction, as in PyTorch; see the class doc
    protected LRScheduler(Optimizer optimizer) {
        this(optimizer, true);
    }

    /** For the composites, which start their children instead of stepping themselves. */
    @SuppressWarnings("this-escape")
    LRScheduler(Optimizer optimizer, boolean initialStep) {
        if (optimizer == null) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": optimizer is null");
        }
        this.optimizer = optimizer;
        List<ParamGroup> groups = optimizer.paramGroups();
        baseLrs = new double[groups.size()];
        for (int i = 0; i < baseLrs.length; i++) {
            baseLrs[i] = INITIAL_LR.computeIfAbsent(groups.get(i), ParamGroup::lr);
        }
        lastEpoch = -1;
        lastLr = currentLrs(optimizer);
        if (initialStep) {
            initialStep();
        }
    }

    /**
     * The {@code initial_lr} recorded for a group by the first scheduler created on its optimizer (or set
     * by {@link OneCycleLR}), if any.
     */
    public static OptionalDouble initialLr(ParamGroup group) {
        if (group == null) {
            throw new IllegalArgumentException("LRScheduler.initialLr: group is null");
        }
        Double v = INITIAL_LR.get(group);
        return v == null ? OptionalDouble.empty() : OptionalDouble.of(v);
    }

    /** Sets a group's {@code initial_lr}, as {@link OneCycleLR} does before its base constructor reads it. */
    static void putInitialLr(ParamGroup group, double value) {
        INITIAL_LR.put(group, value);
    }

    /**
     * The new learning rate of every group for the current {@link #lastEpoch()}, PyTorch's {@code get_lr()}:
     * the chainable form, which may read the groups' current {@code lr} ({@link #groupLr(int)}).
     */
    protected abstract double[] computeLr();

    /** The closed form at {@link #lastEpoch()} from the base learning rates; schedulers without one use {@link #computeLr()}. */
    protected double[] closedFormLr() {
        return computeLr();
    }

    /** Advances one epoch (or iteration) and sets every group's learning rate. */
    public void step() {
        int savedEpoch = lastEpoch, savedCount = stepCount;
        try {
            stepCount++;
            lastEpoch++;
            applyLrs(computeLr());
        } catch (RuntimeException e) {
            lastEpoch = savedEpoch;
            stepCount = savedCount;
            throw e;
        }
    }

    /** PyTorch's {@code _update_lr(epoch)}: jump to {@code epoch} with the closed form (SequentialLR's milestones). */
    void jumpTo(int epoch) {
        int saved = lastEpoch;
        try {
            lastEpoch = epoch;
            applyLrs(closedFormLr());
        } catch (RuntimeException e) {
            lastEpoch = saved;
            throw e;
        }
    }

    /** PyTorch's {@code _initial_step()}: step count reset, one step in initial mode. */
    void initialStep() {
        stepCount = 0;
        initial = true;
        try {
            step();
        } finally {
            initial = false;
        }
    }

    /** SequentialLR's {@code recursive_undo}: moves this scheduler (or a composite's children) back one epoch. */
    void undoEpoch() {
        lastEpoch--;
    }

    /** True during the initial step that construction performs (PyTorch's {@code _is_initial}). */
    protected final boolean isInitialStep() {
        return initial;
    }

    /** The number of steps taken, counting the initial one (PyTorch's {@code _step_count}). */
    protected final int stepCount() {
        return stepCount;
    }

    /** The epoch (or iteration) index the current learning rates belong to; 0 after construction. */
    public int lastEpoch() {
        return lastEpoch;
    }

    /** The learning rates the last step set, one per group (PyTorch's {@code get_last_lr()}), as a copy. */
    public double[] getLastLr() {
        return lastLr.clone();
    }

    /** The base learning rates (the groups' {@code initial_lr}), as a copy. */
    public double[] baseLrs() {
        return baseLrs.clone();
    }

    /** The base learning rate of group {@code i}. */
    protected final double baseLr(int i) {
        return baseLrs[i];
    }

    /** The optimizer whose groups this scheduler drives. */
    public Optimizer optimizer() {
        return optimizer;
    }

    /** The number of parameter groups, checked against the count when the scheduler was created. */
    protected final int groupCount() {
        int n = optimizer.paramGroups().size();
        if (n != baseLrs.length) {
            throw new IllegalStateException(getClass().getSimpleName() + ": the optimizer has " + n
                    + " parameter groups, the scheduler was created with " + baseLrs.length
                    + "; create schedulers after adding every group");
        }
        return n;
    }

    /** The current learning rate of group {@code i}. */
    protected final double groupLr(int i) {
        return optimizer.paramGroups().get(i).lr();
    }

    /** The groups' current learning rates (PyTorch's {@code _param_groups_val_list(optimizer, 'lr')}). */
    protected final double[] currentLrs() {
        groupCount();
        return currentLrs(optimizer);
    }

    /** Every group's current learning rate multiplied by {@code factor}. */
    protected final double[] scaledLrs(double factor) {
        double[] lrs = currentLrs();
        for (int i = 0; i < lrs.length; i++) {
            lrs[i] *= factor;
        }
        return lrs;
    }

    static double[] currentLrs(Optimizer optimizer) {
        List<ParamGroup> groups = optimizer.paramGroups();
        double[] lrs = new double[groups.size()];
        for (int i = 0; i < lrs.length; i++) {
            lrs[i] = groups.get(i).lr();
        }
        return lrs;
    }

    /** Sets every group's {@code lr} and records them as the last; all or none (a value the optimizer refuses undoes the rest). */
    final void applyLrs(double[] values) {
        int n = groupCount();
        if (values.length != n) {
            throw new IllegalStateException(getClass().getSimpleName() + ": computed " + values.length
                    + " learning rates for " + n + " parameter groups");
        }
        setLrs(optimizer, values);
        lastLr = currentLrs(optimizer);
    }

    static void setLrs(Optimizer optimizer, double[] values) {
        List<ParamGroup> groups = optimizer.paramGroups();
        double[] old = currentLrs(optimizer);
        int done = 0;
        try {
            for (; done < values.length; done++) {
                groups.get(done).lr(values[done]);
            }
        } catch (RuntimeException e) {
            for (int i = 0; i < done; i++) {
                groups.get(i).lr(old[i]);
            }
            throw e;
        }
    }

    /**
     * The scheduler's state: {@code last_epoch}, {@code step_count}, {@code base_lrs}, {@code last_lr} and
     * whatever counters the class keeps, as arrays of doubles (counters are exact integers). The map is
     * new; the arrays are copies.
     */
    public Map<String, double[]> stateDict() {
        Map<String, double[]> out = new LinkedHashMap<>();
        out.put("last_epoch", new double[] {lastEpoch});
        out.put("step_count", new double[] {stepCount});
        out.put("base_lrs", baseLrs.clone());
        out.put("last_lr", lastLr.clone());
        return out;
    }

    /**
     * Restores a {@link #stateDict()} taken from a scheduler of the same class and configuration on an
     * optimizer with as many groups. The keys and array lengths must match this scheduler's exactly; all
     * are checked before anything changes. The saved base learning rates also become the groups'
     * {@code initial_lr}, and the saved last learning rates are written into the groups' {@code lr}, so a
     * resume is right even when the optimizer's own state does not carry the learning rates (PyTorch's
     * scheduler leaves that to {@code optimizer.load_state_dict}).
     */
    public void loadStateDict(Map<String, double[]> state) {
        StateDicts.check(getClass().getSimpleName() + ".loadStateDict", stateDict(), state);
        groupCount();
        setLrs(optimizer, state.get("last_lr")); // first: it is the step that can fail, and it undoes itself
        restoreState(state);
    }

    /**
     * Copies a checked state dict into this scheduler's fields (the groups' learning rates are already set).
     * A subclass that adds keys in {@link #stateDict()} overrides this too and calls {@code super}.
     */
    protected void restoreState(Map<String, double[]> state) {
        lastEpoch = (int) state.get("last_epoch")[0];
        stepCount = (int) state.get("step_count")[0];
        baseLrs = state.get("base_lrs").clone();
        lastLr = state.get("last_lr").clone();
        List<ParamGroup> groups = optimizer.paramGroups();
        for (int i = 0; i < baseLrs.length; i++) {
            putInitialLr(groups.get(i), baseLrs[i]);
        }
    }
}
