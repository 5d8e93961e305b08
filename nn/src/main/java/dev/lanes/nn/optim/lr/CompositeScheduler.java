package dev.lanes.nn.optim.lr;

import dev.lanes.nn.optim.Optimizer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link ChainedScheduler} and {@link SequentialLR} share: child schedulers on the same optimizer that
 * compute the rates, and a state dict holding the composite's epoch and last rates and each child's state
 * under {@code schedulers.<i>.}.
 */
abstract class CompositeScheduler extends LRScheduler {
    final List<LRScheduler> schedulers;

    /** {@code schedulers}: non-empty (checked by the subclass, with its own message), all on {@code optimizer}. */
    CompositeScheduler(String name, List<LRScheduler> schedulers, Optimizer optimizer) {
        for (int i = 0; i < schedulers.size(); i++) {
            LRScheduler s = schedulers.get(i);
            if (s == null) {
                throw new IllegalArgumentException(name + ": the scheduler at index " + i + " is null");
            }
            if (s.optimizer != optimizer) {
                throw new IllegalArgumentException(name + " expects all schedulers to belong to the same optimizer, but the "
                        + s.getClass().getSimpleName() + " at index " + i + " has another one");
            }
        }
        this.schedulers = List.copyOf(schedulers);
        super(optimizer, false);
        lastEpoch = 0;
    }

    @Override
    void undoEpoch() {
        for (LRScheduler s : schedulers) {
            s.undoEpoch();
        }
    }

    @Override
    protected double[] computeLr() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " computes no rates itself; its children do");
    }

    /** The child schedulers, in order. */
    public List<LRScheduler> schedulers() {
        return schedulers;
    }

    /** {@code last_epoch}, {@code last_lr} and each child's state under {@code schedulers.<i>.}. */
    @Override
    public Map<String, double[]> stateDict() {
        Map<String, double[]> out = new LinkedHashMap<>();
        out.put("last_epoch", new double[] {lastEpoch});
        out.put("last_lr", lastLr.clone());
        for (int i = 0; i < schedulers.size(); i++) {
            for (Map.Entry<String, double[]> e : schedulers.get(i).stateDict().entrySet()) {
                out.put("schedulers." + i + "." + e.getKey(), e.getValue());
            }
        }
        return out;
    }

    /** Restores each child from its keys; the whole map was checked against the composite's own first. */
    @Override
    protected void restoreState(Map<String, double[]> state) {
        lastEpoch = (int) state.get("last_epoch")[0];
        lastLr = state.get("last_lr").clone();
        for (int i = 0; i < schedulers.size(); i++) {
            String prefix = "schedulers." + i + ".";
            Map<String, double[]> sub = new HashMap<>();
            for (Map.Entry<String, double[]> e : state.entrySet()) {
                if (e.getKey().startsWith(prefix)) {
                    sub.put(e.getKey().substring(prefix.length()), e.getValue());
                }
            }
            schedulers.get(i).restoreState(sub);
        }
    }
}
