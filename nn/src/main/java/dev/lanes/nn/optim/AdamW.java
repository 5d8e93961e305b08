package dev.lanes.nn.optim;

import dev.lanes.nn.Tensor;
import java.util.List;

/**
 * AdamW, as {@code torch.optim.AdamW}: {@link Adam} with decoupled weight decay
 * ({@code param *= 1 - lr * weight_decay} before the Adam update) and PyTorch's AdamW defaults: {@code lr}
 * 1e-3, {@code beta1} 0.9, {@code beta2} 0.999, {@code eps} 1e-8, {@code weight_decay} 0.01, {@code amsgrad}
 * false, {@code maximize} false, {@code decoupled_weight_decay} true.
 *
 * <pre>{@code
 * var opt = new AdamW(model.parameters(), 3e-4).betas(0.9, 0.95).weightDecay(0.1);
 * }</pre>
 */
public final class AdamW extends Adam {
    /** AdamW over {@code params} with PyTorch's default learning rate, 1e-3. */
    public AdamW(List<Tensor> params) {
        this(params, 1e-3);
    }

    /** AdamW over {@code params} with learning rate {@code lr}. */
    public AdamW(List<Tensor> params, double lr) {
        super(params, lr, 1e-2, true);
    }

    @Override
    protected String name() {
        return "AdamW";
    }

    @Override
    public AdamW betas(double beta1, double beta2) {
        super.betas(beta1, beta2);
        return this;
    }

    @Override
    public AdamW eps(double eps) {
        super.eps(eps);
        return this;
    }

    @Override
    public AdamW weightDecay(double weightDecay) {
        super.weightDecay(weightDecay);
        return this;
    }

    @Override
    public AdamW amsgrad(boolean amsgrad) {
        super.amsgrad(amsgrad);
        return this;
    }

    @Override
    public AdamW maximize(boolean maximize) {
        super.maximize(maximize);
        return this;
    }

    @Override
    public AdamW decoupledWeightDecay(boolean decoupled) {
        super.decoupledWeightDecay(decoupled);
        return this;
    }
}
