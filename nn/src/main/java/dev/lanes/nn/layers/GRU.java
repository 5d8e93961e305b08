package dev.lanes.nn.layers;

import dev.lanes.nn.Generator;
import dev.lanes.nn.RecurrentOps.Cell;
import dev.lanes.nn.Tensor;

/**
 * {@code torch.nn.GRU}: a multi-layer gated recurrent unit. Per step, with PyTorch's gate order
 * {@code (r, z, n)}: {@code r, z = sigmoid(W_i* x + b_i* + W_h* h + b_h*)},
 * {@code n = tanh(W_in x + b_in + r * (W_hn h + b_hn))}, {@code h' = (1 - z) n + z h}. Options, shapes and
 * parameter names as PyTorch's (see {@link RNNBase}).
 */
public class GRU extends RNNBase {
    /** One layer, with biases, time first, no dropout, one direction. */
    public GRU(int inputSize, int hiddenSize) {
        this(inputSize, hiddenSize, 1, true, false, 0f, false, null);
    }

    public GRU(int inputSize, int hiddenSize, int numLayers) {
        this(inputSize, hiddenSize, numLayers, true, false, 0f, false, null);
    }

    /** All of PyTorch's options; weights drawn from {@code generator} (null: the default generator). */
    public GRU(int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst, float dropout,
               boolean bidirectional, Generator generator) {
        super(Cell.GRU, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, generator);
    }

    /** {@code gru(input, h0)}: the output sequence and the final hidden state ({@code c} is null). */
    public Output forward(Tensor input, Tensor h0) {
        return run(input, h0, null);
    }
}
