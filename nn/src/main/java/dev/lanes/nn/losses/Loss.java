package dev.lanes.nn.losses;

import dev.lanes.nn.Reduction;
import dev.lanes.nn.Tensor;

/** A loss function object like {@code torch.nn.MSELoss}: {@code loss.forward(input, target)}. */
public abstract class Loss {
    protected final Reduction reduction;

    protected Loss(Reduction reduction) {
        this.reduction = reduction == null ? Reduction.MEAN : reduction;
    }

    /** The loss of {@code input} against {@code target}, reduced as configured. */
    public abstract Tensor forward(Tensor input, Tensor target);

    public Reduction reduction() {
        return reduction;
    }
}
