package dev.lanes.nn.layers;

import dev.lanes.nn.Generator;
import dev.lanes.nn.RecurrentOps;
import dev.lanes.nn.RecurrentOps.Cell;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.init.Init;
import java.util.Arrays;

/**
 * What {@link RNNCell}, {@link LSTMCell} and {@link GRUCell} share, as PyTorch's {@code nn.RNNCellBase}: one
 * time step, with parameters {@code weight_ih (G H, input_size)}, {@code weight_hh (G H, H)},
 * {@code bias_ih}, {@code bias_hh (G H)} (PyTorch's names; uniform in {@code +-1/sqrt(H)}). Input
 * {@code (B, input_size)} or unbatched {@code (input_size)}; states {@code (B, H)} or {@code (H)}, null for
 * zeros. A step is the same fused operation as one step of the sequence layers.
 */
public abstract class RNNCellBase extends Module {
    private final Cell cell;
    private final int inputSize, hiddenSize;
    private final boolean bias;
    private final Tensor weightIh, weightHh, biasIh, biasHh;

    protected RNNCellBase(Cell cell, int inputSize, int hiddenSize, boolean bias, Generator generator) {
        String type = getClass().getSimpleName();
        if (inputSize < 0 || hiddenSize <= 0) {
            throw new IllegalArgumentException(type + ": input_size = " + inputSize + " must be >= 0 and hidden_size = "
                    + hiddenSize + " greater than zero");
        }
        this.cell = cell;
        this.inputSize = inputSize;
        this.hiddenSize = hiddenSize;
        this.bias = bias;
        Generator g = generator == null ? Generator.defaultGenerator() : generator;
        int gh = cell.gates() * hiddenSize;
        float bound = (float) (1 / Math.sqrt(hiddenSize));
        synchronized (g) {
            weightIh = registerParameter("weight_ih", Init.uniform(Tensor.zeros(gh, inputSize), -bound, bound, g));
            weightHh = registerParameter("weight_hh", Init.uniform(Tensor.zeros(gh, hiddenSize), -bound, bound, g));
            biasIh = bias ? registerParameter("bias_ih", Init.uniform(Tensor.zeros(gh), -bound, bound, g)) : null;
            biasHh = bias ? registerParameter("bias_hh", Init.uniform(Tensor.zeros(gh), -bound, bound, g)) : null;
        }
    }

    /** The new hidden state from zero states. */
    @Override
    public Tensor forward(Tensor input) {
        return step(input, null, null).h();
    }

    /** One step: the new {@code h} and (LSTM) {@code c}, shaped as the input's batch. */
    protected RecurrentOps.LayerOutput step(Tensor input, Tensor h, Tensor c) {
        String type = typeName();
        if (input == null || (input.dim() != 1 && input.dim() != 2)) {
            throw new IllegalArgumentException(type + ": expected input to be 1-D or 2-D, got "
                    + (input == null ? "null" : "shape " + Arrays.toString(input.shape())));
        }
        boolean batched = input.dim() == 2;
        if (input.size(-1) != inputSize) {
            throw new IllegalArgumentException(type + ": input has inconsistent input_size: got " + input.size(-1)
                    + ", expected " + inputSize + " (input shape " + Arrays.toString(input.shape()) + ")");
        }
        int[] stateShape = batched ? new int[] {input.size(0), hiddenSize} : new int[] {hiddenSize};
        for (Tensor s : new Tensor[] {h, c}) {
            if (s != null && !Arrays.equals(s.shape(), stateShape)) {
                throw new IllegalArgumentException(type + ": expected a state of shape " + Arrays.toString(stateShape)
                        + " for input " + Arrays.toString(input.shape()) + ", got " + Arrays.toString(s.shape()));
            }
        }
        Tensor x = batched ? input : input.unsqueeze(0);
        Tensor hb = h == null || batched ? h : h.unsqueeze(0);
        Tensor cb = c == null || batched ? c : c.unsqueeze(0);
        RecurrentOps.LayerOutput r = RecurrentOps.cell(cell, x, hb, cb, weightIh, weightHh, biasIh, biasHh);
        if (batched) {
            return r;
        }
        return new RecurrentOps.LayerOutput(r.output().squeeze(0).squeeze(0), r.h().squeeze(0),
                r.c() == null ? null : r.c().squeeze(0));
    }

    public Tensor weightIh() {
        return weightIh;
    }

    public Tensor weightHh() {
        return weightHh;
    }

    /** The input-side bias, or null. */
    public Tensor biasIh() {
        return biasIh;
    }

    /** The hidden-side bias, or null. */
    public Tensor biasHh() {
        return biasHh;
    }

    public int inputSize() {
        return inputSize;
    }

    public int hiddenSize() {
        return hiddenSize;
    }

    @Override
    protected String extraRepr() {
        return inputSize + ", " + hiddenSize + (bias ? "" : ", bias=False")
                + (cell == Cell.RNN_RELU ? ", nonlinearity='relu'" : "");
    }
}
