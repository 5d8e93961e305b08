package dev.lanes.nn.optim;

import dev.lanes.kernels.Optimizers;
import dev.lanes.nn.Tensor;
import java.util.List;

/**
 * RMSprop, as {@code torch.optim.RMSprop}:
 * <pre>
 *   g  = (maximize ? -grad : grad) + weight_decay * param
 *   square_avg = alpha * square_avg + (1 - alpha) * g * g
 *   if centered: grad_avg = grad_avg.lerp(g, 1 - alpha); avg = sqrt(square_avg - grad_avg^2) + eps
 *   else:        avg = sqrt(square_avg) + eps
 *   if momentum > 0: momentum_buffer = momentum * momentum_buffer + g / avg; param -= lr * momentum_buffer
 *   else:            param -= lr * g / avg
 * </pre>
 * Options and defaults as PyTorch's: {@code lr} 1e-2, {@code alpha} 0.99, {@code eps} 1e-8,
 * {@code weight_decay} 0, {@code momentum} 0, {@code centered} false, {@code maximize} false. {@code alpha}
 * must lie in [0, 1] (PyTorch accepts larger values, which make the squared average negative). State per
 * parameter: {@code step}, {@code square_avg}, {@code momentum_buffer} when momentum {@code > 0} and
 * {@code grad_avg} when centered, all starting at zero.
 */
public final class RMSprop extends Optimizer {
    /** RMSprop over {@code params} with PyTorch's default learning rate, 1e-2. */
    public RMSprop(List<Tensor> params) {
        this(params, 1e-2);
    }

    /** RMSprop over {@code params} with learning rate {@code lr}. */
    public RMSprop(List<Tensor> params, double lr) {
        defineOption("lr", "learning rate", 1e-2, 0, Double.POSITIVE_INFINITY, false);
        defineOption("momentum", "momentum value", 0, 0, Double.POSITIVE_INFINITY, false);
        defineOption("alpha", "alpha value", 0.99, 0, 1, false);
        defineOption("eps", "epsilon value", 1e-8, 0, Double.POSITIVE_INFINITY, false);
        defineFlag("centered", false);
        defineOption("weight_decay", "weight_decay value", 0, 0, Double.POSITIVE_INFINITY, false);
        defineFlag("maximize", false);
        setDefault("lr", lr);
        addParamGroup(ParamGroup.of(params));
    }

    @Override
    protected String name() {
        return "RMSprop";
    }

    /** Sets the default smoothing constant, in [0, 1]. */
    public RMSprop alpha(double alpha) {
        setDefault("alpha", alpha);
        return this;
    }

    /** Sets the default term added to the denominator ({@code >= 0}). */
    public RMSprop eps(double eps) {
        setDefault("eps", eps);
        return this;
    }

    /** Sets the default L2 penalty ({@code >= 0}). */
    public RMSprop weightDecay(double weightDecay) {
        setDefault("weight_decay", weightDecay);
        return this;
    }

    /** Sets the default momentum factor ({@code >= 0}). */
    public RMSprop momentum(double momentum) {
        setDefault("momentum", momentum);
        return this;
    }

    /** Normalises by the estimated variance of the gradient (centered RMSprop), by default. */
    public RMSprop centered(boolean centered) {
        setDefault("centered", centered ? 1 : 0);
        return this;
    }

    /** Maximizes the objective instead of minimizing it, by default. */
    public RMSprop maximize(boolean maximize) {
        setDefault("maximize", maximize ? 1 : 0);
        return this;
    }

    @Override
    protected List<String> stateNames() {
        return List.of("step", "square_avg", "momentum_buffer", "grad_avg");
    }

    @Override
    public void step() {
        checkGroups();
        for (ParamGroup group : paramGroups()) {
            double lr = group.lr(); // doubles, as PyTorch's Python floats: 1 - alpha is computed in double
            double alpha = group.get("alpha");
            float eps = (float) group.get("eps");
            float weightDecay = (float) group.get("weight_decay");
            float momentum = (float) group.get("momentum");
            boolean centered = group.flag("centered");
            boolean maximize = group.flag("maximize");
            for (Tensor p : group.params()) {
                Tensor grad = contiguousGrad(p);
                if (grad == null) {
                    continue;
                }
                int n = p.numel();
                ParamState s = state(p);
                // Created in PyTorch's order; every buffer starts at zero, so there is no first-step case.
                float[] squareAvg = s.buffer("square_avg", n, 0f);
                float[] buf = momentum > 0 ? s.buffer("momentum_buffer", n, 0f) : null;
                float[] gradAvg = centered ? s.buffer("grad_avg", n, 0f) : null;
                s.incrementStep();
                Optimizers.rmsprop(n, p.array(), p.arrayOffset(), grad.array(), grad.arrayOffset(), squareAvg, 0,
                        gradAvg, 0, buf, 0, lr, alpha, eps, weightDecay, momentum, centered, maximize);
            }
        }
    }
}
