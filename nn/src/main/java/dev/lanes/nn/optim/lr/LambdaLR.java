package dev.lanes.nn.optim.lr;

import dev.lanes.nn.optim.Optimizer;
import java.util.List;
import java.util.function.IntToDoubleFunction;

/**
 * {@code torch.optim.lr_scheduler.LambdaLR}: {@code lr = initial_lr * lambda(epoch)}, with one function for
 * every group or one per group. For any schedule the others do not cover, e.g. a transformer's
 * inverse-square-root warm-up: {@code new LambdaLR(opt, e -> Math.min((e + 1) / 4000.0, Math.sqrt(4000.0 / (e + 1))))}.
 * The functions are not part of {@link #stateDict()}.
 */
public final class LambdaLR extends LRScheduler {
    private final List<IntToDoubleFunction> lambdas;

    /** One function for every group. */
    public LambdaLR(Optimizer optimizer, IntToDoubleFunction lambda) {
        if (lambda == null || optimizer == null) {
            throw new IllegalArgumentException("LambdaLR: optimizer or lr_lambda is null");
        }
        this.lambdas = java.util.Collections.nCopies(optimizer.paramGroups().size(), lambda);
        super(optimizer);
    }

    /** One function per group, in the optimizer's group order. */
    public LambdaLR(Optimizer optimizer, List<IntToDoubleFunction> lambdas) {
        if (lambdas == null || lambdas.stream().anyMatch(java.util.Objects::isNull)) {
            throw new IllegalArgumentException("LambdaLR: lr_lambdas is null or holds null");
        }
        if (optimizer == null) {
            throw new IllegalArgumentException("LambdaLR: optimizer is null");
        }
        if (lambdas.size() != optimizer.paramGroups().size()) {
            throw new IllegalArgumentException("LambdaLR: expected " + optimizer.paramGroups().size()
                    + " lr_lambdas (one per parameter group), got " + lambdas.size());
        }
        this.lambdas = List.copyOf(lambdas);
        super(optimizer);
    }

    @Override
    protected double[] computeLr() {
        double[] lrs = new double[groupCount()];
        for (int i = 0; i < lrs.length; i++) {
            lrs[i] = baseLr(i) * lambdas.get(i).applyAsDouble(lastEpoch);
        }
        return lrs;
    }
}
