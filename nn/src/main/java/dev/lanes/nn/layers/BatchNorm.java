package dev.lanes.nn.layers;

import dev.lanes.nn.F;
import dev.lanes.nn.GradMode;
import dev.lanes.nn.Tensor;

/**
 * {@code torch.nn.BatchNorm1d} / {@code BatchNorm2d}: per-channel normalisation with batch statistics in
 * training (updating {@code running_mean}, {@code running_var} with the unbiased variance and
 * {@code num_batches_tracked}) and running statistics in eval. Buffers and parameters have PyTorch's names.
 * Use {@link #batchNorm1d} or {@link #batchNorm2d} (or this class with the expected input rank).
 */
public class BatchNorm extends Module {
    private final int numFeatures;
    private final float eps, momentum;
    private final int[] ranks;
    private final Tensor weight, bias, runningMean, runningVar, numBatchesTracked;

    /** {@code BatchNorm1d(numFeatures)}: inputs {@code (N, C)} or {@code (N, C, L)}. */
    public static BatchNorm batchNorm1d(int numFeatures) {
        return new BatchNorm(numFeatures, 1e-5f, 0.1f, true, true, new int[] {2, 3});
    }

    @Override
    protected String typeName() {
        return ranks.length == 1 && ranks[0] == 4 ? "BatchNorm2d" : ranks.length == 2 && ranks[0] == 2 ? "BatchNorm1d" : "BatchNorm";
    }

    /** {@code BatchNorm2d(numFeatures)}: inputs {@code (N, C, H, W)}. */
    public static BatchNorm batchNorm2d(int numFeatures) {
        return new BatchNorm(numFeatures, 1e-5f, 0.1f, true, true, new int[] {4});
    }

    public BatchNorm(int numFeatures, float eps, float momentum, boolean affine, boolean trackRunningStats, int[] ranks) {
        this.numFeatures = numFeatures;
        this.eps = eps;
        this.momentum = momentum;
        this.ranks = ranks.clone();
        this.weight = affine ? registerParameter("weight", Tensor.ones(numFeatures)) : null;
        this.bias = affine ? registerParameter("bias", Tensor.zeros(numFeatures)) : null;
        this.runningMean = trackRunningStats ? registerBuffer("running_mean", Tensor.zeros(numFeatures)) : null;
        this.runningVar = trackRunningStats ? registerBuffer("running_var", Tensor.ones(numFeatures)) : null;
        this.numBatchesTracked = trackRunningStats ? registerBuffer("num_batches_tracked", Tensor.scalar(0f)) : null;
    }

    @Override
    public Tensor forward(Tensor x) {
        boolean rankOk = false;
        for (int r : ranks) {
            rankOk |= x.dim() == r;
        }
        if (!rankOk) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ": expected " + describeRanks() + " input, got shape "
                    + java.util.Arrays.toString(x.shape()));
        }
        if (isTraining() && numBatchesTracked != null) {
            try (GradMode.Scope ignored = GradMode.noGrad()) {
                numBatchesTracked.set(numBatchesTracked.item() + 1);
            }
        }
        return F.batchNorm(x, runningMean, runningVar, weight, bias, isTraining(), momentum, eps);
    }

    private String describeRanks() {
        StringBuilder sb = new StringBuilder();
        for (int r : ranks) {
            sb.append(sb.isEmpty() ? "" : " or ").append(r).append("D");
        }
        return sb.toString();
    }

    public Tensor runningMean() {
        return runningMean;
    }

    public Tensor runningVar() {
        return runningVar;
    }

    @Override
    protected String extraRepr() {
        return numFeatures + ", eps=" + pythonFloat(eps) + ", momentum=" + pythonFloat(momentum) + ", affine="
                + pythonBool(weight != null) + ", bias=" + pythonBool(bias != null) + ", track_running_stats="
                + pythonBool(runningMean != null);
    }
}
