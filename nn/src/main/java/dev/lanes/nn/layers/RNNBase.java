package dev.lanes.nn.layers;

import dev.lanes.nn.F;
import dev.lanes.nn.Generator;
import dev.lanes.nn.RecurrentOps;
import dev.lanes.nn.RecurrentOps.Cell;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.init.Init;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What {@link RNN}, {@link LSTM} and {@link GRU} share, as PyTorch's {@code nn.RNNBase}: the stacked,
 * optionally bidirectional layers, their parameters and the handling of shapes.
 *
 * <p>Parameters, with PyTorch's names, shapes and order, for layer {@code k} and each direction (suffix
 * {@code _reverse} for the backward one): {@code weight_ih_l{k}} {@code (G H, in_k)}, {@code weight_hh_l{k}}
 * {@code (G H, H)}, {@code bias_ih_l{k}}, {@code bias_hh_l{k}} {@code (G H)}, where {@code G} is the number of
 * gates (1, 4, 3) and {@code in_k} is {@code input_size} for the first layer and {@code D H} above it
 * ({@code D = 2} when bidirectional). All are initialised uniform in {@code +-1/sqrt(H)}, as PyTorch does,
 * so state dicts load both ways. LSTM's {@code proj_size} is not supported.
 *
 * <p>Shapes ({@code L} layers, {@code D} directions): input {@code (T, B, in)}, or {@code (B, T, in)} with
 * {@code batchFirst}, or unbatched {@code (T, in)}; initial states {@code (L D, B, H)} ({@code (L D, H)} for
 * unbatched input) or null for zeros; output {@code (T, B, D H)} (batch first: {@code (B, T, D H)}); final
 * states {@code (L D, B, H)}. Between layers, dropout with probability {@code dropout} in training mode.
 *
 * <p>Each direction of each layer is one autograd operation ({@link RecurrentOps#layer}): one GEMM for the
 * input projection of all steps, a GEMM and a fused kernel per step, backpropagation through time in its
 * backward.
 */
public abstract class RNNBase extends Module {
    /**
     * The output sequence and the final states: {@code h (L D, B, H)} and, for the LSTM, {@code c} of the
     * same shape (null for RNN and GRU). For unbatched input the batch dimension is absent from all three.
     */
    public record Output(Tensor output, Tensor h, Tensor c) {}

    private final Cell cell;
    private final int inputSize, hiddenSize, numLayers;
    private final boolean bias, batchFirst, bidirectional;
    private final float dropout;
    private final Generator generator;
    /** Per layer and direction (index {@code layer * D + direction}): weight_ih, weight_hh, bias_ih, bias_hh. */
    private final List<Tensor[]> weights = new ArrayList<>();

    protected RNNBase(Cell cell, int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst,
                      float dropout, boolean bidirectional, Generator generator) {
        String type = cell == Cell.LSTM ? "LSTM" : cell == Cell.GRU ? "GRU" : "RNN";
        if (inputSize < 0) {
            throw new IllegalArgumentException(type + ": input_size = " + inputSize + " must be >= 0");
        }
        if (hiddenSize <= 0) {
            throw new IllegalArgumentException(type + ": hidden_size should be greater than zero, got " + hiddenSize);
        }
        if (numLayers <= 0) {
            throw new IllegalArgumentException(type + ": num_layers should be greater than zero, got " + numLayers);
        }
        if (!(dropout >= 0 && dropout <= 1)) {
            throw new IllegalArgumentException(type + ": dropout should be a number in range [0, 1] representing the "
                    + "probability of an element being zeroed, got " + dropout);
        }
        this.cell = cell;
        this.inputSize = inputSize;
        this.hiddenSize = hiddenSize;
        this.numLayers = numLayers;
        this.bias = bias;
        this.batchFirst = batchFirst;
        this.dropout = dropout;
        this.bidirectional = bidirectional;
        this.generator = generator == null ? Generator.defaultGenerator() : generator;
        int dirs = bidirectional ? 2 : 1, gh = cell.gates() * hiddenSize;
        float bound = (float) (1 / Math.sqrt(hiddenSize));
        synchronized (this.generator) {
            for (int layer = 0; layer < numLayers; layer++) {
                int in = layer == 0 ? inputSize : dirs * hiddenSize;
                for (int d = 0; d < dirs; d++) {
                    String suffix = "_l" + layer + (d == 1 ? "_reverse" : "");
                    Tensor[] w = new Tensor[4];
                    w[0] = registerParameter("weight_ih" + suffix, uniform(bound, gh, in));
                    w[1] = registerParameter("weight_hh" + suffix, uniform(bound, gh, hiddenSize));
                    if (bias) {
                        w[2] = registerParameter("bias_ih" + suffix, uniform(bound, gh));
                        w[3] = registerParameter("bias_hh" + suffix, uniform(bound, gh));
                    }
                    weights.add(w);
                }
            }
        }
    }

    private Tensor uniform(float bound, int... shape) {
        return Init.uniform(Tensor.zeros(shape), -bound, bound, generator);
    }

    /** The output sequence only ({@code output} of {@link #forward(Tensor, Tensor, Tensor)} with zero initial states). */
    @Override
    public Tensor forward(Tensor input) {
        return run(input, null, null).output();
    }

    /** The whole computation; {@code c0} only for the LSTM. Null states are zeros. */
    protected Output run(Tensor input, Tensor h0, Tensor c0) {
        String type = typeName();
        int dirs = bidirectional ? 2 : 1, states = numLayers * dirs;
        if (input == null || (input.dim() != 2 && input.dim() != 3)) {
            throw new IllegalArgumentException(type + ": expected a 2-D (unbatched) or 3-D (batched) input, got "
                    + (input == null ? "null" : "shape " + Arrays.toString(input.shape())));
        }
        boolean batched = input.dim() == 3;
        if (input.size(-1) != inputSize) {
            throw new IllegalArgumentException(type + ": input.size(-1) must be equal to input_size. Expected "
                    + inputSize + ", got " + input.size(-1) + " (input shape " + Arrays.toString(input.shape()) + ")");
        }
        Tensor x = batched ? (batchFirst ? input.transpose(0, 1) : input) : input.unsqueeze(1);
        int batch = x.size(1);
        int[] stateShape = batched ? new int[] {states, batch, hiddenSize} : new int[] {states, hiddenSize};
        checkState(type, "h0", h0, stateShape, batched);
        checkState(type, "c0", c0, stateShape, batched);
        Tensor h = h0 == null ? null : (batched ? h0 : h0.unsqueeze(1));
        Tensor c = c0 == null ? null : (batched ? c0 : c0.unsqueeze(1));
        Tensor[] hn = new Tensor[states], cn = cell == Cell.LSTM ? new Tensor[states] : null;
        for (int layer = 0; layer < numLayers; layer++) {
            Tensor[] outs = new Tensor[dirs];
            for (int d = 0; d < dirs; d++) {
                int idx = layer * dirs + d;
                Tensor[] w = weights.get(idx);
                RecurrentOps.LayerOutput r = RecurrentOps.layer(cell, x, h == null ? null : h.select(0, idx),
                        c == null ? null : c.select(0, idx), w[0], w[1], w[2], w[3], d == 1);
                outs[d] = r.output();
                hn[idx] = r.h();
                if (cn != null) {
                    cn[idx] = r.c();
                }
            }
            x = dirs == 1 ? outs[0] : Tensor.cat(2, outs);
            if (dropout > 0 && isTraining() && layer < numLayers - 1) {
                x = F.dropout(x, dropout, true, generator);
            }
        }
        Tensor output = batched ? (batchFirst ? x.transpose(0, 1) : x) : x.squeeze(1);
        Tensor hOut = Tensor.stack(0, hn), cOut = cn == null ? null : Tensor.stack(0, cn);
        if (!batched) {
            hOut = hOut.squeeze(1);
            cOut = cOut == null ? null : cOut.squeeze(1);
        }
        return new Output(output, hOut, cOut);
    }

    private static void checkState(String type, String name, Tensor s, int[] shape, boolean batched) {
        if (s != null && !Arrays.equals(s.shape(), shape)) {
            throw new IllegalArgumentException(type + ": expected " + name + " of shape " + Arrays.toString(shape)
                    + (batched ? " = (num_layers * num_directions, batch, hidden_size)" : " = (num_layers * num_directions, hidden_size) for unbatched input")
                    + ", got " + Arrays.toString(s.shape()));
        }
    }

    /** The weights of one layer and direction: weight_ih, weight_hh, bias_ih, bias_hh (null without bias). */
    public Tensor[] layerWeights(int layer, boolean reverse) {
        if (layer < 0 || layer >= numLayers || (reverse && !bidirectional)) {
            throw new IllegalArgumentException(typeName() + ": no layer " + layer + (reverse ? " in reverse" : "")
                    + " (num_layers = " + numLayers + ", bidirectional = " + bidirectional + ")");
        }
        return weights.get(layer * (bidirectional ? 2 : 1) + (reverse ? 1 : 0)).clone();
    }

    public int inputSize() {
        return inputSize;
    }

    public int hiddenSize() {
        return hiddenSize;
    }

    public int numLayers() {
        return numLayers;
    }

    public boolean hasBias() {
        return bias;
    }

    public boolean batchFirst() {
        return batchFirst;
    }

    public boolean bidirectional() {
        return bidirectional;
    }

    public float dropout() {
        return dropout;
    }

    @Override
    protected String extraRepr() {
        StringBuilder s = new StringBuilder().append(inputSize).append(", ").append(hiddenSize);
        if (numLayers != 1) {
            s.append(", num_layers=").append(numLayers);
        }
        if (cell == Cell.RNN_RELU) {
            s.append(", nonlinearity='relu'");
        }
        if (!bias) {
            s.append(", bias=False");
        }
        if (batchFirst) {
            s.append(", batch_first=True");
        }
        if (dropout != 0) {
            s.append(", dropout=").append(pythonFloat(dropout));
        }
        if (bidirectional) {
            s.append(", bidirectional=True");
        }
        return s.toString();
    }
}
