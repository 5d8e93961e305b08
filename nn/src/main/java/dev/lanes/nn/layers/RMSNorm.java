package dev.lanes.nn.layers;

import dev.lanes.nn.F;
import dev.lanes.nn.Tensor;

/**
 * {@code torch.nn.RMSNorm(normalized_shape, eps=None, elementwise_affine=True)}; with no eps given, uses
 * {@code torch.finfo(float32).eps} as PyTorch does.
 */
public class RMSNorm extends Module {
    private final int[] normalizedShape;
    private final float eps;
    private final boolean defaultEps;
    private final Tensor weight;

    public RMSNorm(int... normalizedShape) {
        this(normalizedShape, Float.NaN, true);
    }

    /** {@code eps} NaN means PyTorch's {@code eps=None}: {@code torch.finfo(float32).eps}. */
    public RMSNorm(int[] normalizedShape, float eps, boolean elementwiseAffine) {
        this.normalizedShape = normalizedShape.clone();
        this.defaultEps = Float.isNaN(eps);
        this.eps = defaultEps ? F.FLOAT_EPS : eps;
        this.weight = elementwiseAffine ? registerParameter("weight", Tensor.ones(normalizedShape)) : null;
    }

    @Override
    public Tensor forward(Tensor x) {
        return F.rmsNorm(x, normalizedShape, weight, eps);
    }

    @Override
    protected String extraRepr() {
        return java.util.Arrays.toString(normalizedShape).replace('[', '(').replace("]", ",)") + ", eps="
                + (defaultEps ? "None" : pythonFloat(eps)) + ", elementwise_affine=" + pythonBool(weight != null);
    }
}
