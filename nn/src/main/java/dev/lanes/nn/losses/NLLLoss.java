package dev.lanes.nn.losses;

import dev.lanes.nn.F;
import dev.lanes.nn.Reduction;
import dev.lanes.nn.Tensor;

/** {@code torch.nn.NLLLoss(ignore_index=-100)} over log-probabilities {@code (N, C)}. */
public class NLLLoss extends Loss {
    private final int ignoreIndex;

    public NLLLoss() {
        this(Reduction.MEAN, -100);
    }

    public NLLLoss(Reduction reduction, int ignoreIndex) {
        super(reduction);
        this.ignoreIndex = ignoreIndex;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.nllLoss(input, target, ignoreIndex, reduction);
    }
}
