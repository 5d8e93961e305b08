package dev.lanes.nn.layers;

import dev.lanes.nn.Tensor;

/**
 * {@code torch.nn.TransformerDecoder(decoder_layer, num_layers, norm=None)}: {@code numLayers} copies of
 * {@code decoderLayer} (each starting from its weights, as PyTorch's deep copies), children
 * {@code layers.0}, ... and the optional final {@code norm}.
 */
public class TransformerDecoder extends Module {
    private final ModuleList layers;
    private final Module norm;

    public TransformerDecoder(TransformerDecoderLayer decoderLayer, int numLayers) {
        this(decoderLayer, numLayers, null);
    }

    /** With a final norm (null: none). */
    public TransformerDecoder(TransformerDecoderLayer decoderLayer, int numLayers, Module norm) {
        if (numLayers < 0) {
            throw new IllegalArgumentException("TransformerDecoder: num_layers must be >= 0, got " + numLayers);
        }
        layers = registerModule("layers", new ModuleList());
        for (int i = 0; i < numLayers; i++) {
            layers.add(decoderLayer.copy());
        }
        this.norm = norm == null ? null : registerModule("norm", norm);
    }

    /** A decoder needs the encoder's output too: use {@link #forward(Tensor, Tensor)}. */
    @Override
    public Tensor forward(Tensor tgt) {
        throw new UnsupportedOperationException("TransformerDecoder.forward needs (tgt, memory); call forward(tgt, memory)");
    }

    public Tensor forward(Tensor tgt, Tensor memory) {
        return forward(tgt, memory, null, null, null, null, false, false);
    }

    /**
     * {@code decoder(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask,
     * tgt_is_causal, memory_is_causal)}: each layer in turn, then the norm.
     */
    public Tensor forward(Tensor tgt, Tensor memory, Tensor tgtMask, Tensor memoryMask, Tensor tgtKeyPaddingMask,
                          Tensor memoryKeyPaddingMask, boolean tgtIsCausal, boolean memoryIsCausal) {
        Tensor x = tgt;
        for (Module m : layers) {
            x = ((TransformerDecoderLayer) m).forward(x, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask,
                    tgtIsCausal, memoryIsCausal);
        }
        return norm == null ? x : norm.forward(x);
    }

    public TransformerDecoderLayer layer(int i) {
        return (TransformerDecoderLayer) layers.get(i);
    }

    public int numLayers() {
        return layers.size();
    }
}
