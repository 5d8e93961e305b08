package dev.lanes.nn.optim;

import dev.lanes.kernels.Elementwise;
import dev.lanes.nn.GradMode;
import dev.lanes.nn.Tensor;
import java.util.List;

/**
 * A test-only optimizer: plain gradient descent {@code p -= lr * grad}, with either a {@code "momentum"}
 * option (like SGD) or {@code "beta1"}/{@code "beta2"} (like Adam) so schedulers that cycle momentum can be
 * tested. The options are only stored; the update ignores them. The real optimizers live elsewhere.
 */
public final class TestSgd extends Optimizer {
    /** An optimizer with default lr {@code lr} and one group holding {@code params}. */
    public TestSgd(List<Tensor> params, double lr) {
        this(lr, false);
        addParamGroup(ParamGroup.of(params));
    }

    /** An optimizer with no groups yet; {@code betas} chooses beta1/beta2 (0.9, 0.999) over momentum (0.9). */
    public TestSgd(double lr, boolean betas) {
        defineOption("lr", lr, 0, Double.POSITIVE_INFINITY);
        if (betas) {
            defineOption("beta1", 0.9, 0, 1);
            defineOption("beta2", 0.999, 0, 1);
        } else {
            defineOption("momentum", 0.9, 0, 1);
        }
    }

    /** Two groups of one small parameter each, with learning rates {@code lrs[0]} and {@code lrs[1]}. */
    public static TestSgd twoGroups(boolean betas, double... lrs) {
        TestSgd opt = new TestSgd(1e-3, betas);
        for (double lr : lrs) {
            opt.addParamGroup(ParamGroup.of(List.of(Tensor.zeros(2).requiresGrad(true))).lr(lr));
        }
        return opt;
    }

    @Override
    protected String name() {
        return "TestSgd";
    }

    @Override
    public void step() {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            for (ParamGroup g : paramGroups()) {
                float lr = (float) g.lr();
                for (Tensor p : g.params()) {
                    Tensor grad = p.grad();
                    if (grad == null) {
                        continue;
                    }
                    Tensor gc = grad.contiguous();
                    Elementwise.axpy(p.numel(), -lr, gc.array(), gc.arrayOffset(), p.array(), p.arrayOffset());
                }
            }
        }
    }
}
