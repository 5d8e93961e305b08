package dev.lanes.nn;

import java.util.Arrays;
import java.util.function.Function;

/**
 * Finite-difference gradient checking, like {@code torch.autograd.gradcheck}, usable on your own
 * functions and modules. The output is reduced to a scalar {@code L = sum(f(x) * w)} with fixed random
 * weights {@code w}; every element of every input that requires grad is nudged by {@code +-eps} and the
 * central difference of {@code L} is compared with the gradient autograd computed.
 *
 * <p>Lanes computes in float32, so the step and the tolerances are larger than PyTorch's double-precision
 * defaults: {@code eps = 1e-2}, {@code atol = 1e-2}, {@code rtol = 1e-2} suit functions with O(1) values
 * and curvature. Keep away from kinks (ReLU at 0, max ties), where differences are meaningless.
 */
public final class GradCheck {
    private GradCheck() {}

    /** The outcome: the largest absolute difference seen, and where. */
    public record Result(double maxError, String worst) {}

    /** {@link #check(Function, double, double, double, Tensor...)} with eps, atol and rtol of 1e-2. */
    public static Result check(Function<Tensor[], Tensor> f, Tensor... inputs) {
        return check(f, 1e-2, 1e-2, 1e-2, inputs);
    }

    /**
     * Checks the gradients of {@code f} with respect to each input that requires grad; throws
     * {@link AssertionError} naming the first element whose gradients disagree by more than
     * {@code atol + rtol * |numerical|}. The inputs' values are restored and their {@code grad} cleared.
     */
    public static Result check(Function<Tensor[], Tensor> f, double eps, double atol, double rtol, Tensor... inputs) {
        for (Tensor in : inputs) {
            in.zeroGrad();
        }
        Tensor out = f.apply(inputs);
        Generator g = new Generator(1234);
        Tensor w = Tensor.randn(g, out.shape());
        out.mul(w).sum().backward();
        Tensor[] analytic = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            analytic[i] = inputs[i].grad();
            inputs[i].zeroGrad();
        }
        double worstError = 0;
        String worst = "no elements";
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            for (int i = 0; i < inputs.length; i++) {
                Tensor in = inputs[i];
                if (!in.requiresGrad()) {
                    continue;
                }
                float[] grad = analytic[i] == null ? new float[in.numel()] : analytic[i].toArray();
                int[] index = new int[in.dim()];
                for (int e = 0; e < in.numel(); e++) {
                    int p = in.positionOf(index);
                    float original = in.data[p];
                    in.data[p] = (float) (original + eps);
                    double plus = weightedSum(f, inputs, w);
                    float up = in.data[p];
                    in.data[p] = (float) (original - eps);
                    double minus = weightedSum(f, inputs, w);
                    float down = in.data[p];
                    in.data[p] = original;
                    double numerical = (plus - minus) / ((double) up - down);
                    double error = Math.abs(numerical - grad[e]);
                    String where = "input " + i + " at " + Arrays.toString(index) + ": autograd " + grad[e]
                            + ", finite difference " + numerical;
                    if (error > worstError) {
                        worstError = error;
                        worst = where;
                    }
                    if (error > atol + rtol * Math.abs(numerical)) {
                        throw new AssertionError("gradcheck failed for " + where);
                    }
                    advance(index, in.shape());
                }
            }
        }
        return new Result(worstError, worst);
    }

    private static double weightedSum(Function<Tensor[], Tensor> f, Tensor[] inputs, Tensor w) {
        float[] out = f.apply(inputs).toArray();
        float[] weights = w.toArray();
        double s = 0;
        for (int i = 0; i < out.length; i++) {
            s += (double) out[i] * weights[i];
        }
        return s;
    }

    private static void advance(int[] index, int[] shape) {
        for (int d = index.length - 1; d >= 0; d--) {
            if (++index[d] < shape[d]) {
                return;
            }
            index[d] = 0;
        }
    }
}
