package dev.lanes.nn.optim.lr;

import dev.lanes.nn.optim.Optimizer;

/**
 * {@code torch.optim.lr_scheduler.StepLR}: multiplies the learning rate by {@code gamma} every
 * {@code step_size} epochs, {@code lr = initial_lr * gamma^(epoch / step_size)} (integer division).
 */
public final class StepLR extends LRScheduler {
    private final int stepSize;
    private final double gamma;

    /** With PyTorch's default {@code gamma = 0.1}. */
    public StepLR(Optimizer optimizer, int stepSize) {
        this(optimizer, stepSize, 0.1);
    }

    /**
     * @param stepSize epochs between decays, at least 1
     * @param gamma the factor, finite and {@code >= 0}
     */
    public StepLR(Optimizer optimizer, int stepSize, double gamma) {
        if (stepSize < 1) {
            throw new IllegalArgumentException("StepLR: step_size = " + stepSize + " must be >= 1");
        }
        Checks.nonNegative("StepLR", "gamma", gamma);
        this.stepSize = stepSize;
        this.gamma = gamma;
        super(optimizer);
    }

    @Override
    protected double[] computeLr() {
        if (lastEpoch == 0 || Math.floorMod(lastEpoch, stepSize) != 0) {
            return currentLrs();
        }
        return scaledLrs(gamma);
    }

    @Override
    protected double[] closedFormLr() {
        double[] lrs = new double[groupCount()];
        for (int i = 0; i < lrs.length; i++) {
            lrs[i] = baseLr(i) * Math.pow(gamma, Math.floorDiv(lastEpoch, stepSize));
        }
        return lrs;
    }
}
