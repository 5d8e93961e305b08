package dev.lanes.nn.losses;

import dev.lanes.nn.F;
import dev.lanes.nn.Reduction;
import dev.lanes.nn.Tensor;

/** {@code torch.nn.HuberLoss(delta=1.0)}. */
public class HuberLoss extends Loss {
    private final float delta;

    public HuberLoss() {
        this(Reduction.MEAN, 1f);
    }

    public HuberLoss(Reduction reduction, float delta) {
        super(reduction);
        this.delta = delta;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.huberLoss(input, target, delta, reduction);
    }
}
