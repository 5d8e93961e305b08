package dev.lanes.nn.optim.lr;

import dev.lanes.nn.optim.Optimizer;

/**
 * {@code torch.optim.lr_scheduler.LinearLR}: scales the learning rate by a factor that moves linearly from
 * {@code start_factor} to {@code end_factor} over {@code total_iters} epochs, then stays; the usual warm-up
 * ({@code new LinearLR(opt, 0.1, 1.0, 5)}), or a linear decay with {@code end_factor < start_factor}.
 * Creating it already multiplies the learning rate by {@code start_factor}.
 */
public final class LinearLR extends LRScheduler {
    private final double startFactor;
    private final double endFactor;
    private final int totalIters;

    /** With PyTorch's defaults: {@code start_factor = 1/3}, {@code end_factor = 1}, {@code total_iters = 5}. */
    public LinearLR(Optimizer optimizer) {
        this(optimizer, 1.0 / 3, 1.0, 5);
    }

    /**
     * @param startFactor the factor at epoch 0, in {@code (0, 1]}
     * @param endFactor the factor from epoch {@code total_iters} on, in {@code [0, 1]}
     * @param totalIters the epochs of the ramp, at least 1
     */
    public LinearLR(Optimizer optimizer, double startFactor, double endFactor, int totalIters) {
        if (!(startFactor > 0 && startFactor <= 1)) {
            throw new IllegalArgumentException("LinearLR: start_factor = " + startFactor + " must be in (0, 1]");
        }
        if (!(endFactor >= 0 && endFactor <= 1)) {
            throw new IllegalArgumentException("LinearLR: end_factor = " + endFactor + " must be in [0, 1]");
        }
        Checks.atLeast("LinearLR", "total_iters", totalIters, 1);
        this.startFactor = startFactor;
        this.endFactor = endFactor;
        this.totalIters = totalIters;
        super(optimizer);
    }

    @Override
    protected double[] computeLr() {
        if (lastEpoch == 0) {
            return scaledLrs(startFactor);
        }
        if (isInitialStep() || lastEpoch > totalIters) {
            return currentLrs();
        }
        double diff = endFactor - startFactor;
        return scaledLrs(1.0 + diff / (totalIters * startFactor + (lastEpoch - 1) * diff));
    }

    @Override
    protected double[] closedFormLr() {
        double[] lrs = new double[groupCount()];
        for (int i = 0; i < lrs.length; i++) {
            lrs[i] = baseLr(i) * (startFactor + (endFactor - startFactor) * Math.min(totalIters, lastEpoch) / totalIters);
        }
        return lrs;
    }
}
