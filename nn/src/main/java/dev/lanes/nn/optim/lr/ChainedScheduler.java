package dev.lanes.nn.optim.lr;

import dev.lanes.nn.optim.Optimizer;
import java.util.List;

/**
 * {@code torch.optim.lr_scheduler.ChainedScheduler}: steps every scheduler in the list, in order, on each
 * {@link #step()}, so their chainable forms multiply, e.g. a linear warm-up times an exponential decay:
 *
 * <pre>{@code
 * var sched = new ChainedScheduler(List.of(new LinearLR(opt, 0.1, 1.0, 5), new ExponentialLR(opt, 0.95)));
 * }</pre>
 *
 * {@link #lastEpoch()} counts this scheduler's own steps (PyTorch's has none).
 */
public final class ChainedScheduler extends CompositeScheduler {

    /** Chains schedulers of the first one's optimizer. */
    public ChainedScheduler(List<LRScheduler> schedulers) {
        this(schedulers, schedulers == null || schedulers.isEmpty() || schedulers.get(0) == null ? null : schedulers.get(0).optimizer);
    }

    /** Chains schedulers that must all belong to {@code optimizer}. */
    public ChainedScheduler(List<LRScheduler> schedulers, Optimizer optimizer) {
        String r = "ChainedScheduler";
        if (schedulers == null || schedulers.isEmpty()) {
            throw new IllegalArgumentException(r + " expects at least one scheduler to be chained, but got no scheduler");
        }
        super(r, schedulers, optimizer);
    }

    @Override
    public void step() {
        for (LRScheduler s : schedulers) {
            s.step();
        }
        lastEpoch++;
        lastLr = currentLrs();
    }

    @Override
    void initialStep() {
        // As the first child of a SequentialLR, PyTorch's _initial_step steps every chained scheduler once
        stepCount = 0;
        for (LRScheduler s : schedulers) {
            s.step();
        }
        lastLr = currentLrs();
    }
}
