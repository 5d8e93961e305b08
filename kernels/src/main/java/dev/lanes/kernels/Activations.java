package dev.lanes.kernels;

import dev.lanes.kernels.internal.Checks;
import dev.lanes.kernels.internal.Chunks;
import dev.lanes.kernels.internal.KernelProvider;
import dev.lanes.kernels.ops.ScalarActivations;
import dev.lanes.kernels.ops.VectorActivations;

/**
 * Activation functions over a span of floats, forward and backward, with PyTorch's definitions.
 *
 * <p>Every forward reads {@code x[xOff .. xOff+n)} and writes {@code y[yOff .. yOff+n)}; every backward reads
 * the tensor PyTorch saves for that op (the input {@code x} or the output {@code y}, as each method says) and
 * the incoming gradient {@code dy}, and writes {@code dx}. Outputs may be the same array region as an input
 * (in-place), but must not overlap it partially. Large spans run on the {@link Threads} pool in fixed
 * chunks, so results do not depend on the thread count. Arguments are checked before anything is written;
 * a bad one throws {@link IllegalArgumentException} naming it.
 *
 * <p>The vectorized kernels compute {@code exp}, {@code tanh} and {@code erf} with Lanes' own polynomials
 * (see {@code docs/kernels.md} for their measured error); the scalar twins compute in double precision.
 */
public final class Activations {
    private static final boolean VECTOR = KernelProvider.get().vectorized();

    private Activations() {}

    /** {@code y = max(x, 0)}, NaN stays NaN ({@code torch.relu}). */
    public static void relu(int n, float[] x, int xOff, float[] y, int yOff) {
        checkMap("Activations.relu", n, x, xOff, y, yOff);
        map(n, x, xOff, y, yOff, VECTOR ? VectorActivations::relu : ScalarActivations::relu);
    }

    /** {@code dx = y <= 0 ? 0 : dy} given ReLU's output {@code y}, as PyTorch's {@code threshold_backward} (NaN passes dy). */
    public static void reluBackward(int n, float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff) {
        checkGrad("Activations.reluBackward", n, "y", y, yOff, dy, dyOff, dx, dxOff);
        grad(n, y, yOff, dy, dyOff, dx, dxOff,
                VECTOR ? VectorActivations::reluBackward : ScalarActivations::reluBackward);
    }

    /** {@code y = x > 0 ? x : slope * x} ({@code torch.nn.LeakyReLU(negative_slope)}, default slope 0.01). */
    public static void leakyRelu(int n, float slope, float[] x, int xOff, float[] y, int yOff) {
        checkMap("Activations.leakyRelu", n, x, xOff, y, yOff);
        Checks.finite("Activations.leakyRelu", "slope", slope);
        map(n, x, xOff, y, yOff, VECTOR
                ? (m, a, ao, b, bo) -> VectorActivations.leakyRelu(m, slope, a, ao, b, bo)
                : (m, a, ao, b, bo) -> ScalarActivations.leakyRelu(m, slope, a, ao, b, bo));
    }

    /** {@code dx = x > 0 ? dy : slope * dy} given the input {@code x}. */
    public static void leakyReluBackward(int n, float slope, float[] x, int xOff, float[] dy, int dyOff,
                                         float[] dx, int dxOff) {
        checkGrad("Activations.leakyReluBackward", n, "x", x, xOff, dy, dyOff, dx, dxOff);
        Checks.finite("Activations.leakyReluBackward", "slope", slope);
        grad(n, x, xOff, dy, dyOff, dx, dxOff, VECTOR
                ? (m, a, ao, b, bo, c, co) -> VectorActivations.leakyReluBackward(m, slope, a, ao, b, bo, c, co)
                : (m, a, ao, b, bo, c, co) -> ScalarActivations.leakyReluBackward(m, slope, a, ao, b, bo, c, co));
    }

    /** {@code y = x > 0 ? x : alpha * (exp(x) - 1)} ({@code torch.nn.ELU(alpha)}, default alpha 1). */
    public static void elu(int n, float alpha, float[] x, int xOff, float[] y, int yOff) {
        checkMap("Activations.elu", n, x, xOff, y, yOff);
        Checks.finite("Activations.elu", "alpha", alpha);
        map(n, x, xOff, y, yOff, VECTOR
                ? (m, a, ao, b, bo) -> VectorActivations.elu(m, alpha, a, ao, b, bo)
                : (m, a, ao, b, bo) -> ScalarActivations.elu(m, alpha, a, ao, b, bo));
    }

    /** {@code dx = x <= 0 ? dy * alpha * exp(x) : dy} given the input {@code x} (PyTorch saves the input). */
    public static void eluBackward(int n, float alpha, float[] x, int xOff, float[] dy, int dyOff,
                                   float[] dx, int dxOff) {
        checkGrad("Activations.eluBackward", n, "x", x, xOff, dy, dyOff, dx, dxOff);
        Checks.finite("Activations.eluBackward", "alpha", alpha);
        grad(n, x, xOff, dy, dyOff, dx, dxOff, VECTOR
                ? (m, a, ao, b, bo, c, co) -> VectorActivations.eluBackward(m, alpha, a, ao, b, bo, c, co)
                : (m, a, ao, b, bo, c, co) -> ScalarActivations.eluBackward(m, alpha, a, ao, b, bo, c, co));
    }

    /** {@code y = 1 / (1 + exp(-x))}. */
    public static void sigmoid(int n, float[] x, int xOff, float[] y, int yOff) {
        checkMap("Activations.sigmoid", n, x, xOff, y, yOff);
        map(n, x, xOff, y, yOff, VECTOR ? VectorActivations::sigmoid : ScalarActivations::sigmoid);
    }

    /** {@code dx = dy * y * (1 - y)} given the output {@code y}. */
    public static void sigmoidBackward(int n, float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff) {
        checkGrad("Activations.sigmoidBackward", n, "y", y, yOff, dy, dyOff, dx, dxOff);
        grad(n, y, yOff, dy, dyOff, dx, dxOff,
                VECTOR ? VectorActivations::sigmoidBackward : ScalarActivations::sigmoidBackward);
    }

    /** {@code y = tanh(x)}. */
    public static void tanh(int n, float[] x, int xOff, float[] y, int yOff) {
        checkMap("Activations.tanh", n, x, xOff, y, yOff);
        map(n, x, xOff, y, yOff, VECTOR ? VectorActivations::tanh : ScalarActivations::tanh);
    }

    /** {@code dx = dy * (1 - y^2)} given the output {@code y}. */
    public static void tanhBackward(int n, float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff) {
        checkGrad("Activations.tanhBackward", n, "y", y, yOff, dy, dyOff, dx, dxOff);
        grad(n, y, yOff, dy, dyOff, dx, dxOff,
                VECTOR ? VectorActivations::tanhBackward : ScalarActivations::tanhBackward);
    }

    /**
     * GELU: {@code y = 0.5 x (1 + erf(x / sqrt 2))} when {@code approximateTanh} is false (PyTorch's
     * {@code approximate='none'}), else {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}
     * ({@code approximate='tanh'}).
     */
    public static void gelu(int n, boolean approximateTanh, float[] x, int xOff, float[] y, int yOff) {
        checkMap("Activations.gelu", n, x, xOff, y, yOff);
        map(n, x, xOff, y, yOff, VECTOR
                ? (m, a, ao, b, bo) -> VectorActivations.gelu(m, approximateTanh, a, ao, b, bo)
                : (m, a, ao, b, bo) -> ScalarActivations.gelu(m, approximateTanh, a, ao, b, bo));
    }

    /** The gradient of {@link #gelu} given the input {@code x}, with PyTorch's formulas for both forms. */
    public static void geluBackward(int n, boolean approximateTanh, float[] x, int xOff, float[] dy, int dyOff,
                                    float[] dx, int dxOff) {
        checkGrad("Activations.geluBackward", n, "x", x, xOff, dy, dyOff, dx, dxOff);
        grad(n, x, xOff, dy, dyOff, dx, dxOff, VECTOR
                ? (m, a, ao, b, bo, c, co) -> VectorActivations.geluBackward(m, approximateTanh, a, ao, b, bo, c, co)
                : (m, a, ao, b, bo, c, co) -> ScalarActivations.geluBackward(m, approximateTanh, a, ao, b, bo, c, co));
    }

    /** SiLU (swish): {@code y = x * sigmoid(x)}. */
    public static void silu(int n, float[] x, int xOff, float[] y, int yOff) {
        checkMap("Activations.silu", n, x, xOff, y, yOff);
        map(n, x, xOff, y, yOff, VECTOR ? VectorActivations::silu : ScalarActivations::silu);
    }

    /** {@code dx = dy * s * (1 + x (1 - s))} with {@code s = sigmoid(x)}, given the input {@code x}. */
    public static void siluBackward(int n, float[] x, int xOff, float[] dy, int dyOff, float[] dx, int dxOff) {
        checkGrad("Activations.siluBackward", n, "x", x, xOff, dy, dyOff, dx, dxOff);
        grad(n, x, xOff, dy, dyOff, dx, dxOff,
                VECTOR ? VectorActivations::siluBackward : ScalarActivations::siluBackward);
    }

    /**
     * Softplus: {@code y = log(1 + exp(beta x)) / beta}, and {@code y = x} where {@code beta x > threshold}
     * ({@code torch.nn.Softplus(beta=1, threshold=20)}).
     */
    public static void softplus(int n, float beta, float threshold, float[] x, int xOff, float[] y, int yOff) {
        checkMap("Activations.softplus", n, x, xOff, y, yOff);
        checkSoftplus("Activations.softplus", beta, threshold);
        map(n, x, xOff, y, yOff, VECTOR
                ? (m, a, ao, b, bo) -> VectorActivations.softplus(m, beta, threshold, a, ao, b, bo)
                : (m, a, ao, b, bo) -> ScalarActivations.softplus(m, beta, threshold, a, ao, b, bo));
    }

    /** {@code dx = dy * sigmoid(beta x)}, and {@code dx = dy} where {@code beta x > threshold}; given {@code x}. */
    public static void softplusBackward(int n, float beta, float threshold, float[] x, int xOff, float[] dy, int dyOff,
                                        float[] dx, int dxOff) {
        checkGrad("Activations.softplusBackward", n, "x", x, xOff, dy, dyOff, dx, dxOff);
        checkSoftplus("Activations.softplusBackward", beta, threshold);
        grad(n, x, xOff, dy, dyOff, dx, dxOff, VECTOR
                ? (m, a, ao, b, bo, c, co) ->
                        VectorActivations.softplusBackward(m, beta, threshold, a, ao, b, bo, c, co)
                : (m, a, ao, b, bo, c, co) ->
                        ScalarActivations.softplusBackward(m, beta, threshold, a, ao, b, bo, c, co));
    }

    /** A forward kernel over {@code n} elements: {@code x -> y}. */
    @FunctionalInterface
    private interface MapKernel {
        void run(int n, float[] x, int xOff, float[] y, int yOff);
    }

    /** A backward kernel over {@code n} elements: {@code (saved, dy) -> dx}. */
    @FunctionalInterface
    private interface GradKernel {
        void run(int n, float[] saved, int savedOff, float[] dy, int dyOff, float[] dx, int dxOff);
    }

    /** Runs a checked forward kernel over fixed chunks of the span (see {@link Chunks}). */
    private static void map(int n, float[] x, int xOff, float[] y, int yOff, MapKernel kernel) {
        Chunks.elements(n, (from, to) -> kernel.run(to - from, x, xOff + from, y, yOff + from));
    }

    /** Runs a checked backward kernel over fixed chunks of the span. */
    private static void grad(int n, float[] saved, int savedOff, float[] dy, int dyOff, float[] dx, int dxOff,
                             GradKernel kernel) {
        Chunks.elements(n, (from, to) ->
                kernel.run(to - from, saved, savedOff + from, dy, dyOff + from, dx, dxOff + from));
    }

    private static void checkMap(String routine, int n, float[] x, int xOff, float[] y, int yOff) {
        Checks.nonNegative(routine, "n", n);
        Checks.span(routine, "x", x, xOff, n);
        Checks.span(routine, "y", y, yOff, n);
    }

    private static void checkGrad(String routine, int n, String savedName, float[] saved, int savedOff,
                                  float[] dy, int dyOff, float[] dx, int dxOff) {
        Checks.nonNegative(routine, "n", n);
        Checks.span(routine, savedName, saved, savedOff, n);
        Checks.span(routine, "dy", dy, dyOff, n);
        Checks.span(routine, "dx", dx, dxOff, n);
    }

    private static void checkSoftplus(String routine, float beta, float threshold) {
        Checks.positive(routine, "beta", beta);
        Checks.finite(routine, "threshold", threshold);
    }
}
