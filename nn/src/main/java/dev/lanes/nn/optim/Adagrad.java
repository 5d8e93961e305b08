package dev.lanes.nn.optim;

import dev.lanes.kernels.Optimizers;
import dev.lanes.nn.Tensor;
import java.util.List;

/**
 * Adagrad, as {@code torch.optim.Adagrad} (dense gradients):
 * <pre>
 *   g     = (maximize ? -grad : grad) + weight_decay * param
 *   clr   = lr / (1 + (step - 1) * lr_decay)
 *   sum  += g * g
 *   param -= clr * g / (sqrt(sum) + eps)
 * </pre>
 * Options and defaults as PyTorch's: {@code lr} 1e-2, {@code lr_decay} 0, {@code weight_decay} 0,
 * {@code initial_accumulator_value} 0, {@code eps} 1e-10, {@code maximize} false. State per parameter:
 * {@code step} and {@code sum}.
 *
 * <p>Two PyTorch details kept on purpose: {@code sum} starts at the optimizer's
 * {@code initial_accumulator_value} even when a group sets its own (PyTorch reads the constructor's value,
 * never the group's); and the state is created the first time a parameter has a gradient, where PyTorch
 * creates it in the constructor (the numbers are the same; only a state dict taken before a parameter's
 * first gradient differs: PyTorch lists it with step 0, Lanes leaves it out).
 */
public final class Adagrad extends Optimizer {
    /** Adagrad over {@code params} with PyTorch's default learning rate, 1e-2. */
    public Adagrad(List<Tensor> params) {
        this(params, 1e-2);
    }

    /** Adagrad over {@code params} with learning rate {@code lr}. */
    public Adagrad(List<Tensor> params, double lr) {
        defineOption("lr", "learning rate", 1e-2, 0, Double.POSITIVE_INFINITY, false);
        defineOption("lr_decay", "lr_decay value", 0, 0, Double.POSITIVE_INFINITY, false);
        defineOption("weight_decay", "weight_decay value", 0, 0, Double.POSITIVE_INFINITY, false);
        defineOption("initial_accumulator_value", "initial_accumulator_value value", 0, 0, Double.POSITIVE_INFINITY, false);
        defineOption("eps", "epsilon value", 1e-10, 0, Double.POSITIVE_INFINITY, false);
        defineFlag("maximize", false);
        setDefault("lr", lr);
        addParamGroup(ParamGroup.of(params));
    }

    @Override
    protected String name() {
        return "Adagrad";
    }

    /** Sets the default learning-rate decay ({@code >= 0}). */
    public Adagrad lrDecay(double lrDecay) {
        setDefault("lr_decay", lrDecay);
        return this;
    }

    /** Sets the default L2 penalty ({@code >= 0}). */
    public Adagrad weightDecay(double weightDecay) {
        setDefault("weight_decay", weightDecay);
        return this;
    }

    /** Sets the starting value of every {@code sum} ({@code >= 0}); see the class comment. */
    public Adagrad initialAccumulatorValue(double value) {
        setDefault("initial_accumulator_value", value);
        return this;
    }

    /** Sets the default term added to the root ({@code >= 0}). */
    public Adagrad eps(double eps) {
        setDefault("eps", eps);
        return this;
    }

    /** Maximizes the objective instead of minimizing it, by default. */
    public Adagrad maximize(boolean maximize) {
        setDefault("maximize", maximize ? 1 : 0);
        return this;
    }

    @Override
    protected List<String> stateNames() {
        return List.of("step", "sum");
    }

    @Override
    public void step() {
        checkGroups();
        float initial = (float) defaultOption("initial_accumulator_value");
        for (ParamGroup group : paramGroups()) {
            float lr = (float) group.lr();
            float lrDecay = (float) group.get("lr_decay");
            float weightDecay = (float) group.get("weight_decay");
            float eps = (float) group.get("eps");
            boolean maximize = group.flag("maximize");
            for (Tensor p : group.params()) {
                Tensor grad = contiguousGrad(p);
                if (grad == null) {
                    continue;
                }
                int n = p.numel();
                ParamState s = state(p);
                float[] sum = s.buffer("sum", n, initial);
                long step = s.incrementStep();
                Optimizers.adagrad(n, p.array(), p.arrayOffset(), grad.array(), grad.arrayOffset(), sum, 0,
                        lr, lrDecay, weightDecay, eps, step, maximize);
            }
        }
    }
}
