package dev.lanes.nn.optim.lr;

import dev.lanes.nn.optim.Optimizer;
import dev.lanes.nn.optim.ParamGroup;
import java.util.Arrays;
import java.util.List;

/**
 * {@code torch.optim.lr_scheduler.SequentialLR}: runs one scheduler until the first milestone, the next
 * until the second, and so on. At a milestone the next scheduler restarts at its epoch 0 with its closed
 * form (from the groups' {@code initial_lr}); between milestones it steps normally.
 *
 * <pre>{@code
 * var warmup = new LinearLR(opt, 0.1, 1.0, 5);
 * var cosine = new CosineAnnealingLR(opt, 95);
 * var sched = new SequentialLR(opt, List.of(warmup, cosine), 5);
 * }</pre>
 *
 * <p>Creating it resets the groups to their {@code initial_lr}, moves every child back one epoch and
 * re-runs the first one's initial step, as PyTorch does, so the children must not be stepped on their own.
 * A composite ({@link ChainedScheduler}, SequentialLR) may only come first: PyTorch cannot restart one at a
 * milestone either.
 */
public final class SequentialLR extends CompositeScheduler {
    private final int[] milestones;

    /**
     * @param schedulers at least one, all on {@code optimizer}
     * @param milestones {@code schedulers.size() - 1} epochs, increasing and {@code >= 0}, at which the next scheduler takes over
     */
    public SequentialLR(Optimizer optimizer, List<LRScheduler> schedulers, int... milestones) {
        String r = "SequentialLR";
        if (schedulers == null || schedulers.isEmpty()) {
            throw new IllegalArgumentException(r + " expects at least one scheduler, but got no scheduler");
        }
        if (milestones == null || milestones.length != schedulers.size() - 1) {
            throw new IllegalArgumentException(r + " expects one milestone fewer than schedulers, got " + schedulers.size()
                    + " schedulers and milestones " + Arrays.toString(milestones));
        }
        for (int i = 0; i < schedulers.size(); i++) {
            LRScheduler s = schedulers.get(i);
            if (i > 0 && (s instanceof SequentialLR || s instanceof ChainedScheduler)) {
                throw new IllegalArgumentException(r + ": the " + s.getClass().getSimpleName() + " at index " + i
                        + " cannot be restarted at a milestone; a composite may only come first");
            }
        }
        for (int i = 0; i < milestones.length; i++) {
            if (milestones[i] < 0 || (i > 0 && milestones[i] <= milestones[i - 1])) {
                throw new IllegalArgumentException(r + ": milestones " + Arrays.toString(milestones) + " must be increasing and >= 0");
            }
        }
        this.milestones = milestones.clone();
        super(r, schedulers, optimizer);
        // PyTorch: every group back to initial_lr, every child back one epoch, then the current child starts again
        List<ParamGroup> groups = optimizer.paramGroups();
        double[] initial = new double[groupCount()];
        for (int i = 0; i < initial.length; i++) {
            initial[i] = LRScheduler.initialLr(groups.get(i)).orElseThrow();
        }
        setLrs(optimizer, initial);
        undoEpoch();
        LRScheduler first = this.schedulers.get(index(0));
        first.initialStep();
        lastLr = first.getLastLr();
    }

    /** bisect_right(milestones, epoch): the index of the scheduler in charge at {@code epoch}. */
    private int index(int epoch) {
        int i = 0;
        while (i < milestones.length && milestones[i] <= epoch) {
            i++;
        }
        return i;
    }

    @Override
    public void step() {
        lastEpoch++;
        int idx = index(lastEpoch);
        LRScheduler scheduler = schedulers.get(idx);
        try {
            if (idx > 0 && milestones[idx - 1] == lastEpoch) {
                scheduler.jumpTo(0);
            } else {
                scheduler.step();
            }
        } catch (RuntimeException e) {
            lastEpoch--;
            throw e;
        }
        lastLr = scheduler.getLastLr();
    }

    @Override
    void initialStep() {
        // As a first child of another SequentialLR: PyTorch's _initial_step calls step() on it
        stepCount = 0;
        step();
    }
}
