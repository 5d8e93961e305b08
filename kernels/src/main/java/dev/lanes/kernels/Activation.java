package dev.lanes.kernels;

import dev.lanes.kernels.internal.ScalarMath;

/**
 * The element-wise activations a GEMM epilogue can apply, with PyTorch's definitions.
 *
 * <p>{@link #apply(float)} is the scalar reference: it computes in double precision and rounds once, so it is
 * what vectorized versions are tested against.
 */
public enum Activation {
    /** {@code x}. */
    IDENTITY,
    /** {@code max(x, 0)}, NaN stays NaN ({@code torch.relu}). */
    RELU,
    /** {@code x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2))}, the exact form ({@code torch.nn.GELU(approximate='none')}). */
    GELU,
    /** {@code x * sigmoid(x)} ({@code torch.nn.SiLU}). */
    SILU,
    /** {@code tanh(x)}. */
    TANH,
    /** {@code 1 / (1 + exp(-x))}. */
    SIGMOID;

    /** The activation of one value, computed in double precision and rounded to float. */
    public float apply(float x) {
        double v = x;
        return switch (this) {
            case IDENTITY -> x;
            case RELU -> Math.max(x, 0f);
            case GELU -> (float) (0.5 * v * (1.0 + ScalarMath.erf(v * ScalarMath.SQRT1_2)));
            case SILU -> (float) (v / (1.0 + Math.exp(-v)));
            case TANH -> (float) Math.tanh(v);
            case SIGMOID -> (float) (1.0 / (1.0 + Math.exp(-v)));
        };
    }
}
