package dev.lanes.nn.layers;

import dev.lanes.nn.F;
import dev.lanes.nn.Tensor;

/** {@code torch.nn.LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True, bias=True)}. */
public class LayerNorm extends Module {
    private final int[] normalizedShape;
    private final float eps;
    private final Tensor weight, bias;

    public LayerNorm(int... normalizedShape) {
        this(normalizedShape, 1e-5f, true, true);
    }

    public LayerNorm(int[] normalizedShape, float eps, boolean elementwiseAffine, boolean bias) {
        this.normalizedShape = normalizedShape.clone();
        this.eps = eps;
        this.weight = elementwiseAffine ? registerParameter("weight", Tensor.ones(normalizedShape)) : null;
        this.bias = elementwiseAffine && bias ? registerParameter("bias", Tensor.zeros(normalizedShape)) : null;
    }

    @Override
    public Tensor forward(Tensor x) {
        return F.layerNorm(x, normalizedShape, weight, bias, eps);
    }

    @Override
    protected String extraRepr() {
        return java.util.Arrays.toString(normalizedShape).replace('[', '(').replace("]", ",)") + ", eps=" + pythonFloat(eps)
                + ", elementwise_affine=" + pythonBool(weight != null) + ", bias=" + pythonBool(bias != null);
    }
}
