package dev.lanes.nn.layers;

import dev.lanes.nn.Generator;
import dev.lanes.nn.Tensor;

/**
 * {@code torch.nn.RNNCell}: one step {@code h' = tanh(W_ih x + b_ih + W_hh h + b_hh)} (or ReLU); see
 * {@link RNN} and {@link RNNCellBase}.
 */
public class RNNCell extends RNNCellBase {
    public RNNCell(int inputSize, int hiddenSize) {
        this(inputSize, hiddenSize, true, "tanh", null);
    }

    /** {@code nonlinearity} is {@code "tanh"} or {@code "relu"}; weights drawn from {@code generator} (null: default). */
    public RNNCell(int inputSize, int hiddenSize, boolean bias, String nonlinearity, Generator generator) {
        super(RNN.cell(nonlinearity), inputSize, hiddenSize, bias, generator);
    }

    /** {@code cell(input, h)}: the new hidden state; a null {@code h} is zeros. */
    public Tensor forward(Tensor input, Tensor h) {
        return step(input, h, null).h();
    }
}
