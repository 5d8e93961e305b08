package dev.lanes.nn.optim.lr;

import dev.lanes.nn.optim.Optimizer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
public final class ChainedScheduler extends LRScheduler {
    private final List<LRScheduler> schedulers;

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
        for (int i = 0; i < schedulers.size(); i++) {
            LRScheduler s = schedulers.get(i);
            if (s == null) {
                throw new IllegalArgumentException(r + ": the scheduler at index " + i + " is null");
            }
            if (s.optimizer != optimizer) {
                throw new IllegalArgumentException(r + " expects all schedulers to belong to the same optimizer, but the "
                        + s.getClass().getSimpleName() + " at index " + i + " has another one");
            }
        }
        this.schedulers = List.copyOf(schedulers);
        super(optimizer, false);
        lastEpoch = 0;
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

    @Override
    void undoEpoch() {
        for (LRScheduler s : schedulers) {
            s.undoEpoch();
        }
    }

    @Override
    protected double[] computeLr() {
        throw new UnsupportedOperationException("ChainedScheduler computes no rates itself; its children do");
    }

    /** The chained schedulers, in order. */
    public List<LRScheduler> schedulers() {
        return schedulers;
    }

    /** {@code last_epoch}, {@code last_lr} and each child's state under {@code schedulers.<i>.}. */
    @Override
    public Map<String, double[]> stateDict() {
        Map<String, double[]> out = new LinkedHashMap<>();
        out.put("last_epoch", new double[] {lastEpoch});
        out.put("last_lr", lastLr.clone());
        Composites.putChildren(out, schedulers);
        return out;
    }

    @Override
    protected void restoreState(Map<String, double[]> state) {
        lastEpoch = (int) state.get("last_epoch")[0];
        lastLr = state.get("last_lr").clone();
        Composites.restoreChildren(state, schedulers);
    }
}
