package dev.lanes.nn.optim.lr;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The children's part of a composite scheduler's state dict, under {@code schedulers.<i>.<key>}. */
final class Composites {
    private Composites() {}

    static void putChildren(Map<String, double[]> out, List<LRScheduler> children) {
        for (int i = 0; i < children.size(); i++) {
            for (Map.Entry<String, double[]> e : children.get(i).stateDict().entrySet()) {
                out.put("schedulers." + i + "." + e.getKey(), e.getValue());
            }
        }
    }

    /** Restores each child from its keys; the whole map was checked against the composite's own first. */
    static void restoreChildren(Map<String, double[]> state, List<LRScheduler> children) {
        for (int i = 0; i < children.size(); i++) {
            String prefix = "schedulers." + i + ".";
            Map<String, double[]> sub = new HashMap<>();
            for (Map.Entry<String, double[]> e : state.entrySet()) {
                if (e.getKey().startsWith(prefix)) {
                    sub.put(e.getKey().substring(prefix.length()), e.getValue());
                }
            }
            children.get(i).restoreState(sub);
        }
    }
}
