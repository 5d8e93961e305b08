package dev.lanes.nn.losses;

import dev.lanes.nn.F;
import dev.lanes.nn.Reduction;
import dev.lanes.nn.Tensor;

/** {@code torch.nn.CrossEntropyLoss(ignore_index=-100, label_smoothing=0.0)} over logits, with class-index targets
 * (exact floats) or class-probability targets of the input's shape. */
public class CrossEntropyLoss extends Loss {
    private final int ignoreIndex;
    private final float labelSmoothing;

    public CrossEntropyLoss() {
        this(Reduction.MEAN, -100, 0f);
    }

    public CrossEntropyLoss(Reduction reduction, int ignoreIndex, float labelSmoothing) {
        super(reduction);
        this.ignoreIndex = ignoreIndex;
        this.labelSmoothing = labelSmoothing;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.crossEntropy(input, target, ignoreIndex, labelSmoothing, reduction);
    }
}
