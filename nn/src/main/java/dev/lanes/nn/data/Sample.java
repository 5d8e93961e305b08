package dev.lanes.nn.data;

import dev.lanes.nn.Tensor;
import java.util.Objects;

/**
 * One sample of a {@link Dataset}: an input and its target, without a batch dimension, like the
 * {@code (x, y)} tuple that {@code dataset[i]} returns in PyTorch. For classification the target is a
 * 0-dimensional tensor holding the class index.
 *
 * @param input the input, for example of shape (1, 28, 28) or (4)
 * @param target the target, for example of shape () for a class index
 */
public record Sample(Tensor input, Tensor target) {
    public Sample {
        Objects.requireNonNull(input, "Sample: input");
        Objects.requireNonNull(target, "Sample: target");
    }
}
