package dev.lanes.nn.functional;

import dev.lanes.kernels.Activation;
import dev.lanes.kernels.Gemm;

/**
 * Stateless operations with the definitions of {@code torch.nn.functional}, on row-major float arrays.
 * (The Tensor and autograd layer builds on these.)
 */
public final class Functional {
    private Functional() {}

    /**
     * {@code torch.nn.functional.linear} followed by an activation: {@code act(input @ weight.T + bias)}.
     *
     * @param input  {@code (batch, inFeatures)}
     * @param weight {@code (outFeatures, inFeatures)}, PyTorch's layout
     * @param bias   {@code (outFeatures)}, or null
     * @return a new {@code (batch, outFeatures)} array, computed in one fused GEMM pass
     */
    public static float[] linear(float[] input, int batch, int inFeatures, float[] weight, float[] bias,
                                 int outFeatures, Activation activation) {
        if (input == null || weight == null) {
            throw new IllegalArgumentException("linear: input and weight must not be null");
        }
        if (batch < 0 || inFeatures < 0 || outFeatures < 0) {
            throw new IllegalArgumentException("linear: negative size: batch=" + batch + ", inFeatures="
                    + inFeatures + ", outFeatures=" + outFeatures);
        }
        if ((long) batch * inFeatures != input.length) {
            throw new IllegalArgumentException("linear: input has " + input.length + " elements, expected batch x "
                    + "inFeatures = " + batch + " x " + inFeatures);
        }
        if ((long) outFeatures * inFeatures != weight.length) {
            throw new IllegalArgumentException("linear: weight has " + weight.length + " elements, expected "
                    + "(outFeatures, inFeatures) = (" + outFeatures + ", " + inFeatures + ")");
        }
        if (bias != null && bias.length != outFeatures) {
            throw new IllegalArgumentException("linear: bias has " + bias.length + " elements, expected outFeatures = "
                    + outFeatures);
        }
        float[] out = new float[batch * outFeatures];
        Gemm.sgemmFused(false, true, batch, outFeatures, inFeatures, 1f, input, 0, Math.max(1, inFeatures),
                weight, 0, Math.max(1, inFeatures), 0f, out, 0, Math.max(1, outFeatures), bias, 0, activation);
        return out;
    }
}
