package dev.lanes.kernels;

import dev.lanes.kernels.internal.Checks;
import dev.lanes.kernels.internal.Chunks;
import dev.lanes.kernels.internal.KernelProvider;
import dev.lanes.kernels.ops.ScalarOptimizers;
import dev.lanes.kernels.ops.VectorOptimizers;

/**
 * Fused optimizer updates with the definitions of PyTorch 2.x's {@code torch.optim} (the single-tensor path,
 * which is what PyTorch runs for CPU tensors): each call updates one span of parameters in place, with its
 * gradient and its optimizer state, in one pass over memory.
 *
 * <p>Every method reads {@code grad[gOff .. gOff+n)} and updates {@code param[pOff .. pOff+n)} and each state
 * array from its own offset. The regions must not overlap one another. Hyper-parameters are passed on every
 * call; the caller (an nn-level optimizer) keeps the step count, the state arrays, and decides which step is
 * the first. Large spans run on the {@link Threads} pool in fixed chunks; the updates are element-wise, so the
 * results do not depend on the thread count. Arguments are checked before anything is written; a bad one
 * throws {@link IllegalArgumentException} naming it, and leaves every array untouched.
 *
 * <p><b>Arithmetic.</b> All element arithmetic is in float, operation for operation as PyTorch's CPU kernels
 * ({@code add(alpha=)} and {@code lerp} are fused multiply-adds there, {@code addcmul}/{@code addcdiv} are not),
 * and the vector kernels match their scalar twins bit for bit. Against PyTorch, SGD matches to the bit; the
 * others differ by a few ulps because PyTorch's CPU {@code sqrt} (MKL) is not correctly rounded (one ulp off
 * on ~15% of floats) and Lanes' is. Where a momentum buffer nearly cancels ({@code momentum * buf + g / avg})
 * that ulp is large relative to the result, though not to the terms. Scalars derived from the
 * hyper-parameters ({@code 1 - beta}, bias corrections, decayed rates) are computed in double and rounded
 * once, as PyTorch computes them from Python floats. For that, Adam's, AdamW's and RMSprop's hyper-parameters
 * are doubles: given the double {@code 0.999}, {@code 1 - beta2} is PyTorch's {@code (float) 0.001}; given
 * {@code 0.999f} it would be 1.3e-5 relative away. (SGD's and Adagrad's are floats: their defaults, 0 and
 * 1e-10, are exact either way.)
 *
 * <p><b>Validation</b> follows PyTorch's constructors ({@code 0.0 <= lr}, {@code 0.0 <= eps}, betas in
 * {@code [0, 1)}, ...) and in addition rejects NaN and infinite hyper-parameters; RMSprop's {@code alpha} must
 * also be at most 1 (PyTorch accepts larger values, which make the squared average negative). Non-finite
 * gradients are not checked: they propagate into the parameters and state exactly as in PyTorch (an optimizer
 * that skips such steps, like {@code GradScaler}, must check before calling).
 */
public final class Optimizers {
    private static final boolean VECTOR = KernelProvider.get().vectorized();

    private Optimizers() {}

    /**
     * One step of {@code torch.optim.SGD} ({@code torch/optim/sgd.py}, {@code _single_tensor_sgd}):
     * <pre>
     *   g = (maximize ? -grad : grad) + weightDecay * param          (skipped when weightDecay == 0)
     *   if momentum != 0:
     *       buf = firstStep ? g : momentum * buf + (1 - dampening) * g
     *       g   = nesterov ? g + momentum * buf : buf
     *   param = param - lr * g
     * </pre>
     * On the first step PyTorch's buffer does not exist yet and becomes a copy of {@code g}, without dampening:
     * pass {@code firstStep = true} then; {@code momentumBuffer}'s old contents are ignored and overwritten.
     *
     * @param momentumBuffer the momentum buffer, updated in place; may be null only when {@code momentum == 0}
     * @param lr learning rate, {@code >= 0}
     * @param momentum momentum factor, {@code >= 0}
     * @param dampening dampening for momentum, any finite value (PyTorch does not restrict it)
     * @param weightDecay L2 penalty, {@code >= 0}
     * @param nesterov Nesterov momentum; requires {@code momentum > 0} and {@code dampening == 0}, as PyTorch
     * @param maximize maximize the objective instead of minimizing it
     * @param firstStep whether this is the first step for this momentum buffer
     */
    public static void sgd(int n, float[] param, int pOff, float[] grad, int gOff, float[] momentumBuffer, int mOff,
                           float lr, float momentum, float dampening, float weightDecay,
                           boolean nesterov, boolean maximize, boolean firstStep) {
        String routine = "Optimizers.sgd";
        checkParamAndGrad(routine, n, param, pOff, grad, gOff);
        nonNegative(routine, "momentum", momentum);
        if (momentum != 0) {
            required(routine, "momentumBuffer", momentumBuffer, "momentum != 0");
        }
        Checks.optionalSpan(routine, "momentumBuffer", momentumBuffer, mOff, n);
        nonNegative(routine, "lr", lr);
        Checks.finite(routine, "dampening", dampening);
        nonNegative(routine, "weightDecay", weightDecay);
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException(routine + ": Nesterov momentum requires a momentum and zero dampening"
                    + " (momentum = " + momentum + ", dampening = " + dampening + ")");
        }
        Chunks.elements(n, (from, to) -> {
            if (VECTOR) {
                VectorOptimizers.sgd(to - from, param, pOff + from, grad, gOff + from, momentumBuffer, mOff + from,
                        lr, momentum, dampening, weightDecay, nesterov, maximize, firstStep);
            } else {
                ScalarOptimizers.sgd(to - from, param, pOff + from, grad, gOff + from, momentumBuffer, mOff + from,
                        lr, momentum, dampening, weightDecay, nesterov, maximize, firstStep);
            }
        });
    }

    /**
     * One step of {@code torch.optim.Adagrad} ({@code torch/optim/adagrad.py}, {@code _single_tensor_adagrad},
     * dense gradients):
     * <pre>
     *   g     = (maximize ? -grad : grad) + weightDecay * param       (skipped when weightDecay == 0)
     *   clr   = lr / (1 + (step - 1) * lrDecay)                        (double, once per call)
     *   sum   = sum + g * g
     *   param = param - clr * g / (sqrt(sum) + eps)
     * </pre>
     * PyTorch starts {@code sum} at {@code initial_accumulator_value} (default 0): the caller fills it.
     *
     * @param stateSum the running sum of squared gradients, updated in place
     * @param lr learning rate, {@code >= 0}
     * @param lrDecay learning-rate decay, {@code >= 0}
     * @param weightDecay L2 penalty, {@code >= 0}
     * @param eps added to the root for stability, {@code >= 0} (PyTorch's default 1e-10)
     * @param step the step number counting this one, {@code >= 1}
     */
    public static void adagrad(int n, float[] param, int pOff, float[] grad, int gOff, float[] stateSum, int sOff,
                               float lr, float lrDecay, float weightDecay, float eps, long step, boolean maximize) {
        String routine = "Optimizers.adagrad";
        checkParamAndGrad(routine, n, param, pOff, grad, gOff);
        Checks.span(routine, "stateSum", stateSum, sOff, n);
        nonNegative(routine, "lr", lr);
        nonNegative(routine, "lrDecay", lrDecay);
        nonNegative(routine, "weightDecay", weightDecay);
        nonNegative(routine, "eps", eps);
        checkStep(routine, step);
        Chunks.elements(n, (from, to) -> {
            if (VECTOR) {
                VectorOptimizers.adagrad(to - from, param, pOff + from, grad, gOff + from, stateSum, sOff + from,
                        lr, lrDecay, weightDecay, eps, step, maximize);
            } else {
                ScalarOptimizers.adagrad(to - from, param, pOff + from, grad, gOff + from, stateSum, sOff + from,
                        lr, lrDecay, weightDecay, eps, step, maximize);
            }
        });
    }

    /**
     * One step of {@code torch.optim.RMSprop} ({@code torch/optim/rmsprop.py}, {@code _single_tensor_rmsprop}):
     * <pre>
     *   g  = (maximize ? -grad : grad) + weightDecay * param          (skipped when weightDecay == 0)
     *   sq = alpha * sq + (1 - alpha) * g * g
     *   if centered: ga = ga.lerp(g, 1 - alpha); avg = sqrt(sq - ga * ga) + eps
     *   else:        avg = sqrt(sq) + eps
     *   if momentum > 0: buf = momentum * buf + g / avg; param = param - lr * buf
     *   else:            param = param - lr * g / avg
     * </pre>
     * PyTorch starts every state array at zeros, so there is no first-step case. With {@code centered},
     * {@code sq - ga * ga} can round below zero and give NaN, as in PyTorch.
     *
     * @param squareAvg the running average of squared gradients, updated in place
     * @param gradAvg the running average of gradients, updated in place; may be null unless {@code centered}
     * @param momentumBuffer updated in place; may be null unless {@code momentum > 0}
     * @param lr learning rate, {@code >= 0}
     * @param alpha smoothing constant, in {@code [0, 1]}
     * @param eps added to the root for stability, {@code >= 0}
     * @param weightDecay L2 penalty, {@code >= 0}
     * @param momentum momentum factor, {@code >= 0}
     */
    public static void rmsprop(int n, float[] param, int pOff, float[] grad, int gOff, float[] squareAvg, int sqOff,
                               float[] gradAvg, int gaOff, float[] momentumBuffer, int mOff,
                               double lr, double alpha, float eps, float weightDecay, float momentum,
                               boolean centered, boolean maximize) {
        String routine = "Optimizers.rmsprop";
        checkParamAndGrad(routine, n, param, pOff, grad, gOff);
        Checks.span(routine, "squareAvg", squareAvg, sqOff, n);
        nonNegative(routine, "momentum", momentum);
        if (centered) {
            required(routine, "gradAvg", gradAvg, "centered");
        }
        if (momentum > 0) {
            required(routine, "momentumBuffer", momentumBuffer, "momentum > 0");
        }
        Checks.optionalSpan(routine, "gradAvg", gradAvg, gaOff, n);
        Checks.optionalSpan(routine, "momentumBuffer", momentumBuffer, mOff, n);
        nonNegative(routine, "lr", lr);
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException(routine + ": alpha = " + alpha + " must be in [0, 1]");
        }
        nonNegative(routine, "eps", eps);
        nonNegative(routine, "weightDecay", weightDecay);
        Chunks.elements(n, (from, to) -> {
            if (VECTOR) {
                VectorOptimizers.rmsprop(to - from, param, pOff + from, grad, gOff + from, squareAvg, sqOff + from,
                        gradAvg, gaOff + from, momentumBuffer, mOff + from,
                        lr, alpha, eps, weightDecay, momentum, centered, maximize);
            } else {
                ScalarOptimizers.rmsprop(to - from, param, pOff + from, grad, gOff + from, squareAvg, sqOff + from,
                        gradAvg, gaOff + from, momentumBuffer, mOff + from,
                        lr, alpha, eps, weightDecay, momentum, centered, maximize);
            }
        });
    }

    /**
     * One step of {@code torch.optim.Adam} ({@code decoupledWeightDecay = false}) or {@code torch.optim.AdamW}
     * ({@code true}) ({@code torch/optim/adam.py}, {@code _single_tensor_adam}, not capturable):
     * <pre>
     *   g = maximize ? -grad : grad
     *   if weightDecay != 0:
     *       decoupled (AdamW): param = param * (1 - lr * weightDecay)
     *       coupled (Adam):    g = g + weightDecay * param
     *   m = m.lerp(g, 1 - beta1)                       (= beta1 * m + (1 - beta1) * g)
     *   v = beta2 * v + (1 - beta2) * g * g
     *   if amsgrad: vmax = max(vmax, v); v' = vmax, else v' = v
     *   bc1 = 1 - beta1^step, bc2 = 1 - beta2^step     (double, once per call)
     *   param = param - (lr / bc1) * m / (sqrt(v') / sqrt(bc2) + eps)
     * </pre>
     * Eps is added after the square root and the bias correction. PyTorch starts {@code m}, {@code v} and
     * {@code vmax} at zeros.
     *
     * @param expAvg the first moment {@code m}, updated in place
     * @param expAvgSq the second moment {@code v}, updated in place
     * @param maxExpAvgSq the running maximum of {@code v}, updated in place; may be null unless {@code amsgrad}
     * @param lr learning rate, {@code >= 0}
     * @param beta1 first-moment decay, in {@code [0, 1)}
     * @param beta2 second-moment decay, in {@code [0, 1)}
     * @param eps added to the denominator, {@code >= 0}
     * @param weightDecay {@code >= 0}; an L2 penalty for Adam, a decoupled decay for AdamW
     * @param step the step number counting this one, {@code >= 1}
     */
    public static void adam(int n, float[] param, int pOff, float[] grad, int gOff, float[] expAvg, int mOff,
                            float[] expAvgSq, int vOff, float[] maxExpAvgSq, int maxOff,
                            double lr, double beta1, double beta2, float eps, double weightDecay,
                            boolean decoupledWeightDecay, boolean amsgrad, boolean maximize, long step) {
        adam(decoupledWeightDecay ? "Optimizers.adamW" : "Optimizers.adam", n, param, pOff, grad, gOff,
                expAvg, mOff, expAvgSq, vOff, maxExpAvgSq, maxOff, lr, beta1, beta2, eps, weightDecay,
                decoupledWeightDecay, amsgrad, maximize, step);
    }

    /**
     * One step of {@code torch.optim.AdamW}: {@link #adam} with {@code decoupledWeightDecay = true}, that is
     * {@code param *= 1 - lr * weightDecay} before the Adam update (PyTorch's default weight decay here is
     * 0.01).
     */
    public static void adamW(int n, float[] param, int pOff, float[] grad, int gOff, float[] expAvg, int mOff,
                             float[] expAvgSq, int vOff, float[] maxExpAvgSq, int maxOff,
                             double lr, double beta1, double beta2, float eps, double weightDecay,
                             boolean amsgrad, boolean maximize, long step) {
        adam("Optimizers.adamW", n, param, pOff, grad, gOff, expAvg, mOff, expAvgSq, vOff, maxExpAvgSq, maxOff,
                lr, beta1, beta2, eps, weightDecay, true, amsgrad, maximize, step);
    }

    private static void adam(String routine, int n, float[] param, int pOff, float[] grad, int gOff,
                             float[] expAvg, int mOff, float[] expAvgSq, int vOff, float[] maxExpAvgSq, int maxOff,
                             double lr, double beta1, double beta2, float eps, double weightDecay,
                             boolean decoupled, boolean amsgrad, boolean maximize, long step) {
        checkParamAndGrad(routine, n, param, pOff, grad, gOff);
        Checks.span(routine, "expAvg", expAvg, mOff, n);
        Checks.span(routine, "expAvgSq", expAvgSq, vOff, n);
        if (amsgrad) {
            required(routine, "maxExpAvgSq", maxExpAvgSq, "amsgrad");
        }
        Checks.optionalSpan(routine, "maxExpAvgSq", maxExpAvgSq, maxOff, n);
        nonNegative(routine, "lr", lr);
        beta(routine, "beta1", beta1);
        beta(routine, "beta2", beta2);
        nonNegative(routine, "eps", eps);
        nonNegative(routine, "weightDecay", weightDecay);
        checkStep(routine, step);
        Chunks.elements(n, (from, to) -> {
            if (VECTOR) {
                VectorOptimizers.adam(to - from, param, pOff + from, grad, gOff + from, expAvg, mOff + from,
                        expAvgSq, vOff + from, maxExpAvgSq, maxOff + from, lr, beta1, beta2, eps, weightDecay,
                        decoupled, amsgrad, maximize, step);
            } else {
                ScalarOptimizers.adam(to - from, param, pOff + from, grad, gOff + from, expAvg, mOff + from,
                        expAvgSq, vOff + from, maxExpAvgSq, maxOff + from, lr, beta1, beta2, eps, weightDecay,
                        decoupled, amsgrad, maximize, step);
            }
        });
    }

    private static void checkParamAndGrad(String routine, int n, float[] param, int pOff, float[] grad, int gOff) {
        Checks.nonNegative(routine, "n", n);
        Checks.span(routine, "param", param, pOff, n);
        Checks.span(routine, "grad", grad, gOff, n);
    }

    private static void required(String routine, String name, float[] array, String because) {
        if (array == null) {
            throw new IllegalArgumentException(routine + ": " + name + " is null but " + because + " needs it");
        }
    }

    /** PyTorch's {@code 0.0 <= value}, and finite. */
    private static void nonNegative(String routine, String name, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(routine + ": " + name + " = " + value + " must be >= 0 and finite");
        }
    }

    /** PyTorch's {@code 0.0 <= beta < 1.0}. */
    private static void beta(String routine, String name, double value) {
        if (!(value >= 0 && value < 1)) {
            throw new IllegalArgumentException(routine + ": " + name + " = " + value + " must be in [0, 1)");
        }
    }

    private static void checkStep(String routine, long step) {
        if (step < 1) {
            throw new IllegalArgumentException(routine + ": step = " + step + " must be >= 1 (the first step is 1)");
        }
    }
}
