package dev.lanes.nn.data;

import dev.lanes.nn.Tensor;
import java.util.Arrays;
import java.util.Objects;

/**
 * A batch of samples gathered by a {@link DataLoader} (or {@link Dataset#batch}): contiguous tensors whose
 * first dimension indexes the samples, freshly allocated for this batch and shared with nothing else, so a
 * caller may keep or modify them.
 *
 * @param inputs the inputs, shape (B, ...)
 * @param targets the targets, shape (B, ...); (B) for class indices
 */
public record Batch(Tensor inputs, Tensor targets) {
    public Batch {
        Objects.requireNonNull(inputs, "Batch: inputs");
        Objects.requireNonNull(targets, "Batch: targets");
        if (inputs.dim() == 0 || targets.dim() == 0 || inputs.size(0) != targets.size(0)) {
            throw new IllegalArgumentException("Batch: inputs " + Arrays.toString(inputs.shape())
                    + " and targets " + Arrays.toString(targets.shape())
                    + " need a first (batch) dimension of the same size");
        }
    }

    /** The number of samples in this batch. */
    public int size() {
        return inputs.size(0);
    }
}
