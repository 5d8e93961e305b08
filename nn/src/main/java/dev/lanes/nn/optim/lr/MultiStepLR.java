package dev.lanes.nn.optim.lr;

import dev.lanes.nn.optim.Optimizer;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code torch.optim.lr_scheduler.MultiStepLR}: multiplies the learning rate by {@code gamma} at each
 * milestone epoch. A milestone listed {@code k} times multiplies by {@code gamma^k} (PyTorch counts them).
 */
public final class MultiStepLR extends LRScheduler {
    private final TreeMap<Integer, Integer> milestones;
    private final double gamma;

    /** With PyTorch's default {@code gamma = 0.1}. */
    public MultiStepLR(Optimizer optimizer, int[] milestones) {
        this(optimizer, milestones, 0.1);
    }

    /**
     * @param milestones epochs at which to decay, each {@code >= 0}, in any order, repeats allowed
     * @param gamma the factor, finite and {@code >= 0}
     */
    public MultiStepLR(Optimizer optimizer, int[] milestones, double gamma) {
        if (milestones == null) {
            throw new IllegalArgumentException("MultiStepLR: milestones is null");
        }
        TreeMap<Integer, Integer> counts = new TreeMap<>();
        for (int m : milestones) {
            if (m < 0) {
                throw new IllegalArgumentException("MultiStepLR: milestones " + Arrays.toString(milestones) + " must be >= 0");
            }
            counts.merge(m, 1, Integer::sum);
        }
        Checks.nonNegative("MultiStepLR", "gamma", gamma);
        this.milestones = counts;
        this.gamma = gamma;
        super(optimizer);
    }

    @Override
    protected double[] computeLr() {
        Integer count = milestones.get(lastEpoch);
        if (count == null) {
            return currentLrs();
        }
        return scaledLrs(Math.pow(gamma, count));
    }

    @Override
    protected double[] closedFormLr() {
        int passed = 0; // bisect_right over the sorted milestones, repeats included
        for (Map.Entry<Integer, Integer> e : milestones.headMap(lastEpoch, true).entrySet()) {
            passed += e.getValue();
        }
        double[] lrs = new double[groupCount()];
        for (int i = 0; i < lrs.length; i++) {
            lrs[i] = baseLr(i) * Math.pow(gamma, passed);
        }
        return lrs;
    }
}
