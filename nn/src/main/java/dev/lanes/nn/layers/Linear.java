package dev.lanes.nn.layers;

import dev.lanes.kernels.Activation;
import dev.lanes.nn.F;
import dev.lanes.nn.Generator;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.init.Init;

/**
 * {@code torch.nn.Linear}: {@code y = x W^T + b} with {@code weight (out, in)} and {@code bias (out)}, PyTorch's
 * names, layout and default initialisation (uniform in {@code +-1/sqrt(in)} for both). An optional
 * activation (a Lanes addition) is fused into the same GEMM pass: {@code new Linear(784, 512, true,
 * Activation.RELU)} computes what {@code Sequential(Linear(784, 512), ReLU())} does, in one pass over the output.
 */
public class Linear extends Module {
    private final int inFeatures, outFeatures;
    private final Activation activation;
    private final Tensor weight;
    private final Tensor bias;

    public Linear(int inFeatures, int outFeatures) {
        this(inFeatures, outFeatures, true, Activation.IDENTITY);
    }

    public Linear(int inFeatures, int outFeatures, boolean bias) {
        this(inFeatures, outFeatures, bias, Activation.IDENTITY);
    }

    public Linear(int inFeatures, int outFeatures, boolean bias, Activation activation) {
        this(inFeatures, outFeatures, bias, activation, null);
    }

    /** With weights drawn from {@code generator} (null: the default generator). */
    public Linear(int inFeatures, int outFeatures, boolean bias, Activation activation, Generator generator) {
        if (inFeatures < 0 || outFeatures < 0) {
            throw new IllegalArgumentException("Linear: in_features = " + inFeatures + " and out_features = "
                    + outFeatures + " must be >= 0");
        }
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.activation = activation == null ? Activation.IDENTITY : activation;
        Generator g = generator == null ? Generator.defaultGenerator() : generator;
        float bound = inFeatures == 0 ? 0f : (float) (1 / Math.sqrt(inFeatures));
        synchronized (g) {
            this.weight = registerParameter("weight", Init.uniform(Tensor.zeros(outFeatures, inFeatures), -bound, bound, g));
            this.bias = bias ? registerParameter("bias", Init.uniform(Tensor.zeros(outFeatures), -bound, bound, g)) : null;
        }
    }

    @Override
    public Tensor forward(Tensor input) {
        if (input.dim() == 0 || input.size(-1) != inFeatures) {
            throw new IllegalArgumentException("Linear(" + inFeatures + ", " + outFeatures + "): input of shape "
                    + java.util.Arrays.toString(input.shape()) + " has " + (input.dim() == 0 ? "no" : input.size(-1))
                    + " features in its last dimension, expected " + inFeatures + " (weight shape ["
                    + outFeatures + ", " + inFeatures + "])");
        }
        return F.linear(input, weight, bias, activation);
    }

    public Tensor weight() {
        return weight;
    }

    /** The bias, or null. */
    public Tensor bias() {
        return bias;
    }

    /** The activation fused into this layer's GEMM ({@code IDENTITY} for a plain {@code nn.Linear}). */
    public Activation activation() {
        return activation;
    }

    public int inFeatures() {
        return inFeatures;
    }

    public int outFeatures() {
        return outFeatures;
    }

    @Override
    protected String extraRepr() {
        return "in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + (bias != null ? "True" : "False")
                + (activation == Activation.IDENTITY ? "" : ", activation=" + activation);
    }
}
