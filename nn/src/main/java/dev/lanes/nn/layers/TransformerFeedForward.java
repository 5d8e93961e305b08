package dev.lanes.nn.layers;

import dev.lanes.kernels.Activation;
import dev.lanes.nn.Tensor;

/**
 * The feed-forward block of the Transformer encoder and decoder layers, registered on the owning layer under
 * PyTorch's names: {@code linear1}, {@code dropout}, {@code linear2} (the activation fused into
 * {@code linear1}'s GEMM), or, with {@link TransformerOptions.FeedForward#SWIGLU}, one {@code feed_forward}
 * child. Not a module itself, so the names stay the layer's own, as in PyTorch.
 */
final class TransformerFeedForward {
    private final Linear linear1, linear2;
    private final Dropout dropout;
    private final SwiGLU swiglu;

    /** Registers the children on {@code owner} now, at the place in its child order where PyTorch has them. */
    TransformerFeedForward(Module owner, int dModel, TransformerOptions o) {
        if (o.feedForward == TransformerOptions.FeedForward.MLP) {
            Activation act = o.activation.equals("gelu") ? Activation.GELU : Activation.RELU;
            linear1 = owner.registerModule("linear1", new PrintedAsLinear("Linear", dModel, o.dimFeedforward, o.bias, act, o.generator));
            dropout = owner.registerModule("dropout", new Dropout(o.dropout, o.generator));
            linear2 = owner.registerModule("linear2", new Linear(o.dimFeedforward, dModel, o.bias, Activation.IDENTITY, o.generator));
            swiglu = null;
        } else {
            linear1 = linear2 = null;
            dropout = null;
            swiglu = owner.registerModule("feed_forward", new SwiGLU(dModel, o.dimFeedforward, o.bias, o.generator));
        }
    }

    /** The block without its residual and the dropout after it. */
    Tensor forward(Tensor x) {
        return swiglu != null ? swiglu.forward(x) : linear2.forward(dropout.forward(linear1.forward(x)));
    }
}
