package dev.lanes.nn.losses;

import dev.lanes.nn.F;
import dev.lanes.nn.Reduction;
import dev.lanes.nn.Tensor;

/** {@code torch.nn.KLDivLoss(reduction='mean', log_target=False)}: input is log-probabilities; prefer
 * {@link Reduction#BATCH_MEAN}, which gives the KL divergence per sample. */
public class KLDivLoss extends Loss {
    private final boolean logTarget;

    public KLDivLoss() {
        this(Reduction.MEAN, false);
    }

    public KLDivLoss(Reduction reduction, boolean logTarget) {
        super(reduction);
        this.logTarget = logTarget;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.klDiv(input, target, reduction, logTarget);
    }
}
