package dev.lanes.nn.losses;

import dev.lanes.nn.F;
import dev.lanes.nn.Reduction;
import dev.lanes.nn.Tensor;

/** {@code torch.nn.MSELoss}: the mean (or sum) of squared differences. */
public class MSELoss extends Loss {

    public MSELoss() {
        this(Reduction.MEAN);
    }

    public MSELoss(Reduction reduction) {
        super(reduction);
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.mseLoss(input, target, reduction);
    }
}
