package dev.lanes.nn.layers;

import dev.lanes.nn.Generator;
import dev.lanes.nn.RecurrentOps.Cell;
import dev.lanes.nn.Tensor;

/**
 * {@code torch.nn.RNN}: a multi-layer Elman network, {@code h' = tanh(W_ih x + b_ih + W_hh h + b_hh)} (or
 * ReLU with {@code nonlinearity = "relu"}). Options, shapes and parameter names as PyTorch's (see
 * {@link RNNBase}).
 */
public class RNN extends RNNBase {
    /** One tanh layer, with biases, time first, no dropout, one direction. */
    public RNN(int inputSize, int hiddenSize) {
        this(inputSize, hiddenSize, 1, "tanh", true, false, 0f, false, null);
    }

    public RNN(int inputSize, int hiddenSize, int numLayers) {
        this(inputSize, hiddenSize, numLayers, "tanh", true, false, 0f, false, null);
    }

    /**
     * All of PyTorch's options: {@code nonlinearity} is {@code "tanh"} or {@code "relu"}; weights drawn from
     * {@code generator} (null: the default generator).
     */
    public RNN(int inputSize, int hiddenSize, int numLayers, String nonlinearity, boolean bias, boolean batchFirst,
               float dropout, boolean bidirectional, Generator generator) {
        super(cell(nonlinearity), inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, generator);
    }

    static Cell cell(String nonlinearity) {
        if ("tanh".equals(nonlinearity)) {
            return Cell.RNN_TANH;
        }
        if ("relu".equals(nonlinearity)) {
            return Cell.RNN_RELU;
        }
        throw new IllegalArgumentException("RNN: unknown nonlinearity '" + nonlinearity + "', expected 'tanh' or 'relu'");
    }

    /** {@code rnn(input, h0)}: the output sequence and the final hidden state ({@code c} is null). */
    public Output forward(Tensor input, Tensor h0) {
        return run(input, h0, null);
    }
}
