package dev.lanes.nn.optim;

import dev.lanes.kernels.Optimizers;
import dev.lanes.nn.Tensor;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Stochastic gradient descent with momentum, dampening, Nesterov momentum (NAG), weight decay and maximize,
 * as {@code torch.optim.SGD}:
 * <pre>
 *   g = (maximize ? -grad : grad) + weight_decay * param
 *   if momentum != 0:
 *       buf = (first step) ? g : momentum * buf + (1 - dampening) * g
 *       g   = nesterov ? g + momentum * buf : buf
 *   param -= lr * g
 * </pre>
 * Options and defaults as PyTorch's: {@code lr} 1e-3, {@code momentum} 0, {@code dampening} 0,
 * {@code weight_decay} 0, {@code nesterov} false, {@code maximize} false. Nesterov requires a momentum and
 * zero dampening; that is checked for every group before a step changes anything. State per parameter:
 * {@code momentum_buffer}, only when momentum is non-zero (no step count, as PyTorch). Results match
 * PyTorch's CPU implementation bit for bit.
 *
 * <pre>{@code
 * var opt = new SGD(model.parameters(), 0.1).momentum(0.9).nesterov(true).weightDecay(5e-4);
 * }</pre>
 */
public final class SGD extends Optimizer {
    /** SGD over {@code params} with PyTorch's default learning rate, 1e-3. */
    public SGD(List<Tensor> params) {
        this(params, 1e-3);
    }

    /** SGD over {@code params} with learning rate {@code lr}. */
    public SGD(List<Tensor> params, double lr) {
        defineOption("lr", "learning rate", 1e-3, 0, Double.POSITIVE_INFINITY, false);
        defineOption("momentum", "momentum value", 0, 0, Double.POSITIVE_INFINITY, false);
        defineOption("dampening", "dampening value", 0, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, false);
        defineOption("weight_decay", "weight_decay value", 0, 0, Double.POSITIVE_INFINITY, false);
        defineFlag("nesterov", false);
        defineFlag("maximize", false);
        setDefault("lr", lr);
        addParamGroup(ParamGroup.of(params));
    }

    @Override
    protected String name() {
        return "SGD";
    }

    /** Sets the default momentum factor ({@code >= 0}). */
    public SGD momentum(double momentum) {
        setDefault("momentum", momentum);
        return this;
    }

    /** Sets the default dampening of the momentum. */
    public SGD dampening(double dampening) {
        setDefault("dampening", dampening);
        return this;
    }

    /** Sets the default L2 penalty ({@code >= 0}). */
    public SGD weightDecay(double weightDecay) {
        setDefault("weight_decay", weightDecay);
        return this;
    }

    /** Turns Nesterov momentum on or off by default (needs momentum {@code > 0} and dampening 0). */
    public SGD nesterov(boolean nesterov) {
        setDefault("nesterov", nesterov ? 1 : 0);
        return this;
    }

    /** Maximizes the objective instead of minimizing it, by default. */
    public SGD maximize(boolean maximize) {
        setDefault("maximize", maximize ? 1 : 0);
        return this;
    }

    @Override
    protected void checkGroupOptions(int group, ToDoubleFunction<String> option) {
        double momentum = option.applyAsDouble("momentum");
        double dampening = option.applyAsDouble("dampening");
        if (option.applyAsDouble("nesterov") != 0 && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("SGD: Nesterov momentum requires a momentum and zero dampening (group "
                    + group + ": momentum = " + momentum + ", dampening = " + dampening + ")");
        }
    }

    @Override
    protected List<String> stateNames() {
        return List.of("momentum_buffer");
    }

    @Override
    public void step() {
        checkGroups();
        for (ParamGroup group : paramGroups()) {
            float lr = (float) group.lr();
            float momentum = (float) group.get("momentum");
            float dampening = (float) group.get("dampening");
            float weightDecay = (float) group.get("weight_decay");
            boolean nesterov = group.flag("nesterov");
            boolean maximize = group.flag("maximize");
            for (Tensor p : group.params()) {
                Tensor grad = contiguousGrad(p);
                if (grad == null) {
                    continue;
                }
                int n = p.numel();
                float[] buf = null;
                boolean first = false;
                if (momentum != 0) {
                    // PyTorch keeps no state without momentum; with it, the first step clones g into the buffer.
                    ParamState s = state(p);
                    buf = s.buffer("momentum_buffer");
                    if (buf == null) {
                        buf = s.buffer("momentum_buffer", n, 0f);
                        first = true;
                    }
                }
                Optimizers.sgd(n, p.array(), p.arrayOffset(), grad.array(), grad.arrayOffset(), buf, 0,
                        lr, momentum, dampening, weightDecay, nesterov, maximize, first);
            }
        }
    }
}
