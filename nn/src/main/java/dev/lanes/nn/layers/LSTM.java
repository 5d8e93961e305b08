package dev.lanes.nn.layers;

import dev.lanes.nn.Generator;
import dev.lanes.nn.RecurrentOps.Cell;
import dev.lanes.nn.Tensor;

/**
 * {@code torch.nn.LSTM}: a multi-layer long short-term memory network. Per step, with PyTorch's gate order
 * {@code (i, f, g, o)}: {@code i, f, o = sigmoid(W_i* x + b_i* + W_h* h + b_h*)}, {@code g = tanh(...)},
 * {@code c' = f c + i g}, {@code h' = o tanh(c')}. Options, shapes and parameter names as PyTorch's
 * (see {@link RNNBase}); {@code proj_size} is not supported.
 *
 * <pre>{@code
 * LSTM lstm = new LSTM(64, 256, 2, true, true, 0f, false, null);   // batch first
 * LSTM.Output out = lstm.forward(x, null, null);                   // x (B, T, 64)
 * Tensor y = out.output();                                         // (B, T, 256)
 * }</pre>
 */
public class LSTM extends RNNBase {
    /** One layer, with biases, time first, no dropout, one direction. */
    public LSTM(int inputSize, int hiddenSize) {
        this(inputSize, hiddenSize, 1, true, false, 0f, false, null);
    }

    public LSTM(int inputSize, int hiddenSize, int numLayers) {
        this(inputSize, hiddenSize, numLayers, true, false, 0f, false, null);
    }

    /** All of PyTorch's options; weights drawn from {@code generator} (null: the default generator). */
    public LSTM(int inputSize, int hiddenSize, int numLayers, boolean bias, boolean batchFirst, float dropout,
                boolean bidirectional, Generator generator) {
        super(Cell.LSTM, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, generator);
    }

    /**
     * {@code lstm(input, (h0, c0))}: the output sequence and the final hidden and cell states. {@code h0} and
     * {@code c0} are {@code (L D, B, H)}, or null for zeros.
     */
    public Output forward(Tensor input, Tensor h0, Tensor c0) {
        return run(input, h0, c0);
    }
}
