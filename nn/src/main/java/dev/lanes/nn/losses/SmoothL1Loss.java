package dev.lanes.nn.losses;

import dev.lanes.nn.F;
import dev.lanes.nn.Reduction;
import dev.lanes.nn.Tensor;

/** {@code torch.nn.SmoothL1Loss(beta=1.0)}. */
public class SmoothL1Loss extends Loss {
    private final float beta;

    public SmoothL1Loss() {
        this(Reduction.MEAN, 1f);
    }

    public SmoothL1Loss(Reduction reduction, float beta) {
        super(reduction);
        this.beta = beta;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.smoothL1Loss(input, target, beta, reduction);
    }
}
