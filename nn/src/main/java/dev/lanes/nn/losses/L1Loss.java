package dev.lanes.nn.losses;

import dev.lanes.nn.F;
import dev.lanes.nn.Reduction;
import dev.lanes.nn.Tensor;

/** {@code torch.nn.L1Loss}: the mean (or sum) of absolute differences. */
public class L1Loss extends Loss {

    public L1Loss() {
        this(Reduction.MEAN);
    }

    public L1Loss(Reduction reduction) {
        super(reduction);
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.l1Loss(input, target, reduction);
    }
}
