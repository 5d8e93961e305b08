package dev.lanes.nn.losses;

import dev.lanes.nn.F;
import dev.lanes.nn.Reduction;
import dev.lanes.nn.Tensor;

/** {@code torch.nn.BCEWithLogitsLoss(pos_weight=None)}: sigmoid and binary cross-entropy in one stable formula. */
public class BCEWithLogitsLoss extends Loss {
    private final Tensor posWeight;

    public BCEWithLogitsLoss() {
        this(Reduction.MEAN, null);
    }

    /** {@code posWeight} (one weight per class, broadcast over the last dimension) may be null. */
    public BCEWithLogitsLoss(Reduction reduction, Tensor posWeight) {
        super(reduction);
        this.posWeight = posWeight;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.binaryCrossEntropyWithLogits(input, target, posWeight, reduction);
    }
}
