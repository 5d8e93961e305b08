package dev.lanes.nn;

/** How a loss reduces its per-element values, PyTorch's {@code reduction=} argument. */
public enum Reduction {
    /** No reduction: one loss per element (or per sample). */
    NONE,
    /** The mean (PyTorch's default). */
    MEAN,
    /** The sum. */
    SUM,
    /** The sum divided by the batch size ({@code KLDivLoss(reduction='batchmean')} only). */
    BATCH_MEAN
}
