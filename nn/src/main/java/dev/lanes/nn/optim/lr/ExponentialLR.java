package dev.lanes.nn.optim.lr;

import dev.lanes.nn.optim.Optimizer;

/** {@code torch.optim.lr_scheduler.ExponentialLR}: multiplies the learning rate by {@code gamma} every epoch. */
public final class ExponentialLR extends LRScheduler {
    private final double gamma;

    /** @param gamma the factor, finite and {@code >= 0} (above 1 grows the rate, as a learning-rate range test does) */
    public ExponentialLR(Optimizer optimizer, double gamma) {
        Checks.nonNegative("ExponentialLR", "gamma", gamma);
        this.gamma = gamma;
        super(optimizer);
    }

    @Override
    protected double[] computeLr() {
        return isInitialStep() ? currentLrs() : scaledLrs(gamma);
    }

    @Override
    protected double[] closedFormLr() {
        double[] lrs = new double[groupCount()];
        for (int i = 0; i < lrs.length; i++) {
            lrs[i] = baseLr(i) * Math.pow(gamma, lastEpoch);
        }
        return lrs;
    }
}
