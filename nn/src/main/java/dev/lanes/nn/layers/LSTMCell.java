package dev.lanes.nn.layers;

import dev.lanes.nn.Generator;
import dev.lanes.nn.RecurrentOps;
import dev.lanes.nn.RecurrentOps.Cell;
import dev.lanes.nn.Tensor;

/** {@code torch.nn.LSTMCell}: one LSTM step (gates {@code i, f, g, o}); see {@link LSTM} and {@link RNNCellBase}. */
public class LSTMCell extends RNNCellBase {
    /** The new hidden and cell states. */
    public record State(Tensor h, Tensor c) {}

    public LSTMCell(int inputSize, int hiddenSize) {
        this(inputSize, hiddenSize, true, null);
    }

    /** Weights drawn from {@code generator} (null: the default generator). */
    public LSTMCell(int inputSize, int hiddenSize, boolean bias, Generator generator) {
        super(Cell.LSTM, inputSize, hiddenSize, bias, generator);
    }

    /** {@code cell(input, (h, c))}; null states are zeros. */
    public State forward(Tensor input, Tensor h, Tensor c) {
        RecurrentOps.LayerOutput r = step(input, h, c);
        return new State(r.h(), r.c());
    }
}
