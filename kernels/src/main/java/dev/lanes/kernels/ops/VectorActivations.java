package dev.lanes.kernels.ops;

import static dev.lanes.kernels.internal.VectorMath.S;

import dev.lanes.kernels.internal.VectorMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Activations over spans with the Vector API. Each loop runs whole vectors, then one masked vector for the
 * tail, so every element goes through the same arithmetic whatever its position (and so whatever the chunk
 * split). Twins: {@link ScalarActivations}.
 */
public final class VectorActivations {
    private static final int V = S.length();
    private static final float GELU_TANH_SCALE = (float) ScalarActivations.GELU_TANH_SCALE;
    private static final float GELU_TANH_CUBIC = (float) ScalarActivations.GELU_TANH_CUBIC;
    private static final float INV_SQRT_2PI = (float) ScalarActivations.INV_SQRT_2PI;
    private static final float SQRT1_2 = 0.70710677f;

    private VectorActivations() {}

    public static void relu(int n, float[] x, int xo, float[] y, int yo) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector.fromArray(S, x, xo + i).max(0f).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, x, xo + i, m).max(0f).intoArray(y, yo + i, m);
        }
    }

    public static void reluBackward(int n, float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector g = FloatVector.fromArray(S, dy, dyo + i);
            VectorMask<Float> off = FloatVector.fromArray(S, y, yo + i).compare(VectorOperators.LE, 0f);
            g.blend(0f, off).intoArray(dx, dxo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector g = FloatVector.fromArray(S, dy, dyo + i, m);
            VectorMask<Float> off = FloatVector.fromArray(S, y, yo + i, m).compare(VectorOperators.LE, 0f);
            g.blend(0f, off).intoArray(dx, dxo + i, m);
        }
    }

    public static void leakyRelu(int n, float slope, float[] x, int xo, float[] y, int yo) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            leakyRelu(FloatVector.fromArray(S, x, xo + i), slope).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            leakyRelu(FloatVector.fromArray(S, x, xo + i, m), slope).intoArray(y, yo + i, m);
        }
    }

    private static FloatVector leakyRelu(FloatVector v, float slope) {
        return v.mul(slope).blend(v, v.compare(VectorOperators.GT, 0f));
    }

    public static void leakyReluBackward(int n, float slope, float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector g = FloatVector.fromArray(S, dy, dyo + i);
            VectorMask<Float> pos = FloatVector.fromArray(S, x, xo + i).compare(VectorOperators.GT, 0f);
            g.mul(slope).blend(g, pos).intoArray(dx, dxo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector g = FloatVector.fromArray(S, dy, dyo + i, m);
            VectorMask<Float> pos = FloatVector.fromArray(S, x, xo + i, m).compare(VectorOperators.GT, 0f);
            g.mul(slope).blend(g, pos).intoArray(dx, dxo + i, m);
        }
    }

    public static void elu(int n, float alpha, float[] x, int xo, float[] y, int yo) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            elu(FloatVector.fromArray(S, x, xo + i), alpha).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            elu(FloatVector.fromArray(S, x, xo + i, m), alpha).intoArray(y, yo + i, m);
        }
    }

    private static FloatVector elu(FloatVector v, float alpha) {
        return VectorMath.expm1(v.min(0f)).mul(alpha).blend(v, v.compare(VectorOperators.GT, 0f));
    }

    public static void eluBackward(int n, float alpha, float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector g = FloatVector.fromArray(S, dy, dyo + i);
            eluGrad(FloatVector.fromArray(S, x, xo + i), g, alpha).intoArray(dx, dxo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector g = FloatVector.fromArray(S, dy, dyo + i, m);
            eluGrad(FloatVector.fromArray(S, x, xo + i, m), g, alpha).intoArray(dx, dxo + i, m);
        }
    }

    /** PyTorch's {@code elu_backward}: the exponential branch where {@code x <= 0}, so a NaN input passes dy. */
    private static FloatVector eluGrad(FloatVector v, FloatVector g, float alpha) {
        return g.blend(g.mul(VectorMath.exp(v.min(0f)).mul(alpha)), v.compare(VectorOperators.LE, 0f));
    }

    public static void sigmoid(int n, float[] x, int xo, float[] y, int yo) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            VectorMath.sigmoid(FloatVector.fromArray(S, x, xo + i)).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            VectorMath.sigmoid(FloatVector.fromArray(S, x, xo + i, m)).intoArray(y, yo + i, m);
        }
    }

    public static void sigmoidBackward(int n, float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector s = FloatVector.fromArray(S, y, yo + i);
            FloatVector.fromArray(S, dy, dyo + i).mul(s.sub(s.mul(s))).intoArray(dx, dxo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector s = FloatVector.fromArray(S, y, yo + i, m);
            FloatVector.fromArray(S, dy, dyo + i, m).mul(s.sub(s.mul(s))).intoArray(dx, dxo + i, m);
        }
    }

    public static void tanh(int n, float[] x, int xo, float[] y, int yo) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            VectorMath.tanh(FloatVector.fromArray(S, x, xo + i)).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            VectorMath.tanh(FloatVector.fromArray(S, x, xo + i, m)).intoArray(y, yo + i, m);
        }
    }

    public static void tanhBackward(int n, float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector t = FloatVector.fromArray(S, y, yo + i);
            FloatVector.fromArray(S, dy, dyo + i).mul(oneMinusSquare(t)).intoArray(dx, dxo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector t = FloatVector.fromArray(S, y, yo + i, m);
            FloatVector.fromArray(S, dy, dyo + i, m).mul(oneMinusSquare(t)).intoArray(dx, dxo + i, m);
        }
    }

    /** {@code 1 - t^2} with one rounding. */
    private static FloatVector oneMinusSquare(FloatVector t) {
        return t.neg().fma(t, FloatVector.broadcast(S, 1f));
    }

    public static void gelu(int n, boolean approximateTanh, float[] x, int xo, float[] y, int yo) {
        if (approximateTanh) {
            int i = 0;
            for (int bound = S.loopBound(n); i < bound; i += V) {
                geluTanh(FloatVector.fromArray(S, x, xo + i)).intoArray(y, yo + i);
            }
            if (i < n) {
                VectorMask<Float> m = S.indexInRange(i, n);
                geluTanh(FloatVector.fromArray(S, x, xo + i, m)).intoArray(y, yo + i, m);
            }
            return;
        }
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            VectorMath.gelu(FloatVector.fromArray(S, x, xo + i)).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            VectorMath.gelu(FloatVector.fromArray(S, x, xo + i, m)).intoArray(y, yo + i, m);
        }
    }

    /**
     * {@code 0.5 x (1 + tanh(u))} with {@code u = sqrt(2/pi) (x + 0.044715 x^3)}, evaluated as the equal
     * {@code x sigmoid(2u)}: {@code 1 + tanh(u)} cancels in the left tail, the sigmoid does not.
     */
    private static FloatVector geluTanh(FloatVector v) {
        FloatVector twoU = v.mul(v).fma(GELU_TANH_CUBIC, 1f).mul(v).mul(2 * GELU_TANH_SCALE);
        return v.mul(VectorMath.sigmoid(twoU));
    }

    public static void geluBackward(int n, boolean approximateTanh, float[] x, int xo, float[] dy, int dyo,
                                    float[] dx, int dxo) {
        // One loop per form, each holding one copy of its gradient: with both forms, or with the tail inlined
        // too, the method grows past C2's inlining budget and every vector is boxed (48 bytes per element).
        if (approximateTanh) {
            geluTanhBackward(n, x, xo, dy, dyo, dx, dxo);
        } else {
            geluErfBackward(n, x, xo, dy, dyo, dx, dxo);
        }
    }

    /** Elements per block of the two-pass GELU backward: both passes find the block in L1. */
    private static final int GELU_BLOCK = 2048;

    /**
     * {@code dx = dy * (Phi(x) + x phi(x))} in blocks of two passes: {@code erf} first, then {@code exp} and
     * the combination. A single loop holding both polynomials is more than C2 inlines (it then boxes every
     * vector, 48 bytes per element); each pass alone compiles to straight vector code, and the block is still
     * in L1 for the second. The erf values go to a small per-call buffer, since dx may be x or dy (in place).
     */
    private static void geluErfBackward(int n, float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo) {
        float[] e = new float[Math.min(n, GELU_BLOCK)];
        for (int b = 0; b < n; b += GELU_BLOCK) {
            int len = Math.min(GELU_BLOCK, n - b);
            erfOfScaled(len, x, xo + b, e, 0);
            geluErfGradFromErf(len, x, xo + b, e, dy, dyo + b, dx, dxo + b);
        }
    }

    /** {@code e[i] = erf(x[i] / sqrt 2)}. */
    private static void erfOfScaled(int n, float[] x, int xo, float[] e, int eo) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            VectorMath.erf(FloatVector.fromArray(S, x, xo + i).mul(SQRT1_2)).intoArray(e, eo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            VectorMath.erf(FloatVector.fromArray(S, x, xo + i, m).mul(SQRT1_2)).intoArray(e, eo + i, m);
        }
    }

    /** {@code dx[i] = dy[i] * (0.5 (1 + e[i]) + x[i] phi(x[i]))} with {@code e = erf(x / sqrt 2)}. */
    private static void geluErfGradFromErf(int n, float[] x, int xo, float[] e, float[] dy, int dyo, float[] dx, int dxo) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            FloatVector cdf = FloatVector.fromArray(S, e, i).add(1f).mul(0.5f);
            FloatVector pdf = VectorMath.exp(v.mul(v).mul(-0.5f)).mul(INV_SQRT_2PI);
            FloatVector.fromArray(S, dy, dyo + i).mul(v.fma(pdf, cdf)).intoArray(dx, dxo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector v = FloatVector.fromArray(S, x, xo + i, m);
            FloatVector cdf = FloatVector.fromArray(S, e, i, m).add(1f).mul(0.5f);
            FloatVector pdf = VectorMath.exp(v.mul(v).mul(-0.5f)).mul(INV_SQRT_2PI);
            FloatVector.fromArray(S, dy, dyo + i, m).mul(v.fma(pdf, cdf)).intoArray(dx, dxo + i, m);
        }
    }

    private static void geluTanhBackward(int n, float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector g = FloatVector.fromArray(S, dy, dyo + i);
            g.mul(geluTanhGrad(FloatVector.fromArray(S, x, xo + i))).intoArray(dx, dxo + i);
        }
        if (i < n) {
            geluTanhBackwardTail(n, i, x, xo, dy, dyo, dx, dxo);
        }
    }

    /** The masked last vector, out of line (see {@link #geluErfBackwardTail}). */
    private static void geluTanhBackwardTail(int n, int i, float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo) {
        VectorMask<Float> m = S.indexInRange(i, n);
        FloatVector g = FloatVector.fromArray(S, dy, dyo + i, m);
        g.mul(geluTanhGrad(FloatVector.fromArray(S, x, xo + i, m))).intoArray(dx, dxo + i, m);
    }

    /**
     * PyTorch's formula {@code 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)} with
     * {@code t = tanh(u)}, rewritten with {@code s = sigmoid(2u)}, {@code 1 + t = 2s} and
     * {@code 1 - t^2 = 4 s (1 - s)}, where {@code 1 - s = sigmoid(-2u)} comes from the same exponential:
     * no term cancels in the tails.
     */
    private static FloatVector geluTanhGrad(FloatVector x) {
        FloatVector v = x.max(-1e4f).min(1e4f); // the gradient is exactly 1 or 0 there; x * x must not overflow
        FloatVector v2 = v.mul(v);
        FloatVector twoU = v2.fma(GELU_TANH_CUBIC, 1f).mul(v).mul(2 * GELU_TANH_SCALE);
        FloatVector e = VectorMath.exp(twoU.abs().neg());
        FloatVector r = FloatVector.broadcast(S, 1f).div(e.add(1f));
        FloatVector er = e.mul(r);
        VectorMask<Float> negative = twoU.compare(VectorOperators.LT, 0f);
        FloatVector s = r.blend(er, negative);
        FloatVector oneMinusS = er.blend(r, negative);
        FloatVector dInner = v2.fma(3 * GELU_TANH_CUBIC, 1f).mul(GELU_TANH_SCALE);
        return v.mul(2f).mul(s).mul(oneMinusS).fma(dInner, s);
    }

    public static void silu(int n, float[] x, int xo, float[] y, int yo) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            VectorMath.silu(FloatVector.fromArray(S, x, xo + i)).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            VectorMath.silu(FloatVector.fromArray(S, x, xo + i, m)).intoArray(y, yo + i, m);
        }
    }

    public static void siluBackward(int n, float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector g = FloatVector.fromArray(S, dy, dyo + i);
            g.mul(siluGrad(FloatVector.fromArray(S, x, xo + i))).intoArray(dx, dxo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector g = FloatVector.fromArray(S, dy, dyo + i, m);
            g.mul(siluGrad(FloatVector.fromArray(S, x, xo + i, m))).intoArray(dx, dxo + i, m);
        }
    }

    /** {@code s (1 + x (1 - s))} with {@code s = sigmoid(x)}. */
    private static FloatVector siluGrad(FloatVector v) {
        FloatVector s = VectorMath.sigmoid(v);
        return v.mul(s.neg().add(1f)).add(1f).mul(s);
    }

    public static void softplus(int n, float beta, float threshold, float[] x, int xo, float[] y, int yo) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            softplus(FloatVector.fromArray(S, x, xo + i), beta, threshold).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            softplus(FloatVector.fromArray(S, x, xo + i, m), beta, threshold).intoArray(y, yo + i, m);
        }
    }

    private static FloatVector softplus(FloatVector v, float beta, float threshold) {
        FloatVector bx = v.mul(beta);
        FloatVector soft = VectorMath.softplus(bx).div(beta);
        return soft.blend(v, bx.compare(VectorOperators.GT, threshold));
    }

    public static void softplusBackward(int n, float beta, float threshold, float[] x, int xo, float[] dy, int dyo,
                                        float[] dx, int dxo) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector g = FloatVector.fromArray(S, dy, dyo + i);
            softplusGrad(FloatVector.fromArray(S, x, xo + i), g, beta, threshold).intoArray(dx, dxo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector g = FloatVector.fromArray(S, dy, dyo + i, m);
            softplusGrad(FloatVector.fromArray(S, x, xo + i, m), g, beta, threshold).intoArray(dx, dxo + i, m);
        }
    }

    private static FloatVector softplusGrad(FloatVector v, FloatVector g, float beta, float threshold) {
        FloatVector bx = v.mul(beta);
        return g.mul(VectorMath.sigmoid(bx)).blend(g, bx.compare(VectorOperators.GT, threshold));
    }
}
