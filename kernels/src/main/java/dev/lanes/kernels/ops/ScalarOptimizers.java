package dev.lanes.kernels.ops;

/**
 * Scalar twins of {@link VectorOptimizers}: the optimizer updates written plainly, one element at a time.
 *
 * <p>They compute in float, with the same IEEE operations in the same order as PyTorch's CPU kernels (and so
 * as the vector versions): {@code a.add(b, alpha=s)} and {@code lerp} are fused multiply-adds there
 * ({@code vec::fmadd}), so they are {@link Math#fma} here; {@code addcmul}/{@code addcdiv} are
 * {@code self + (value * t1) * t2} and {@code self + (value * t1) / t2}, unfused. Add, multiply, divide,
 * fma and square root are all correctly rounded, so the twins and the vector kernels agree bit for bit.
 * Derived scalars (bias corrections, {@code 1 - beta}, decayed learning rates) are computed in double and
 * rounded once to float, as PyTorch computes them from Python floats and rounds them when they meet a
 * float tensor; the helpers below are shared with {@link VectorOptimizers} so both see the same scalars.
 *
 * <p>No argument checks here: {@code dev.lanes.kernels.Optimizers} checks before calling.
 */
public final class ScalarOptimizers {
    private ScalarOptimizers() {}

    // ---- derived scalars, shared with VectorOptimizers ----

    /** {@code 1 - x} computed in double, rounded once (PyTorch: a Python-float expression used as a scalar). */
    static float oneMinus(double x) {
        return (float) (1.0 - x);
    }

    /** Adagrad's decayed rate {@code clr = lr / (1 + (step - 1) lrDecay)}, in double. */
    static float adagradRate(float lr, float lrDecay, long step) {
        return (float) (lr / (1.0 + (step - 1) * (double) lrDecay));
    }

    /** Adam's {@code step_size = lr / (1 - beta1^step)}, in double. */
    static float adamStepSize(double lr, double beta1, long step) {
        return (float) (lr / (1.0 - Math.pow(beta1, step)));
    }

    /** Adam's {@code sqrt(1 - beta2^step)}, in double. */
    static float adamBiasCorrection2Sqrt(double beta2, long step) {
        return (float) Math.sqrt(1.0 - Math.pow(beta2, step));
    }

    /** AdamW's parameter factor {@code 1 - lr * weightDecay}, in double. */
    static float decoupledDecay(double lr, double weightDecay) {
        return (float) (1.0 - lr * weightDecay);
    }

    /**
     * {@code start.lerp(end, weight)} as ATen's CPU kernel computes it: {@code start + w (end - start)} when
     * {@code |w| < 0.5}, else {@code end + (w - 1)(end - start)}, each one fused multiply-add.
     */
    static float lerp(float start, float end, float weight) {
        return Math.abs(weight) < 0.5f
                ? Math.fma(weight, end - start, start)
                : Math.fma(weight - 1f, end - start, end);
    }

    // ---- the updates ----

    /** {@code torch.optim.SGD}; see {@code Optimizers.sgd}. {@code buf} is unused when {@code momentum == 0}. */
    public static void sgd(int n, float[] p, int po, float[] g, int go, float[] buf, int bo,
                           float lr, float momentum, float dampening, float weightDecay,
                           boolean nesterov, boolean maximize, boolean firstStep) {
        float negLr = -lr;
        float keep = oneMinus(dampening);
        for (int i = 0; i < n; i++) {
            float param = p[po + i];
            float d = maximize ? -g[go + i] : g[go + i];
            if (weightDecay != 0) {
                d = Math.fma(param, weightDecay, d);
            }
            if (momentum != 0) {
                // First step: PyTorch clones the gradient into the buffer, no dampening.
                float b = firstStep ? d : Math.fma(d, keep, buf[bo + i] * momentum);
                buf[bo + i] = b;
                d = nesterov ? Math.fma(b, momentum, d) : b;
            }
            p[po + i] = Math.fma(d, negLr, param);
        }
    }

    /** {@code torch.optim.Adagrad}; see {@code Optimizers.adagrad}. */
    public static void adagrad(int n, float[] p, int po, float[] g, int go, float[] sum, int so,
                               float lr, float lrDecay, float weightDecay, float eps, long step, boolean maximize) {
        float negRate = -adagradRate(lr, lrDecay, step);
        for (int i = 0; i < n; i++) {
            float param = p[po + i];
            float d = maximize ? -g[go + i] : g[go + i];
            if (weightDecay != 0) {
                d = Math.fma(param, weightDecay, d);
            }
            float s = sum[so + i] + d * d;
            sum[so + i] = s;
            float std = (float) Math.sqrt(s) + eps;
            p[po + i] = param + negRate * d / std;
        }
    }

    /**
     * {@code torch.optim.RMSprop}; see {@code Optimizers.rmsprop}. {@code ga} is used only when
     * {@code centered}, {@code buf} only when {@code momentum > 0}.
     */
    public static void rmsprop(int n, float[] p, int po, float[] g, int go, float[] sq, int sqo,
                               float[] ga, int gao, float[] buf, int bo,
                               double lr, double alphaD, float eps, float weightDecay, float momentum,
                               boolean centered, boolean maximize) {
        // Hyper-parameters arrive as doubles (Python floats in PyTorch); derived ones are computed in double
        // and every one is rounded to float once, as PyTorch's scalar arguments are.
        float alpha = (float) alphaD;
        float rest = oneMinus(alphaD);
        float negLr = (float) -lr;
        for (int i = 0; i < n; i++) {
            float param = p[po + i];
            float d = maximize ? -g[go + i] : g[go + i];
            if (weightDecay != 0) {
                d = Math.fma(param, weightDecay, d);
            }
            float s = sq[sqo + i] * alpha + rest * d * d;
            sq[sqo + i] = s;
            float avg;
            if (centered) {
                float a = lerp(ga[gao + i], d, rest);
                ga[gao + i] = a;
                avg = (float) Math.sqrt(s - a * a) + eps;
            } else {
                avg = (float) Math.sqrt(s) + eps;
            }
            if (momentum > 0) {
                float b = buf[bo + i] * momentum + d / avg;
                buf[bo + i] = b;
                p[po + i] = Math.fma(b, negLr, param);
            } else {
                p[po + i] = param + negLr * d / avg;
            }
        }
    }

    /**
     * {@code torch.optim.Adam} ({@code decoupled == false}) and {@code torch.optim.AdamW} ({@code true}); see
     * {@code Optimizers.adam}. {@code vmax} is used only when {@code amsgrad}.
     */
    public static void adam(int n, float[] p, int po, float[] g, int go, float[] m, int mo, float[] v, int vo,
                            float[] vmax, int xo, double lr, double beta1, double beta2D, float eps, double weightDecayD,
                            boolean decoupled, boolean amsgrad, boolean maximize, long step) {
        float beta2 = (float) beta2D, weightDecay = (float) weightDecayD;
        float decay = decoupledDecay(lr, weightDecayD);
        float w1 = oneMinus(beta1);
        float w2 = oneMinus(beta2D);
        float negStep = -adamStepSize(lr, beta1, step);
        float bc2Sqrt = adamBiasCorrection2Sqrt(beta2D, step);
        for (int i = 0; i < n; i++) {
            float param = p[po + i];
            float d = maximize ? -g[go + i] : g[go + i];
            if (weightDecay != 0) {
                if (decoupled) {
                    param *= decay;
                } else {
                    d = Math.fma(param, weightDecay, d);
                }
            }
            float mi = lerp(m[mo + i], d, w1);
            m[mo + i] = mi;
            float vi = v[vo + i] * beta2 + w2 * d * d;
            v[vo + i] = vi;
            if (amsgrad) {
                vi = Math.max(vmax[xo + i], vi); // NaN propagates, as torch.maximum
                vmax[xo + i] = vi;
            }
            float denom = (float) Math.sqrt(vi) / bc2Sqrt + eps;
            p[po + i] = param + negStep * mi / denom;
        }
    }
}
