package dev.lanes.nn.layers;

import dev.lanes.kernels.Activation;
import dev.lanes.nn.Generator;

/**
 * A {@link Linear} that prints as the PyTorch module it stands for: {@code out_proj} of
 * {@code nn.MultiheadAttention} is an {@code NonDynamicallyQuantizableLinear}, and the Transformer layers'
 * {@code linear1} carries the fused activation that PyTorch keeps outside the module (a function attribute,
 * not printed), so the layers print as PyTorch prints them.
 */
final class PrintedAsLinear extends Linear {
    private final String typeName;

    PrintedAsLinear(String typeName, int in, int out, boolean bias, Activation activation, Generator generator) {
        super(in, out, bias, activation, generator);
        this.typeName = typeName;
    }

    @Override
    protected String typeName() {
        return typeName;
    }

    @Override
    protected String extraRepr() {
        return "in_features=" + inFeatures() + ", out_features=" + outFeatures() + ", bias=" + pythonBool(bias() != null);
    }
}
