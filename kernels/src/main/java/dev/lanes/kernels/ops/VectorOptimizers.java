package dev.lanes.kernels.ops;

import static dev.lanes.kernels.internal.VectorMath.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Fused optimizer updates with the Vector API: one pass that reads the parameter, the gradient and each
 * state array once and writes each updated array once. Each loop runs whole vectors, then one masked vector
 * for the tail, so every element goes through the same arithmetic whatever its position. Twins:
 * {@link ScalarOptimizers}, which documents the arithmetic (float, PyTorch's CPU operation order); the two
 * agree bit for bit.
 *
 * <p>Options never cost a branch per element. Those that change which arrays are touched (momentum, centered,
 * AMSGrad, SGD's first step) select a specialised loop; the others are folded exactly: {@code maximize} is
 * a multiplication by -1, coupled weight decay off is a blend with an all-lanes mask chosen before the loop
 * (not {@code + 0 * param}, which would turn an infinite parameter into NaN), AdamW's decay off is a factor
 * of exactly 1, and the form of {@code lerp} is a blend with an all-lanes mask.
 */
public final class VectorOptimizers {
    private static final int V = S.length();

    private VectorOptimizers() {}

    // ---- SGD ----

    /** See {@link ScalarOptimizers#sgd}. */
    public static void sgd(int n, float[] p, int po, float[] g, int go, float[] buf, int bo,
                           float lr, float momentum, float dampening, float weightDecay,
                           boolean nesterov, boolean maximize, boolean firstStep) {
        float sign = maximize ? -1f : 1f;
        float negLr = -lr;
        boolean noDecay = weightDecay == 0;
        if (momentum == 0) {
            sgdPlain(n, p, po, g, go, sign, weightDecay, noDecay, negLr);
        } else if (firstStep) {
            sgdFirst(n, p, po, g, go, buf, bo, sign, weightDecay, noDecay, momentum, !nesterov, negLr);
        } else {
            sgdMomentum(n, p, po, g, go, buf, bo, sign, weightDecay, noDecay, momentum,
                    ScalarOptimizers.oneMinus(dampening), !nesterov, negLr);
        }
    }

    private static void sgdPlain(int n, float[] p, int po, float[] g, int go,
                                 float sign, float wd, boolean noDecay, float negLr) {
        VectorMask<Float> keepGrad = S.maskAll(noDecay);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector pv = FloatVector.fromArray(S, p, po + i);
            FloatVector d = grad(FloatVector.fromArray(S, g, go + i), pv, sign, wd, keepGrad);
            fma(d, negLr, pv).intoArray(p, po + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector pv = FloatVector.fromArray(S, p, po + i, m);
            FloatVector d = grad(FloatVector.fromArray(S, g, go + i, m), pv, sign, wd, keepGrad);
            fma(d, negLr, pv).intoArray(p, po + i, m);
        }
    }

    /** PyTorch's first momentum step: the buffer becomes a copy of the gradient, no dampening. */
    private static void sgdFirst(int n, float[] p, int po, float[] g, int go, float[] buf, int bo,
                                 float sign, float wd, boolean noDecay, float momentum, boolean plain, float negLr) {
        VectorMask<Float> keepGrad = S.maskAll(noDecay);
        VectorMask<Float> notNesterov = S.maskAll(plain);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector pv = FloatVector.fromArray(S, p, po + i);
            FloatVector d = grad(FloatVector.fromArray(S, g, go + i), pv, sign, wd, keepGrad);
            d.intoArray(buf, bo + i);
            fma(nesterov(d, d, momentum, notNesterov), negLr, pv).intoArray(p, po + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector pv = FloatVector.fromArray(S, p, po + i, m);
            FloatVector d = grad(FloatVector.fromArray(S, g, go + i, m), pv, sign, wd, keepGrad);
            d.intoArray(buf, bo + i, m);
            fma(nesterov(d, d, momentum, notNesterov), negLr, pv).intoArray(p, po + i, m);
        }
    }

    private static void sgdMomentum(int n, float[] p, int po, float[] g, int go, float[] buf, int bo,
                                    float sign, float wd, boolean noDecay, float momentum, float keep,
                                    boolean plain, float negLr) {
        VectorMask<Float> keepGrad = S.maskAll(noDecay);
        VectorMask<Float> notNesterov = S.maskAll(plain);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector pv = FloatVector.fromArray(S, p, po + i);
            FloatVector d = grad(FloatVector.fromArray(S, g, go + i), pv, sign, wd, keepGrad);
            FloatVector b = fma(d, keep, FloatVector.fromArray(S, buf, bo + i).mul(momentum));
            b.intoArray(buf, bo + i);
            fma(nesterov(b, d, momentum, notNesterov), negLr, pv).intoArray(p, po + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector pv = FloatVector.fromArray(S, p, po + i, m);
            FloatVector d = grad(FloatVector.fromArray(S, g, go + i, m), pv, sign, wd, keepGrad);
            FloatVector b = fma(d, keep, FloatVector.fromArray(S, buf, bo + i, m).mul(momentum));
            b.intoArray(buf, bo + i, m);
            fma(nesterov(b, d, momentum, notNesterov), negLr, pv).intoArray(p, po + i, m);
        }
    }

    /** The step direction: {@code d + momentum * buf} (Nesterov) or {@code buf}. */
    private static FloatVector nesterov(FloatVector b, FloatVector d, float momentum, VectorMask<Float> notNesterov) {
        return fma(b, momentum, d).blend(b, notNesterov);
    }

    // ---- Adagrad ----

    /** See {@link ScalarOptimizers#adagrad}. */
    public static void adagrad(int n, float[] p, int po, float[] g, int go, float[] sum, int so,
                               float lr, float lrDecay, float weightDecay, float eps, long step, boolean maximize) {
        float sign = maximize ? -1f : 1f;
        float negRate = -ScalarOptimizers.adagradRate(lr, lrDecay, step);
        VectorMask<Float> keepGrad = S.maskAll(weightDecay == 0);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector pv = FloatVector.fromArray(S, p, po + i);
            FloatVector d = grad(FloatVector.fromArray(S, g, go + i), pv, sign, weightDecay, keepGrad);
            FloatVector s = FloatVector.fromArray(S, sum, so + i).add(d.mul(d));
            s.intoArray(sum, so + i);
            addcdiv(pv, negRate, d, sqrtPlus(s, eps)).intoArray(p, po + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector pv = FloatVector.fromArray(S, p, po + i, m);
            FloatVector d = grad(FloatVector.fromArray(S, g, go + i, m), pv, sign, weightDecay, keepGrad);
            FloatVector s = FloatVector.fromArray(S, sum, so + i, m).add(d.mul(d));
            s.intoArray(sum, so + i, m);
            addcdiv(pv, negRate, d, sqrtPlus(s, eps)).intoArray(p, po + i, m);
        }
    }

    // ---- RMSprop ----

    /** See {@link ScalarOptimizers#rmsprop}. */
    public static void rmsprop(int n, float[] p, int po, float[] g, int go, float[] sq, int sqo,
                               float[] ga, int gao, float[] buf, int bo,
                               double lr, double alphaD, float eps, float weightDecay, float momentum,
                               boolean centered, boolean maximize) {
        float sign = maximize ? -1f : 1f;
        float alpha = (float) alphaD, negLr = (float) -lr;
        float rest = ScalarOptimizers.oneMinus(alphaD);
        boolean noDecay = weightDecay == 0;
        if (centered && momentum > 0) {
            rmspropCenteredMomentum(n, p, po, g, go, sq, sqo, ga, gao, buf, bo, sign, weightDecay, noDecay,
                    alpha, rest, eps, momentum, negLr);
        } else if (centered) {
            rmspropCentered(n, p, po, g, go, sq, sqo, ga, gao, sign, weightDecay, noDecay, alpha, rest, eps, negLr);
        } else if (momentum > 0) {
            rmspropMomentum(n, p, po, g, go, sq, sqo, buf, bo, sign, weightDecay, noDecay, alpha, rest, eps,
                    momentum, negLr);
        } else {
            rmspropPlain(n, p, po, g, go, sq, sqo, sign, weightDecay, noDecay, alpha, rest, eps, negLr);
        }
    }

    private static void rmspropPlain(int n, float[] p, int po, float[] g, int go, float[] sq, int sqo,
                                     float sign, float wd, boolean noDecay, float alpha, float rest, float eps,
                                     float negLr) {
        VectorMask<Float> keepGrad = S.maskAll(noDecay);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector pv = FloatVector.fromArray(S, p, po + i);
            FloatVector d = grad(FloatVector.fromArray(S, g, go + i), pv, sign, wd, keepGrad);
            FloatVector s = ema2(FloatVector.fromArray(S, sq, sqo + i), d, alpha, rest);
            s.intoArray(sq, sqo + i);
            addcdiv(pv, negLr, d, sqrtPlus(s, eps)).intoArray(p, po + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector pv = FloatVector.fromArray(S, p, po + i, m);
            FloatVector d = grad(FloatVector.fromArray(S, g, go + i, m), pv, sign, wd, keepGrad);
            FloatVector s = ema2(FloatVector.fromArray(S, sq, sqo + i, m), d, alpha, rest);
            s.intoArray(sq, sqo + i, m);
            addcdiv(pv, negLr, d, sqrtPlus(s, eps)).intoArray(p, po + i, m);
        }
    }

    private static void rmspropMomentum(int n, float[] p, int po, float[] g, int go, float[] sq, int sqo,
                                        float[] buf, int bo, float sign, float wd, boolean noDecay, float alpha,
                                        float rest, float eps, float momentum, float negLr) {
        VectorMask<Float> keepGrad = S.maskAll(noDecay);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector pv = FloatVector.fromArray(S, p, po + i);
            FloatVector d = grad(FloatVector.fromArray(S, g, go + i), pv, sign, wd, keepGrad);
            FloatVector s = ema2(FloatVector.fromArray(S, sq, sqo + i), d, alpha, rest);
            s.intoArray(sq, sqo + i);
            FloatVector b = FloatVector.fromArray(S, buf, bo + i).mul(momentum).add(d.div(sqrtPlus(s, eps)));
            b.intoArray(buf, bo + i);
            fma(b, negLr, pv).intoArray(p, po + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector pv = FloatVector.fromArray(S, p, po + i, m);
            FloatVector d = grad(FloatVector.fromArray(S, g, go + i, m), pv, sign, wd, keepGrad);
            FloatVector s = ema2(FloatVector.fromArray(S, sq, sqo + i, m), d, alpha, rest);
            s.intoArray(sq, sqo + i, m);
            FloatVector b = FloatVector.fromArray(S, buf, bo + i, m).mul(momentum).add(d.div(sqrtPlus(s, eps)));
            b.intoArray(buf, bo + i, m);
            fma(b, negLr, pv).intoArray(p, po + i, m);
        }
    }

    private static void rmspropCentered(int n, float[] p, int po, float[] g, int go, float[] sq, int sqo,
                                        float[] ga, int gao, float sign, float wd, boolean noDecay, float alpha,
                                        float rest, float eps, float negLr) {
        VectorMask<Float> keepGrad = S.maskAll(noDecay);
        VectorMask<Float> smallWeight = S.maskAll(Math.abs(rest) < 0.5f);
        float coeff = lerpCoefficient(rest);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector pv = FloatVector.fromArray(S, p, po + i);
            FloatVector d = grad(FloatVector.fromArray(S, g, go + i), pv, sign, wd, keepGrad);
            FloatVector s = ema2(FloatVector.fromArray(S, sq, sqo + i), d, alpha, rest);
            s.intoArray(sq, sqo + i);
            FloatVector a = lerp(FloatVector.fromArray(S, ga, gao + i), d, coeff, smallWeight);
            a.intoArray(ga, gao + i);
            addcdiv(pv, negLr, d, centeredAvg(s, a, eps)).intoArray(p, po + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector pv = FloatVector.fromArray(S, p, po + i, m);
            FloatVector d = grad(FloatVector.fromArray(S, g, go + i, m), pv, sign, wd, keepGrad);
            FloatVector s = ema2(FloatVector.fromArray(S, sq, sqo + i, m), d, alpha, rest);
            s.intoArray(sq, sqo + i, m);
            FloatVector a = lerp(FloatVector.fromArray(S, ga, gao + i, m), d, coeff, smallWeight);
            a.intoArray(ga, gao + i, m);
            addcdiv(pv, negLr, d, centeredAvg(s, a, eps)).intoArray(p, po + i, m);
        }
    }

    private static void rmspropCenteredMomentum(int n, float[] p, int po, float[] g, int go, float[] sq, int sqo,
                                                float[] ga, int gao, float[] buf, int bo, float sign, float wd,
                                                boolean noDecay, float alpha, float rest, float eps, float momentum,
                                                float negLr) {
        VectorMask<Float> keepGrad = S.maskAll(noDecay);
        VectorMask<Float> smallWeight = S.maskAll(Math.abs(rest) < 0.5f);
        float coeff = lerpCoefficient(rest);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector pv = FloatVector.fromArray(S, p, po + i);
            FloatVector d = grad(FloatVector.fromArray(S, g, go + i), pv, sign, wd, keepGrad);
            FloatVector s = ema2(FloatVector.fromArray(S, sq, sqo + i), d, alpha, rest);
            s.intoArray(sq, sqo + i);
            FloatVector a = lerp(FloatVector.fromArray(S, ga, gao + i), d, coeff, smallWeight);
            a.intoArray(ga, gao + i);
            FloatVector b = FloatVector.fromArray(S, buf, bo + i).mul(momentum).add(d.div(centeredAvg(s, a, eps)));
            b.intoArray(buf, bo + i);
            fma(b, negLr, pv).intoArray(p, po + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector pv = FloatVector.fromArray(S, p, po + i, m);
            FloatVector d = grad(FloatVector.fromArray(S, g, go + i, m), pv, sign, wd, keepGrad);
            FloatVector s = ema2(FloatVector.fromArray(S, sq, sqo + i, m), d, alpha, rest);
            s.intoArray(sq, sqo + i, m);
            FloatVector a = lerp(FloatVector.fromArray(S, ga, gao + i, m), d, coeff, smallWeight);
            a.intoArray(ga, gao + i, m);
            FloatVector b = FloatVector.fromArray(S, buf, bo + i, m).mul(momentum).add(d.div(centeredAvg(s, a, eps)));
            b.intoArray(buf, bo + i, m);
            fma(b, negLr, pv).intoArray(p, po + i, m);
        }
    }

    /** {@code sqrt(sq - ga^2) + eps}: negative under the root (rounding) gives NaN, as in PyTorch. */
    private static FloatVector centeredAvg(FloatVector s, FloatVector a, float eps) {
        return s.sub(a.mul(a)).lanewise(VectorOperators.SQRT).add(eps);
    }

    // ---- Adam / AdamW ----

    /** See {@link ScalarOptimizers#adam}. */
    public static void adam(int n, float[] p, int po, float[] g, int go, float[] m, int mo, float[] v, int vo,
                            float[] vmax, int xo, double lr, double beta1, double beta2D, float eps, double weightDecayD,
                            boolean decoupled, boolean amsgrad, boolean maximize, long step) {
        float sign = maximize ? -1f : 1f;
        float beta2 = (float) beta2D, weightDecay = (float) weightDecayD;
        // AdamW multiplies the parameter by 1 - lr wd (exactly 1 when off); Adam adds wd * param to the gradient.
        float decay = decoupled ? ScalarOptimizers.decoupledDecay(lr, weightDecayD) : 1f;
        boolean noCoupledDecay = decoupled || weightDecay == 0;
        float w1 = ScalarOptimizers.oneMinus(beta1);
        float w2 = ScalarOptimizers.oneMinus(beta2D);
        float negStep = -ScalarOptimizers.adamStepSize(lr, beta1, step);
        float bc2Sqrt = ScalarOptimizers.adamBiasCorrection2Sqrt(beta2D, step);
        if (amsgrad) {
            adamAmsgrad(n, p, po, g, go, m, mo, v, vo, vmax, xo, sign, decay, weightDecay, noCoupledDecay,
                    w1, beta2, w2, eps, negStep, bc2Sqrt);
        } else {
            adamPlain(n, p, po, g, go, m, mo, v, vo, sign, decay, weightDecay, noCoupledDecay,
                    w1, beta2, w2, eps, negStep, bc2Sqrt);
        }
    }

    private static void adamPlain(int n, float[] p, int po, float[] g, int go, float[] m, int mo, float[] v, int vo,
                                  float sign, float decay, float wd, boolean noDecay, float w1, float beta2, float w2,
                                  float eps, float negStep, float bc2Sqrt) {
        VectorMask<Float> keepGrad = S.maskAll(noDecay);
        VectorMask<Float> smallWeight = S.maskAll(Math.abs(w1) < 0.5f);
        float coeff = lerpCoefficient(w1);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector pv = FloatVector.fromArray(S, p, po + i).mul(decay);
            FloatVector d = grad(FloatVector.fromArray(S, g, go + i), pv, sign, wd, keepGrad);
            FloatVector mv = lerp(FloatVector.fromArray(S, m, mo + i), d, coeff, smallWeight);
            mv.intoArray(m, mo + i);
            FloatVector vv = ema2(FloatVector.fromArray(S, v, vo + i), d, beta2, w2);
            vv.intoArray(v, vo + i);
            addcdiv(pv, negStep, mv, adamDenom(vv, bc2Sqrt, eps)).intoArray(p, po + i);
        }
        if (i < n) {
            VectorMask<Float> k = S.indexInRange(i, n);
            FloatVector pv = FloatVector.fromArray(S, p, po + i, k).mul(decay);
            FloatVector d = grad(FloatVector.fromArray(S, g, go + i, k), pv, sign, wd, keepGrad);
            FloatVector mv = lerp(FloatVector.fromArray(S, m, mo + i, k), d, coeff, smallWeight);
            mv.intoArray(m, mo + i, k);
            FloatVector vv = ema2(FloatVector.fromArray(S, v, vo + i, k), d, beta2, w2);
            vv.intoArray(v, vo + i, k);
            addcdiv(pv, negStep, mv, adamDenom(vv, bc2Sqrt, eps)).intoArray(p, po + i, k);
        }
    }

    private static void adamAmsgrad(int n, float[] p, int po, float[] g, int go, float[] m, int mo, float[] v, int vo,
                                    float[] vmax, int xo, float sign, float decay, float wd, boolean noDecay,
                                    float w1, float beta2, float w2, float eps, float negStep, float bc2Sqrt) {
        VectorMask<Float> keepGrad = S.maskAll(noDecay);
        VectorMask<Float> smallWeight = S.maskAll(Math.abs(w1) < 0.5f);
        float coeff = lerpCoefficient(w1);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector pv = FloatVector.fromArray(S, p, po + i).mul(decay);
            FloatVector d = grad(FloatVector.fromArray(S, g, go + i), pv, sign, wd, keepGrad);
            FloatVector mv = lerp(FloatVector.fromArray(S, m, mo + i), d, coeff, smallWeight);
            mv.intoArray(m, mo + i);
            FloatVector vv = ema2(FloatVector.fromArray(S, v, vo + i), d, beta2, w2);
            vv.intoArray(v, vo + i);
            FloatVector mx = FloatVector.fromArray(S, vmax, xo + i).max(vv); // NaN propagates, as torch.maximum
            mx.intoArray(vmax, xo + i);
            addcdiv(pv, negStep, mv, adamDenom(mx, bc2Sqrt, eps)).intoArray(p, po + i);
        }
        if (i < n) {
            VectorMask<Float> k = S.indexInRange(i, n);
            FloatVector pv = FloatVector.fromArray(S, p, po + i, k).mul(decay);
            FloatVector d = grad(FloatVector.fromArray(S, g, go + i, k), pv, sign, wd, keepGrad);
            FloatVector mv = lerp(FloatVector.fromArray(S, m, mo + i, k), d, coeff, smallWeight);
            mv.intoArray(m, mo + i, k);
            FloatVector vv = ema2(FloatVector.fromArray(S, v, vo + i, k), d, beta2, w2);
            vv.intoArray(v, vo + i, k);
            FloatVector mx = FloatVector.fromArray(S, vmax, xo + i, k).max(vv);
            mx.intoArray(vmax, xo + i, k);
            addcdiv(pv, negStep, mv, adamDenom(mx, bc2Sqrt, eps)).intoArray(p, po + i, k);
        }
    }

    /** {@code sqrt(v) / sqrt(1 - beta2^t) + eps}: eps after the square root and the bias correction. */
    private static FloatVector adamDenom(FloatVector v, float bc2Sqrt, float eps) {
        return v.lanewise(VectorOperators.SQRT).div(bc2Sqrt).add(eps);
    }

    // ---- shared pieces ----

    /**
     * The effective gradient {@code sign * grad + wd * param} (one fma, as PyTorch's {@code grad.add(param,
     * alpha=wd)}), or {@code sign * grad} where {@code keepGrad} is set (weight decay off).
     */
    private static FloatVector grad(FloatVector g, FloatVector p, float sign, float wd, VectorMask<Float> keepGrad) {
        FloatVector d = g.mul(sign);
        return fma(p, wd, d).blend(d, keepGrad);
    }

    /** {@code s * beta + ((1 - beta) * d) * d}: PyTorch's {@code mul_(beta).addcmul_(d, d, value=1-beta)}. */
    private static FloatVector ema2(FloatVector s, FloatVector d, float beta, float rest) {
        return s.mul(beta).add(d.mul(rest).mul(d));
    }

    /** {@code p + (value * t1) / t2}: PyTorch's {@code addcdiv_}. */
    private static FloatVector addcdiv(FloatVector p, float value, FloatVector t1, FloatVector t2) {
        return p.add(t1.mul(value).div(t2));
    }

    /** {@code sqrt(s) + eps}. */
    private static FloatVector sqrtPlus(FloatVector s, float eps) {
        return s.lanewise(VectorOperators.SQRT).add(eps);
    }

    /** {@code a * b + c} with one rounding. */
    private static FloatVector fma(FloatVector a, float b, FloatVector c) {
        return a.fma(FloatVector.broadcast(S, b), c);
    }

    /** The fma coefficient of ATen's vector lerp: {@code w} when {@code |w| < 0.5}, else {@code w - 1}. */
    private static float lerpCoefficient(float w) {
        return Math.abs(w) < 0.5f ? w : w - 1f;
    }

    /**
     * {@code start.lerp(end, w)} as ATen's {@code lerp_vec}: {@code fma(coeff, end - start, base)} with
     * {@code base = start} for a small weight ({@code smallWeight} set) and {@code end} otherwise.
     */
    private static FloatVector lerp(FloatVector start, FloatVector end, float coeff, VectorMask<Float> smallWeight) {
        return fma(end.sub(start), coeff, end.blend(start, smallWeight));
    }
}
