package dev.lanes.kernels.ops;

import dev.lanes.kernels.internal.ScalarMath;

/**
 * Scalar twins of {@link VectorActivations}: the definitions written plainly, each value computed in double
 * precision and rounded once. They are the fallback without the Vector API and the oracle in tests.
 */
public final class ScalarActivations {
    /** {@code sqrt(2 / pi)}, the scale inside the tanh form of GELU. */
    static final double GELU_TANH_SCALE = 0.7978845608028654;
    static final double GELU_TANH_CUBIC = 0.044715;
    /** {@code 1 / sqrt(2 pi)}, the normal density's constant. */
    static final double INV_SQRT_2PI = 0.3989422804014327;

    private ScalarActivations() {}

    public static float relu(float x) {
        return Float.isNaN(x) ? x : Math.max(x, 0f);
    }

    public static float leakyRelu(float x, float slope) {
        return x > 0 ? x : (float) ((double) x * slope);
    }

    public static float elu(float x, float alpha) {
        return x > 0 ? x : (float) (alpha * Math.expm1(x));
    }

    public static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-(double) x)));
    }

    public static float tanh(float x) {
        return (float) Math.tanh(x);
    }

    public static float gelu(float x, boolean approximateTanh) {
        double v = x;
        if (approximateTanh) {
            return (float) (0.5 * v * (1.0 + Math.tanh(GELU_TANH_SCALE * (v + GELU_TANH_CUBIC * v * v * v))));
        }
        return (float) (0.5 * v * (1.0 + ScalarMath.erf(v * ScalarMath.SQRT1_2)));
    }

    public static float silu(float x) {
        return (float) (x / (1.0 + Math.exp(-(double) x)));
    }

    public static float softplus(float x, float beta, float threshold) {
        float bx = beta * x; // the threshold test is on the float product, as in PyTorch
        if (bx > threshold) {
            return x;
        }
        // log1p(exp(bx)) = max(bx, 0) + log1p(exp(-|bx|)): exp never overflows.
        return (float) ((Math.max(bx, 0.0) + Math.log1p(Math.exp(-Math.abs(bx)))) / beta);
    }

    public static double geluGrad(float x, boolean approximateTanh) {
        double v = x;
        if (approximateTanh) {
            double inner = GELU_TANH_SCALE * (v + GELU_TANH_CUBIC * v * v * v);
            double t = Math.tanh(inner);
            double dInner = GELU_TANH_SCALE * (1.0 + 3.0 * GELU_TANH_CUBIC * v * v);
            return 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * dInner;
        }
        double cdf = 0.5 * (1.0 + ScalarMath.erf(v * ScalarMath.SQRT1_2));
        double pdf = INV_SQRT_2PI * Math.exp(-0.5 * v * v);
        return cdf + v * pdf;
    }

    public static double siluGrad(float x) {
        double s = 1.0 / (1.0 + Math.exp(-(double) x));
        return s * (1.0 + x * (1.0 - s));
    }

    public static double softplusGrad(float x, float beta, float threshold) {
        float bx = beta * x;
        return bx > threshold ? 1.0 : 1.0 / (1.0 + Math.exp(-(double) bx));
    }

    // ------------------------------------------------------------------------------------------ spans

    public static void relu(int n, float[] x, int xo, float[] y, int yo) {
        for (int i = 0; i < n; i++) {
            y[yo + i] = relu(x[xo + i]);
        }
    }

    public static void reluBackward(int n, float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo) {
        for (int i = 0; i < n; i++) {
            dx[dxo + i] = y[yo + i] <= 0 ? 0f : dy[dyo + i]; // NaN passes dy, as threshold_backward
        }
    }

    public static void leakyRelu(int n, float slope, float[] x, int xo, float[] y, int yo) {
        for (int i = 0; i < n; i++) {
            y[yo + i] = leakyRelu(x[xo + i], slope);
        }
    }

    public static void leakyReluBackward(int n, float slope, float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo) {
        for (int i = 0; i < n; i++) {
            dx[dxo + i] = x[xo + i] > 0 ? dy[dyo + i] : dy[dyo + i] * slope;
        }
    }

    public static void elu(int n, float alpha, float[] x, int xo, float[] y, int yo) {
        for (int i = 0; i < n; i++) {
            y[yo + i] = elu(x[xo + i], alpha);
        }
    }

    public static void eluBackward(int n, float alpha, float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo) {
        for (int i = 0; i < n; i++) {
            float v = x[xo + i];
            dx[dxo + i] = v <= 0 ? (float) (dy[dyo + i] * (alpha * Math.exp(v))) : dy[dyo + i]; // NaN passes dy
        }
    }

    public static void sigmoid(int n, float[] x, int xo, float[] y, int yo) {
        for (int i = 0; i < n; i++) {
            y[yo + i] = sigmoid(x[xo + i]);
        }
    }

    public static void sigmoidBackward(int n, float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo) {
        for (int i = 0; i < n; i++) {
            double s = y[yo + i];
            dx[dxo + i] = (float) (dy[dyo + i] * s * (1.0 - s));
        }
    }

    public static void tanh(int n, float[] x, int xo, float[] y, int yo) {
        for (int i = 0; i < n; i++) {
            y[yo + i] = tanh(x[xo + i]);
        }
    }

    public static void tanhBackward(int n, float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo) {
        for (int i = 0; i < n; i++) {
            double t = y[yo + i];
            dx[dxo + i] = (float) (dy[dyo + i] * (1.0 - t * t));
        }
    }

    public static void gelu(int n, boolean approximateTanh, float[] x, int xo, float[] y, int yo) {
        for (int i = 0; i < n; i++) {
            y[yo + i] = gelu(x[xo + i], approximateTanh);
        }
    }

    public static void geluBackward(int n, boolean approximateTanh, float[] x, int xo, float[] dy, int dyo,
                                    float[] dx, int dxo) {
        for (int i = 0; i < n; i++) {
            dx[dxo + i] = (float) (dy[dyo + i] * geluGrad(x[xo + i], approximateTanh));
        }
    }

    public static void silu(int n, float[] x, int xo, float[] y, int yo) {
        for (int i = 0; i < n; i++) {
            y[yo + i] = silu(x[xo + i]);
        }
    }

    public static void siluBackward(int n, float[] x, int xo, float[] dy, int dyo, float[] dx, int dxo) {
        for (int i = 0; i < n; i++) {
            dx[dxo + i] = (float) (dy[dyo + i] * siluGrad(x[xo + i]));
        }
    }

    public static void softplus(int n, float beta, float threshold, float[] x, int xo, float[] y, int yo) {
        for (int i = 0; i < n; i++) {
            y[yo + i] = softplus(x[xo + i], beta, threshold);
        }
    }

    public static void softplusBackward(int n, float beta, float threshold, float[] x, int xo, float[] dy, int dyo,
                                        float[] dx, int dxo) {
        for (int i = 0; i < n; i++) {
            dx[dxo + i] = (float) (dy[dyo + i] * softplusGrad(x[xo + i], beta, threshold));
        }
    }
}
