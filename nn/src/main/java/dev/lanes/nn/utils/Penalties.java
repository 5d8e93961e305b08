package dev.lanes.nn.utils;

import dev.lanes.nn.Tensor;
import java.util.List;

/**
 * L1 and L2 regularisation terms to add to a loss; both are differentiable scalars, so {@code backward()}
 * puts their gradients into the parameters' {@code grad} with the data term's.
 *
 * <pre>{@code
 * List<Tensor> weights = List.of(fc1.weight(), fc2.weight());   // usually weights only, not biases
 * Tensor loss = criterion.forward(out, y).add(Penalties.l2(weights).mul(lambda));
 * }</pre>
 *
 * <p>Factor convention: {@link #l2} is {@code sum w^2} with no {@code 1/2}, so its gradient is {@code 2w}.
 * Coupled weight decay, SGD's {@code weight_decay = wd} (which adds {@code wd * w} to the gradient), is the
 * gradient of {@code (wd / 2) * sum w^2}: {@code loss + (wd / 2) * l2(params)} with plain SGD takes the same
 * steps as SGD with {@code weight_decay = wd}. (AdamW's decoupled decay is not a penalty: it shrinks the
 * weights outside the adaptive scaling, and no loss term gives the same steps.)
 */
public final class Penalties {
    private Penalties() {}

    /** {@code sum |w|} over every element of every tensor (a 0-d tensor; 0 for an empty list). Its gradient is {@code sign(w)}, 0 at 0. */
    public static Tensor l1(List<Tensor> params) {
        Tensor sum = null;
        for (Tensor p : check("Penalties.l1", params)) {
            Tensor term = p.abs().sum();
            sum = sum == null ? term : sum.add(term);
        }
        return sum == null ? Tensor.scalar(0f) : sum;
    }

    /** {@code sum w^2} over every element of every tensor (a 0-d tensor; 0 for an empty list). Its gradient is {@code 2w}. */
    public static Tensor l2(List<Tensor> params) {
        Tensor sum = null;
        for (Tensor p : check("Penalties.l2", params)) {
            Tensor term = p.mul(p).sum();
            sum = sum == null ? term : sum.add(term);
        }
        return sum == null ? Tensor.scalar(0f) : sum;
    }

    private static List<Tensor> check(String routine, List<Tensor> params) {
        if (params == null) {
            throw new IllegalArgumentException(routine + ": params is null");
        }
        for (int i = 0; i < params.size(); i++) {
            if (params.get(i) == null) {
                throw new IllegalArgumentException(routine + ": parameter " + i + " is null");
            }
        }
        return params;
    }
}
