package dev.lanes.nn.layers;

import dev.lanes.nn.Generator;
import dev.lanes.nn.RecurrentOps.Cell;
import dev.lanes.nn.Tensor;

/** {@code torch.nn.GRUCell}: one GRU step (gates {@code r, z, n}); see {@link GRU} and {@link RNNCellBase}. */
public class GRUCell extends RNNCellBase {
    public GRUCell(int inputSize, int hiddenSize) {
        this(inputSize, hiddenSize, true, null);
    }

    /** Weights drawn from {@code generator} (null: the default generator). */
    public GRUCell(int inputSize, int hiddenSize, boolean bias, Generator generator) {
        super(Cell.GRU, inputSize, hiddenSize, bias, generator);
    }

    /** {@code cell(input, h)}: the new hidden state; a null {@code h} is zeros. */
    public Tensor forward(Tensor input, Tensor h) {
        return step(input, h, null).h();
    }
}
