package dev.lanes.nn.optim.lr;

import dev.lanes.nn.optim.Optimizer;

/**
 * {@code torch.optim.lr_scheduler.CosineAnnealingLR}: anneals the learning rate from its initial value to
 * {@code eta_min} along half a cosine over {@code T_max} epochs,
 * {@code lr = eta_min + (initial_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2}, and back up over the next
 * {@code T_max} (a cosine, not a restart; {@code CosineAnnealingWarmRestarts} restarts).
 *
 * <p>{@link #step()} uses PyTorch 2.13's recursive form, which multiplies the current learning rate by
 * {@code (1 + cos(pi * e / T_max)) / (1 + cos(pi * (e - 1) / T_max))} (about {@code eta_min}). Alone it
 * equals the formula above up to rounding; chained with another scheduler it follows the other one's
 * changes, as in PyTorch.
 */
public final class CosineAnnealingLR extends LRScheduler {
    private final int tMax;
    private final double etaMin;

    /** With PyTorch's default {@code eta_min = 0}. */
    public CosineAnnealingLR(Optimizer optimizer, int tMax) {
        this(optimizer, tMax, 0.0);
    }

    /**
     * @param tMax epochs of one half-cosine, at least 1
     * @param etaMin the minimum learning rate, finite and {@code >= 0}
     */
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin) {
        Checks.atLeast("CosineAnnealingLR", "T_max", tMax, 1);
        Checks.nonNegative("CosineAnnealingLR", "eta_min", etaMin);
        this.tMax = tMax;
        this.etaMin = etaMin;
        super(optimizer);
    }

    @Override
    protected double[] computeLr() {
        if (isInitialStep()) {
            return currentLrs();
        }
        double[] lrs = currentLrs();
        if (stepCount() == 1 && lastEpoch > 0) {
            // PyTorch's branch for a scheduler whose first step lands past epoch 0: the closed form
            for (int i = 0; i < lrs.length; i++) {
                lrs[i] = etaMin + (baseLr(i) - etaMin) * (1 + Math.cos(lastEpoch * Math.PI / tMax)) / 2;
            }
        } else if (Math.floorMod(lastEpoch - 1 - tMax, 2 * tMax) == 0) {
            // at the bottom of the cosine the ratio below would divide by 1 + cos(pi) = 0
            for (int i = 0; i < lrs.length; i++) {
                lrs[i] = lrs[i] + (baseLr(i) - etaMin) * (1 - Math.cos(Math.PI / tMax)) / 2;
            }
        } else {
            double ratio = (1 + Math.cos(Math.PI * lastEpoch / tMax)) / (1 + Math.cos(Math.PI * (lastEpoch - 1) / tMax));
            for (int i = 0; i < lrs.length; i++) {
                lrs[i] = ratio * (lrs[i] - etaMin) + etaMin;
            }
        }
        return lrs;
    }

    @Override
    protected double[] closedFormLr() {
        double[] lrs = new double[groupCount()];
        for (int i = 0; i < lrs.length; i++) {
            lrs[i] = etaMin + (baseLr(i) - etaMin) * (1 + Math.cos(Math.PI * lastEpoch / tMax)) / 2;
        }
        return lrs;
    }
}
