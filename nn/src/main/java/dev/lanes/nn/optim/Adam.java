package dev.lanes.nn.optim;

import dev.lanes.kernels.Optimizers;
import dev.lanes.nn.Tensor;
import java.util.List;

/**
 * Adam, as {@code torch.optim.Adam}:
 * <pre>
 *   g = maximize ? -grad : grad
 *   if weight_decay != 0:
 *       decoupled_weight_decay: param *= 1 - lr * weight_decay     (AdamW)
 *       else:                   g += weight_decay * param           (L2 penalty)
 *   exp_avg    = beta1 * exp_avg + (1 - beta1) * g
 *   exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * g * g
 *   v = amsgrad ? (max_exp_avg_sq = max(max_exp_avg_sq, exp_avg_sq)) : exp_avg_sq
 *   param -= lr / (1 - beta1^step) * exp_avg / (sqrt(v) / sqrt(1 - beta2^step) + eps)
 * </pre>
 * Options and defaults as PyTorch's, with {@code betas} as two options: {@code lr} 1e-3, {@code beta1} 0.9,
 * {@code beta2} 0.999 (each in [0, 1)), {@code eps} 1e-8, {@code weight_decay} 0, {@code amsgrad} false,
 * {@code maximize} false, {@code decoupled_weight_decay} false ({@link AdamW} is this with it true). State per
 * parameter: {@code step}, {@code exp_avg}, {@code exp_avg_sq}, and {@code max_exp_avg_sq} with amsgrad.
 */
public class Adam extends Optimizer {
    /** Adam over {@code params} with PyTorch's default learning rate, 1e-3. */
    public Adam(List<Tensor> params) {
        this(params, 1e-3);
    }

    /** Adam over {@code params} with learning rate {@code lr}. */
    public Adam(List<Tensor> params, double lr) {
        this(params, lr, 0, false);
    }

    /** For {@link AdamW}: its weight-decay default and decoupled decay. */
    Adam(List<Tensor> params, double lr, double weightDecay, boolean decoupled) {
        defineOption("lr", "learning rate", 1e-3, 0, Double.POSITIVE_INFINITY, false);
        defineOption("beta1", "beta parameter at index 0", 0.9, 0, 1, true);
        defineOption("beta2", "beta parameter at index 1", 0.999, 0, 1, true);
        defineOption("eps", "epsilon value", 1e-8, 0, Double.POSITIVE_INFINITY, false);
        defineOption("weight_decay", "weight_decay value", weightDecay, 0, Double.POSITIVE_INFINITY, false);
        defineFlag("amsgrad", false);
        defineFlag("maximize", false);
        defineFlag("decoupled_weight_decay", decoupled);
        setDefault("lr", lr);
        addParamGroup(ParamGroup.of(params));
    }

    @Override
    protected String name() {
        return "Adam";
    }

    /** Sets the default decay rates of the two moments (PyTorch's {@code betas}), each in [0, 1). */
    public Adam betas(double beta1, double beta2) {
        // Both checked before either is set.
        checkOption("beta1", beta1);
        checkOption("beta2", beta2);
        setDefault("beta1", beta1);
        setDefault("beta2", beta2);
        return this;
    }

    /** Sets the default term added to the denominator ({@code >= 0}). */
    public Adam eps(double eps) {
        setDefault("eps", eps);
        return this;
    }

    /** Sets the default weight decay ({@code >= 0}): an L2 penalty, or decoupled with {@code decoupled_weight_decay}. */
    public Adam weightDecay(double weightDecay) {
        setDefault("weight_decay", weightDecay);
        return this;
    }

    /** Uses the AMSGrad variant (the running maximum of {@code exp_avg_sq}) by default. */
    public Adam amsgrad(boolean amsgrad) {
        setDefault("amsgrad", amsgrad ? 1 : 0);
        return this;
    }

    /** Maximizes the objective instead of minimizing it, by default. */
    public Adam maximize(boolean maximize) {
        setDefault("maximize", maximize ? 1 : 0);
        return this;
    }

    /** Decouples the weight decay from the gradient (AdamW's {@code param *= 1 - lr * weight_decay}), by default. */
    public Adam decoupledWeightDecay(boolean decoupled) {
        setDefault("decoupled_weight_decay", decoupled ? 1 : 0);
        return this;
    }

    @Override
    protected final List<String> stateNames() {
        return List.of("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq");
    }

    @Override
    public final void step() {
        checkGroups();
        for (ParamGroup group : paramGroups()) {
            // Doubles, as PyTorch's Python floats: 1 - beta2 and the bias corrections are computed in double.
            double lr = group.lr();
            double beta1 = group.get("beta1");
            double beta2 = group.get("beta2");
            float eps = (float) group.get("eps");
            double weightDecay = group.get("weight_decay");
            boolean amsgrad = group.flag("amsgrad");
            boolean maximize = group.flag("maximize");
            boolean decoupled = group.flag("decoupled_weight_decay");
            for (Tensor p : group.params()) {
                Tensor grad = contiguousGrad(p);
                if (grad == null) {
                    continue;
                }
                int n = p.numel();
                ParamState s = state(p);
                float[] expAvg = s.buffer("exp_avg", n, 0f);
                float[] expAvgSq = s.buffer("exp_avg_sq", n, 0f);
                float[] maxExpAvgSq = amsgrad ? s.buffer("max_exp_avg_sq", n, 0f) : null;
                long step = s.incrementStep();
                Optimizers.adam(n, p.array(), p.arrayOffset(), grad.array(), grad.arrayOffset(), expAvg, 0, expAvgSq, 0,
                        maxExpAvgSq, 0, lr, beta1, beta2, eps, weightDecay, decoupled, amsgrad, maximize, step);
            }
        }
    }
}
