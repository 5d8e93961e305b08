package dev.lanes.nn;

import dev.lanes.kernels.Activation;
import dev.lanes.kernels.Elementwise;
import dev.lanes.kernels.Gemm;
import dev.lanes.kernels.Recurrent;
import dev.lanes.kernels.Reductions;

/**
 * Recurrent layers as single autograd operations: one direction of one layer of {@code torch.nn.RNN},
 * {@code LSTM} or {@code GRU} over a whole sequence is one node of the graph, with backpropagation through
 * time written out in its backward. The modules {@code dev.lanes.nn.layers.RNN}, {@code LSTM}, {@code GRU}
 * and their cells stack these.
 *
 * <p>Forward: one GEMM projects the inputs of all {@code T * B} time steps at once ({@code X W_ih^T + b_ih});
 * then, per step, one GEMM projects the previous hidden state ({@code h W_hh^T + b_hh}) and one fused
 * {@link Recurrent} kernel applies the gate non-linearities and the state update. Backward, per step in
 * reverse: the fused backward kernel gives the gates' gradients and one GEMM carries them to the previous
 * hidden state ({@code dG W_hh}; {@code W_hh} is packed for the GEMM engine once per pass, not per step); after the loop, one GEMM each gives {@code dW_ih = dG^T X},
 * {@code dW_hh = dG^T H_prev} and {@code dX = dG W_ih} over all steps, and column sums give the bias
 * gradients. Everything the backward needs (the gates' activations and every hidden and cell state) is
 * kept from the forward, nothing is recomputed; per-step buffers are allocated once per call.
 *
 * <p>Definitions are PyTorch's, gate order included: LSTM {@code (i, f, g, o)}, GRU {@code (r, z, n)} with
 * {@code n = tanh(W_in x + b_in + r * (W_hn h + b_hn))}.
 */
public final class RecurrentOps {
    private RecurrentOps() {}

    /** The recurrent cell: its number of gates and PyTorch's {@code mode} name. */
    public enum Cell {
        /** {@code h' = tanh(W_ih x + b_ih + W_hh h + b_hh)}. */
        RNN_TANH(1),
        /** {@code h' = relu(W_ih x + b_ih + W_hh h + b_hh)}. */
        RNN_RELU(1),
        /** Long short-term memory, gates {@code i, f, g, o}. */
        LSTM(4),
        /** Gated recurrent unit, gates {@code r, z, n}. */
        GRU(3);

        private final int gates;

        Cell(int gates) {
            this.gates = gates;
        }

        /** Gates per hidden unit: the weights have {@code gates() * hiddenSize} rows. */
        public int gates() {
            return gates;
        }
    }

    /**
     * The result of one layer direction: the hidden state at every step {@code output (T, B, H)}, the final
     * hidden state {@code h (B, H)} and, for the LSTM, the final cell state {@code c (B, H)} (else null).
     * For a reverse direction, {@code output[t]} is the state after reading steps {@code T-1 .. t} and
     * {@code h} is {@code output[0]}.
     */
    public record LayerOutput(Tensor output, Tensor h, Tensor c) {}

    /**
     * Runs one direction of one recurrent layer over a sequence.
     *
     * @param cell    the cell type
     * @param input   {@code (T, B, in)}, time first; {@code T >= 1}
     * @param h0      initial hidden state {@code (B, H)}, or null for zeros
     * @param c0      initial cell state {@code (B, H)} (LSTM only), or null for zeros
     * @param wIh     {@code weight_ih}: {@code (G H, in)}
     * @param wHh     {@code weight_hh}: {@code (G H, H)}
     * @param bIh     {@code bias_ih}: {@code (G H)}, or null
     * @param bHh     {@code bias_hh}: {@code (G H)}, or null
     * @param reverse run from step {@code T-1} down to 0 (the backward direction of a bidirectional layer)
     */
    public static LayerOutput layer(Cell cell, Tensor input, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh,
                                    Tensor bIh, Tensor bHh, boolean reverse) {
        String op = name(cell);
        if (cell == null) {
            throw new IllegalArgumentException("RecurrentOps.layer: cell is null");
        }
        if (input == null || input.dim() != 3) {
            throw new IllegalArgumentException(op + ": input must be 3-D (seq_len, batch, input_size), got "
                    + (input == null ? "null" : "shape " + Shapes.str(input.shape())));
        }
        if (wIh == null || wHh == null || wIh.dim() != 2 || wHh.dim() != 2) {
            throw new IllegalArgumentException(op + ": weight_ih and weight_hh must be 2-D, got "
                    + shapeOf(wIh) + " and " + shapeOf(wHh));
        }
        int steps = input.size(0), batch = input.size(1), in = input.size(2);
        int gh = wHh.size(0), hidden = wHh.size(1), gates = cell.gates();
        if (gh != gates * hidden) {
            throw new IllegalArgumentException(op + ": weight_hh of shape " + Shapes.str(wHh.shape()) + " must be ("
                    + gates + " * hidden_size, hidden_size) = (" + gates * hidden + ", " + hidden + ")");
        }
        if (wIh.size(0) != gh || wIh.size(1) != in) {
            throw new IllegalArgumentException(op + ": input of shape " + Shapes.str(input.shape()) + " needs weight_ih of shape ("
                    + gh + ", " + in + "), got " + Shapes.str(wIh.shape()));
        }
        checkVector(op, "bias_ih", bIh, gh);
        checkVector(op, "bias_hh", bHh, gh);
        checkState(op, "h0", h0, batch, hidden);
        if (c0 != null && cell != Cell.LSTM) {
            throw new IllegalArgumentException(op + ": only an LSTM takes an initial cell state c0");
        }
        checkState(op, "c0", c0, batch, hidden);
        if (steps == 0) {
            throw new IllegalArgumentException(op + ": expected a sequence length larger than 0, got input of shape "
                    + Shapes.str(input.shape()));
        }
        long projSize = (long) steps * batch * Math.max(gh, 4L * hidden);
        long stateSize = 2L * (steps + 1) * batch * hidden;
        if (projSize > Integer.MAX_VALUE || stateSize > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": input of shape " + Shapes.str(input.shape()) + " with hidden_size "
                    + hidden + " needs buffers past any Java array");
        }

        final boolean lstm = cell == Cell.LSTM, gru = cell == Cell.GRU, relu = cell == Cell.RNN_RELU;
        final int bh = batch * hidden, rows = steps * batch, rowG = batch * gh;
        final Tensor xc = input.contiguous(), wi = wIh.contiguous(), wh = wHh.contiguous();
        final Tensor bi = bIh == null ? null : bIh.contiguous(), bhh = bHh == null ? null : bHh.contiguous();

        // x W_ih^T + b_ih for every step: one GEMM.
        final float[] xg = new float[rows * gh];
        project(rows, gh, in, xc.data, xc.offset, wi, bi, xg, 0);

        // All hidden states in time order, (T + 1) slots of B x H, then (LSTM) all cell states likewise. The
        // initial state takes the slot before the first step read: slot 0 forward, slot T in reverse; the
        // step at time t reads slot hp(t) and writes ho(t). The outputs are then the contiguous slots
        // 1..T (forward) or 0..T-1 (reverse), and so are the previous states of all steps in time order.
        final int cBase = (steps + 1) * bh;
        final float[] state = new float[(lstm ? 2 : 1) * cBase];
        final int initial = reverse ? steps : 0, last = reverse ? 0 : steps;
        if (h0 != null) {
            Tensor h0c = h0.contiguous();
            System.arraycopy(h0c.data, h0c.offset, state, initial * bh, bh);
        }
        if (c0 != null) {
            Tensor c0c = c0.contiguous();
            System.arraycopy(c0c.data, c0c.offset, state, cBase + initial * bh, bh);
        }
        // LSTM gates overwrite the input projection in place; the GRU keeps r, z, n and hn per step.
        final float[] saved = lstm ? xg : gru ? new float[rows * 4 * hidden] : null;
        final float[] hg = new float[rowG];
        // W_hh^T is packed once for all steps: a GEMM would otherwise repack it at every step (1 MB for an
        // LSTM with 256 units, about as long as the product itself at batch 32).
        Gemm.PackedB whT = Gemm.packB(true, hidden, gh, wh.data, wh.offset, Math.max(1, hidden));
        for (int s = 0; s < steps; s++) {
            int t = reverse ? steps - 1 - s : s;
            int hp = reverse ? t + 1 : t, ho = reverse ? t : t + 1;
            Gemm.sgemmPacked(batch, 1f, state, hp * bh, Math.max(1, hidden), whT, 0f, hg, 0, Math.max(1, gh),
                    bhh == null ? null : bhh.data, bhh == null ? 0 : bhh.offset);
            switch (cell) {
                case LSTM -> Recurrent.lstmForward(batch, hidden, xg, t * rowG, hg, 0, state, cBase + hp * bh,
                        xg, t * rowG, state, cBase + ho * bh, state, ho * bh);
                case GRU -> Recurrent.gruForward(batch, hidden, xg, t * rowG, hg, 0, state, hp * bh,
                        saved, t * batch * 4 * hidden, state, ho * bh);
                case RNN_TANH, RNN_RELU -> Recurrent.rnnForward(batch, hidden, relu, xg, t * rowG, hg, 0,
                        state, ho * bh);
            }
        }

        Tensor packed = new Tensor(state, 0, new int[] {state.length}, new int[] {1});
        packed = Tensor.result(packed, backwardName(cell), g -> {
            Tensor gc = g.contiguous();
            float[] gd = gc.data;
            int go = gc.offset;
            float[] dxg = new float[rows * gh];
            float[] dhg = gru ? new float[rows * gh] : dxg; // the LSTM's and RNN's gates feed both projections alike
            float[] dh = new float[bh];
            float[] dc = lstm ? new float[bh] : null;
            float[] direct = gru ? new float[bh] : null; // the GRU's dh z path to the previous state
            float[] sumBi = bIh != null && bIh.requiresGrad() ? new float[gh] : null;
            float[] sumBh = bHh != null && bHh.requiresGrad() ? new float[gh] : null;
            float[] stepSums = sumBi != null || sumBh != null ? new float[gh] : null;
            if (lstm) {
                System.arraycopy(gd, go + cBase + last * bh, dc, 0, bh);
            }
            Gemm.PackedB whp = Gemm.packB(false, gh, hidden, wh.data, wh.offset, Math.max(1, hidden));
            for (int s = steps - 1; s >= 0; s--) {
                int t = reverse ? steps - 1 - s : s;
                int hp = reverse ? t + 1 : t, ho = reverse ? t : t + 1;
                System.arraycopy(gd, go + ho * bh, dh, 0, bh);
                if (s < steps - 1) { // the gradient the step read after this one sends back through h
                    int next = reverse ? t - 1 : t + 1;
                    recurrentGrad(batch, gh, hidden, dhg, next * rowG, whp, direct, dh);
                }
                switch (cell) {
                    case LSTM -> Recurrent.lstmBackward(batch, hidden, xg, t * rowG, state, cBase + hp * bh,
                            state, cBase + ho * bh, dh, 0, dc, 0, dxg, t * rowG, dc, 0);
                    case GRU -> Recurrent.gruBackward(batch, hidden, saved, t * batch * 4 * hidden, state, hp * bh,
                            dh, 0, dxg, t * rowG, dhg, t * rowG, direct, 0);
                    case RNN_TANH, RNN_RELU -> Recurrent.rnnBackward(batch, hidden, relu, state, ho * bh, dh, 0,
                            dxg, t * rowG);
                }
                // The bias gradients, summed step by step while the step's gate gradients are in cache (one
                // pass down all T B rows afterwards reads a column strip per row, a cache miss per row).
                if (sumBi != null) {
                    addColumnSums(batch, gh, dxg, t * rowG, stepSums, sumBi);
                }
                if (sumBh != null && dhg != dxg) {
                    addColumnSums(batch, gh, dhg, t * rowG, stepSums, sumBh);
                }
            }
            Tensor dh0 = null, dc0 = null, dx = null, dwi = null, dwh = null, dbi = null, dbh = null;
            if (h0 != null && h0.requiresGrad()) {
                dh0 = Tensor.zeros(batch, hidden);
                int first = reverse ? steps - 1 : 0;
                recurrentGrad(batch, gh, hidden, dhg, first * rowG, whp, direct, dh0.data);
            }
            if (c0 != null && c0.requiresGrad()) {
                dc0 = new Tensor(dc, 0, new int[] {batch, hidden}, new int[] {hidden, 1});
            }
            if (input.requiresGrad()) {
                dx = Tensor.zeros(steps, batch, in);
                Gemm.sgemm(false, false, rows, in, gh, 1f, dxg, 0, Math.max(1, gh), wi.data, wi.offset, Math.max(1, in),
                        0f, dx.data, 0, Math.max(1, in));
            }
            if (wIh.requiresGrad()) {
                dwi = Tensor.zeros(gh, in);
                Gemm.sgemm(true, false, gh, in, rows, 1f, dxg, 0, Math.max(1, gh), xc.data, xc.offset, Math.max(1, in),
                        0f, dwi.data, 0, Math.max(1, in));
            }
            if (wHh.requiresGrad()) {
                dwh = Tensor.zeros(gh, hidden);
                int prev = (reverse ? 1 : 0) * bh; // the previous states of steps 0..T-1, in time order
                Gemm.sgemm(true, false, gh, hidden, rows, 1f, dhg, 0, Math.max(1, gh), state, prev, Math.max(1, hidden),
                        0f, dwh.data, 0, Math.max(1, hidden));
            }
            if (sumBi != null) {
                dbi = new Tensor(sumBi, 0, new int[] {gh}, new int[] {1});
            }
            if (sumBh != null) { // the LSTM's and RNN's are the same sums as bias_ih's
                dbh = new Tensor(dhg == dxg ? columnSumsOf(rows, gh, dxg, sumBi) : sumBh, 0, new int[] {gh}, new int[] {1});
            }
            return new Tensor[] {dx, dwi, dwh, dbi, dbh, dh0, dc0};
        }, input, wIh, wHh, bIh, bHh, h0, c0);

        int outStart = (reverse ? 0 : 1) * bh;
        Tensor output = part(packed, outStart, steps, batch, hidden);
        Tensor h = part(packed, last * bh, batch, hidden);
        Tensor c = lstm ? part(packed, cBase + last * bh, batch, hidden) : null;
        return new LayerOutput(output, h, c);
    }

    /**
     * A contiguous view of {@code shape} into the flat {@code packed} result from {@code start}; its backward
     * places the gradient into a zero gradient of the whole (a slice and a view would do the same through the
     * general strided copy, a few times slower on the megabytes of a long sequence).
     */
    private static Tensor part(Tensor packed, int start, int... shape) {
        Tensor v = new Tensor(packed.data, start, shape, Shapes.contiguousStrides(shape));
        int total = packed.numel();
        return Tensor.result(v, "SliceBackward", g -> {
            Tensor gc = g.contiguous();
            float[] full = new float[total];
            System.arraycopy(gc.data, gc.offset, full, start, gc.numel());
            return new Tensor[] {new Tensor(full, 0, new int[] {total}, new int[] {1})};
        }, packed);
    }

    /**
     * One time step of a cell ({@code nn.RNNCell}, {@code LSTMCell}, {@code GRUCell}): {@code input (B, in)},
     * states {@code (B, H)} or null for zeros; returns the new {@code h} and (LSTM) {@code c} in a
     * {@link LayerOutput} whose {@code output} is {@code h} with a leading dimension of 1.
     */
    public static LayerOutput cell(Cell cell, Tensor input, Tensor h, Tensor c, Tensor wIh, Tensor wHh,
                                   Tensor bIh, Tensor bHh) {
        if (input == null || input.dim() != 2) {
            throw new IllegalArgumentException(name(cell) + " cell: input must be 2-D (batch, input_size), got "
                    + (input == null ? "null" : "shape " + Shapes.str(input.shape())));
        }
        return layer(cell, input.unsqueeze(0), h, c, wIh, wHh, bIh, bHh, false);
    }

    /** {@code out[rows x n] = a[rows x k] W^T + bias} with {@code W (n x k)}; bias may be null. */
    private static void project(int rows, int n, int k, float[] a, int aOff, Tensor w, Tensor bias, float[] out, int outOff) {
        Gemm.sgemmFused(false, true, rows, n, k, 1f, a, aOff, Math.max(1, k), w.data, w.offset, Math.max(1, k),
                0f, out, outOff, Math.max(1, n), bias == null ? null : bias.data, bias == null ? 0 : bias.offset,
                Activation.IDENTITY);
    }

    /** {@code sums += column sums of the rows x cols block at off}, through the scratch row {@code step}. */
    private static void addColumnSums(int rows, int cols, float[] x, int off, float[] step, float[] sums) {
        Reductions.columnSums(rows, cols, x, off, step, 0);
        Elementwise.axpy(cols, 1f, step, 0, sums, 0);
    }

    /** A copy of {@code done} when the sums were already taken, else the column sums of the whole block. */
    private static float[] columnSumsOf(int rows, int cols, float[] x, float[] done) {
        if (done != null) {
            return done.clone();
        }
        float[] sums = new float[cols];
        Reductions.columnSums(rows, cols, x, 0, sums, 0);
        return sums;
    }

    /** {@code dh += dG W_hh} (plus the GRU's direct path {@code direct}) for one step's gate gradients. */
    private static void recurrentGrad(int batch, int gh, int hidden, float[] dG, int dGOff, Gemm.PackedB wh,
                                      float[] direct, float[] dh) {
        if (direct != null) {
            for (int i = 0; i < direct.length; i++) {
                dh[i] += direct[i];
            }
        }
        Gemm.sgemmPacked(batch, 1f, dG, dGOff, Math.max(1, gh), wh, 1f, dh, 0, Math.max(1, hidden), null, 0);
    }

    private static String name(Cell cell) {
        return cell == null ? "recurrent layer" : switch (cell) {
            case RNN_TANH -> "RNN_TANH";
            case RNN_RELU -> "RNN_RELU";
            case LSTM -> "LSTM";
            case GRU -> "GRU";
        };
    }

    private static String backwardName(Cell cell) {
        return switch (cell) {
            case RNN_TANH -> "RnnTanhBackward";
            case RNN_RELU -> "RnnReluBackward";
            case LSTM -> "LstmBackward";
            case GRU -> "GruBackward";
        };
    }

    private static String shapeOf(Tensor t) {
        return t == null ? "null" : Shapes.str(t.shape());
    }

    private static void checkVector(String op, String name, Tensor v, int size) {
        if (v != null && (v.dim() != 1 || v.size(0) != size)) {
            throw new IllegalArgumentException(op + ": " + name + " must have shape (" + size + "), got " + Shapes.str(v.shape()));
        }
    }

    private static void checkState(String op, String name, Tensor s, int batch, int hidden) {
        if (s != null && (s.dim() != 2 || s.size(0) != batch || s.size(1) != hidden)) {
            throw new IllegalArgumentException(op + ": expected " + name + " of shape (" + batch + ", " + hidden
                    + ") = (batch, hidden_size), got " + Shapes.str(s.shape()));
        }
    }
}
