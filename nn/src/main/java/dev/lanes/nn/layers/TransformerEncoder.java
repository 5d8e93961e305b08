package dev.lanes.nn.layers;

import dev.lanes.nn.Tensor;

/**
 * {@code torch.nn.TransformerEncoder(encoder_layer, num_layers, norm=None)}: {@code numLayers} copies of
 * {@code encoderLayer} (each starting from its weights, as PyTorch's deep copies do; the layer passed in is not
 * itself part of the stack), children {@code layers.0}, {@code layers.1}, ... and the optional final
 * {@code norm}, so PyTorch's state dict loads. PyTorch's nested-tensor fast path is an inference optimisation
 * with the same result on unpadded positions; Lanes always takes the ordinary path.
 */
public class TransformerEncoder extends Module {
    private final ModuleList layers;
    private final Module norm;

    public TransformerEncoder(TransformerEncoderLayer encoderLayer, int numLayers) {
        this(encoderLayer, numLayers, null);
    }

    /** With a final norm (null: none). */
    public TransformerEncoder(TransformerEncoderLayer encoderLayer, int numLayers, Module norm) {
        if (numLayers < 0) {
            throw new IllegalArgumentException("TransformerEncoder: num_layers must be >= 0, got " + numLayers);
        }
        layers = registerModule("layers", new ModuleList());
        for (int i = 0; i < numLayers; i++) {
            layers.add(encoderLayer.copy());
        }
        this.norm = norm == null ? null : registerModule("norm", norm);
    }

    @Override
    public Tensor forward(Tensor src) {
        return forward(src, null, null, false);
    }

    /** {@code encoder(src, mask, src_key_padding_mask, is_causal)}: each layer in turn, then the norm. */
    public Tensor forward(Tensor src, Tensor mask, Tensor srcKeyPaddingMask, boolean isCausal) {
        Tensor x = src;
        for (Module m : layers) {
            x = ((TransformerEncoderLayer) m).forward(x, mask, srcKeyPaddingMask, isCausal);
        }
        return norm == null ? x : norm.forward(x);
    }

    public TransformerEncoderLayer layer(int i) {
        return (TransformerEncoderLayer) layers.get(i);
    }

    public int numLayers() {
        return layers.size();
    }
}
