package dev.lanes.nn;

import dev.lanes.kernels.Elementwise;
import dev.lanes.kernels.Gemm;
import dev.lanes.kernels.Recurrent;
import dev.lanes.kernels.Reductions;
import dev.lanes.kernels.Threads;
import java.lang.ref.SoftReference;
import java.util.Arrays;

/**
 * Recurrent layers as single autograd operations: one direction of one layer of {@code torch.nn.RNN},
 * {@code LSTM} or {@code GRU} over a whole sequence is one node of the graph, with backpropagation through
 * time written out in its backward. The modules {@code dev.lanes.nn.layers.RNN}, {@code LSTM}, {@code GRU}
 * and their cells stack these.
 *
 * <p>The rows of a batch are independent sequences, so the work runs on fixed parts of the batch (one part
 * per 16 rows, at most 8), each part one task on the {@code Threads} pool from start to end of a pass: the
 * threads meet once per pass, not at every step or GEMM. The parts depend on the batch size only, and
 * results have the same bits on any thread count. A single part's big GEMMs run on all threads instead.
 *
 * <p>Forward, per part: a GEMM projects the part's inputs a few steps ahead of the time loop
 * ({@code X W_ih^T + b_ih}, plus {@code b_hh} when both biases are given, but for the GRU, into a buffer that
 * stays in cache); per step, one GEMM projects the previous hidden state ({@code h W_hh^T}, plus {@code b_hh}
 * where the projection does not have it; {@code W_hh} is
 * packed for the GEMM engine once per pass) and one fused {@link Recurrent} kernel applies the gate
 * non-linearities and the state update. Backward, per part and per step in reverse: the fused backward
 * kernel gives the gates' gradients and one GEMM carries them to the previous hidden state
 * ({@code dG W_hh}); after the loop, one GEMM over the part's {@code [X | H_prev]} gives its share of
 * {@code [dW_ih | dW_hh] = dG^T [X | H_prev]} (two for the GRU, whose two projections have different
 * gates' gradients), one more {@code dX = dG W_ih}; the parts' shares and column sums of the gates'
 * gradients (the bias gradients) are added in part order. Everything the backward needs (the gates'
 * activations and every hidden and cell state) is kept from the forward, nothing is recomputed; the large
 * buffers that live for one call only (the gates' gradients, {@code [X | H_prev]}, the projections ahead)
 * are per-thread scratch, which each thread keeps, softly referenced, at the largest size it needed.
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

        return new Run(cell, input, h0, c0, wIh, wHh, bIh, bHh, reverse).run();
    }

    /**
     * One call of {@link #layer}: the shapes, the contiguous weights, the packed weights and the buffers its
     * forward writes and its backward reads. The forward runs in {@link #forwardPart}, one task per part of
     * the batch (see the class comment for why parts); each backward pass is a {@link Backward}. The
     * backward's closure keeps this object, so what only the forward needs (the packed weights, the step's
     * hidden projection) is not a field: it lives for the forward only.
     */
    private static final class Run {
        final Cell cell;
        final boolean lstm, gru, relu, reverse, recorded;
        final Tensor input, h0, c0, wIh, wHh, bIh, bHh;
        final Tensor xc, wi, wh;
        final int steps, batch, in, hidden, gh, bh, rows, cBase, parts;
        /**
         * All hidden states in time order, (T + 1) slots of B x H, then (LSTM) the cell states likewise (two
         * slots taking turns when there is no backward: see {@link #cSlot}). The
         * initial state takes the slot before the first step read: slot 0 forward, slot T in reverse; the
         * step at time t reads slot hp(t) and writes ho(t). The outputs are then the contiguous slots
         * 1..T (forward) or 0..T-1 (reverse), and so are the previous states of all steps in time order.
         */
        final float[] state;
        /** The GRU's r, z, n and hn per step (the LSTM keeps its activated gates per part: {@link #keptGates}). */
        final float[] saved;
        /** The LSTM's activated gates of all steps, one array per part (allocated in its task, so the parts zero their arrays in parallel). */
        final float[][] keptGates;
        /**
         * The biases of the input projection and of the steps' GEMMs. The LSTM and RNN add both biases to the
         * same pre-activation, so b_ih + b_hh, summed once, goes into the input projection and the steps' GEMMs
         * add no bias: one pass over each step's gates fewer (2 % of a no-grad forward of LSTM(64->256), T 100,
         * B 32). The four terms are summed in another order than PyTorch's, well inside the fixtures'
         * tolerance. The GRU's b_hn sits inside r * (W_hn h + b_hn), so its steps keep b_hh.
         */
        final float[] projBias, stepBias;
        final int projBiasOff, stepBiasOff;

        Run(Cell cell, Tensor input, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh, Tensor bIh, Tensor bHh,
            boolean reverse) {
            this.cell = cell;
            this.input = input;
            this.h0 = h0;
            this.c0 = c0;
            this.wIh = wIh;
            this.wHh = wHh;
            this.bIh = bIh;
            this.bHh = bHh;
            this.reverse = reverse;
            lstm = cell == Cell.LSTM;
            gru = cell == Cell.GRU;
            relu = cell == Cell.RNN_RELU;
            steps = input.size(0);
            batch = input.size(1);
            in = input.size(2);
            gh = wHh.size(0);
            hidden = wHh.size(1);
            bh = batch * hidden;
            rows = steps * batch;
            xc = input.contiguous();
            wi = wIh.contiguous();
            wh = wHh.contiguous();
            recorded = GradMode.isEnabled() && anyRequiresGrad(input, wIh, wHh, bIh, bHh, h0, c0);

            cBase = (steps + 1) * bh;
            state = new float[cBase + (lstm ? (recorded ? steps + 1 : 2) : 0) * bh];
            int initial = reverse ? steps : 0;
            if (h0 != null) {
                Tensor h0c = h0.contiguous();
                System.arraycopy(h0c.data, h0c.offset, state, initial * bh, bh);
            }
            if (c0 != null) {
                Tensor c0c = c0.contiguous();
                System.arraycopy(c0c.data, c0c.offset, state, cSlot(initial), bh);
            }
            saved = gru ? new float[rows * 4 * hidden] : null;
            parts = parts(batch);
            keptGates = new float[parts][];

            Tensor bi = bIh == null ? null : bIh.contiguous(), bhh = bHh == null ? null : bHh.contiguous();
            if (!gru && bi != null && bhh != null) {
                projBias = new float[gh];
                for (int j = 0; j < gh; j++) {
                    projBias[j] = bi.data[bi.offset + j] + bhh.data[bhh.offset + j];
                }
                projBiasOff = 0;
                stepBias = null;
                stepBiasOff = 0;
            } else {
                projBias = bi == null ? null : bi.data;
                projBiasOff = bi == null ? 0 : bi.offset;
                stepBias = bhh == null ? null : bhh.data;
                stepBiasOff = bhh == null ? 0 : bhh.offset;
            }
        }

        /** Runs the forward and returns the outputs, whose backward is a {@link Backward} pass. */
        LayerOutput run() {
            // W_hh^T and W_ih^T are packed once for all steps: a GEMM would otherwise repack W_hh at every step
            // (1 MB for an LSTM with 256 units, about as long as the product itself at batch 32). hg holds each
            // step's hidden projection, the parts' rows side by side.
            Gemm.PackedB whT = Gemm.packB(true, hidden, gh, wh.data, wh.offset, Math.max(1, hidden));
            Gemm.PackedB wiT = Gemm.packB(true, in, gh, wi.data, wi.offset, Math.max(1, in));
            float[] hg = new float[batch * gh];
            Threads.parallelFor(parts, p -> forwardPart(p, whT, wiT, hg));

            // The op has three outputs (output, h, c) and a graph node has one result. So the op's node has a
            // one-float placeholder result, and each output is a view node over the states whose backward puts
            // its gradient in a slot and hands the op's node a placeholder gradient. The op's node comes after
            // all three in reverse topological order and takes the slots of its pass (none: no gradient). (A
            // gradient the size of all states, zero but for the outputs, cost a 6.6 MB allocation and copy per
            // backward of a 100-step LSTM with 256 units at batch 32.)
            Slots slots = new Slots();
            String name = backwardName(cell);
            Tensor node = Tensor.result(new Tensor(new float[1], 0, new int[] {1}, new int[] {1}), name,
                    ignored -> new Backward(slots.take()).run(), input, wIh, wHh, bIh, bHh, h0, c0);
            int last = reverse ? 0 : steps;
            Tensor output = output(node, slots, 0, name, state, (reverse ? 0 : 1) * bh, steps, batch, hidden);
            Tensor h = output(node, slots, 1, name, state, last * bh, batch, hidden);
            Tensor c = lstm ? output(node, slots, 2, name, state, cSlot(last), batch, hidden) : null;
            return new LayerOutput(output, h, c);
        }

        /**
         * Where the LSTM's cell state slot {@code slot} starts in {@link #state}. Without a backward only the
         * last cell state is read after the forward, so two slots take turns (3.3 MB less to zero and write for
         * 100 steps of 256 units at batch 32); with one, every step's is kept.
         */
        int cSlot(int slot) {
            return cBase + (recorded ? slot : slot & 1) * bh;
        }

        /** The first batch row of part {@code p}. */
        int partStart(int p) {
            return RecurrentOps.partStart(batch, parts, p);
        }

        /** The number of batch rows of part {@code p}. */
        int partRows(int p) {
            return partStart(p + 1) - partStart(p);
        }

        /**
         * The forward of part {@code p}: the input projection {@code X W_ih^T} plus {@link #projBias}, computed
         * a few steps ahead into a per-thread buffer of about 256 KB that stays in L2 until the steps read it
         * (written whole for all steps, it went out to memory and came back: 26 MB of traffic per 100-step LSTM
         * with 256 units at batch 32, zeroing included), then the time loop: per step one GEMM
         * {@code h W_hh^T} (plus {@link #stepBias}) into the part's rows of {@code hg}, and the cell's fused
         * kernel.
         */
        void forwardPart(int p, Gemm.PackedB whT, Gemm.PackedB wiT, float[] hg) {
            int r0 = partStart(p), rs = partRows(p);
            int sOff = r0 * hidden, gOff = r0 * gh, stepG = rs * gh;
            int chunk = Math.max(1, Math.min(steps, PROJECTION_CHUNK_FLOATS / Math.max(1, stepG)));
            float[] proj = Scratch.floats(Scratch.PROJECTION, chunk * (stepG + rs * in)); // then the gathered inputs
            int xOff = chunk * stepG, tLo = 0;
            float[] saveGates = lstm && recorded ? (keptGates[p] = new float[steps * stepG]) : null;
            for (int s = 0; s < steps; s++) {
                int t = reverse ? steps - 1 - s : s;
                int hp = reverse ? t + 1 : t, ho = reverse ? t : t + 1;
                if (s % chunk == 0) { // the next steps' projections: steps tLo .. tLo + n - 1, this part's rows
                    int n = Math.min(chunk, steps - s);
                    tLo = reverse ? t - n + 1 : t;
                    float[] a = xc.data;
                    int aOff = xc.offset + tLo * batch * in;
                    if (parts > 1) {
                        gatherRows(n, batch, r0, rs, in, xc.data, aOff, proj, xOff, in);
                        a = proj;
                        aOff = xOff;
                    }
                    Gemm.sgemmPacked(n * rs, 1f, a, aOff, Math.max(1, in), wiT, 0f, proj, 0, Math.max(1, gh),
                            projBias, projBiasOff);
                }
                int at = (t - tLo) * stepG; // this step's projection in proj
                Gemm.sgemmPacked(rs, 1f, state, hp * bh + sOff, Math.max(1, hidden), whT, 0f, hg, gOff, Math.max(1, gh),
                        stepBias, stepBiasOff);
                switch (cell) {
                    case LSTM -> Recurrent.lstmForward(rs, hidden, proj, at, hg, gOff, state,
                            cSlot(hp) + sOff, saveGates == null ? proj : saveGates, saveGates == null ? at : t * stepG,
                            state, cSlot(ho) + sOff, state, ho * bh + sOff);
                    case GRU -> Recurrent.gruForward(rs, hidden, proj, at, hg, gOff, state, hp * bh + sOff,
                            saved, (t * batch + r0) * 4 * hidden, state, ho * bh + sOff);
                    case RNN_TANH, RNN_RELU -> Recurrent.rnnForward(rs, hidden, relu, proj, at, hg, gOff,
                            state, ho * bh + sOff);
                }
            }
        }

        /**
         * One backward pass of the layer, given the gradients of its outputs (output, h, c; null where none
         * came): per part, the time loop in reverse ({@link #part}), then the part's share of the weights' and
         * the input's gradients ({@link #partGradients}); the shares are added in part order.
         */
        private final class Backward {
            final Tensor gOut, gH, gC;
            /**
             * The gates' gradients of all steps, part after part (each part's steps in order, as its input
             * projection): per-thread scratch, fully written by the steps before it is read. The LSTM's and
             * RNN's gates feed both projections alike, so {@code dhg} is {@code dxg} but for the GRU.
             */
            final float[] dxg, dhg;
            final float[] dh, dc, direct, dh0Data;
            final boolean wantBi, wantBh, wantWi, wantWh;
            /**
             * Bias gradients: each part sums its rows step by step while the step's gate gradients are in cache
             * (one pass down all T B rows afterwards reads a column strip per row, a cache miss per row); the
             * parts' sums are added in part order at the end. The LSTM's and RNN's bias_hh gradient is the same
             * sum as bias_ih's.
             */
            final float[][] partBi, partBh;
            /** Each part's [dW_ih | dW_hh] (gh x (in + H)), added in part order at the end. */
            final float[][] partW;
            final int wCols;
            final Tensor dx;
            /** W_hh packed for {@code dG W_hh}, once per pass. */
            final Gemm.PackedB whp;

            Backward(Tensor[] given) {
                gOut = given[0];
                gH = given[1];
                gC = given[2];
                dxg = Scratch.floats(Scratch.GATES, rows * gh);
                dhg = gru ? Scratch.floats(Scratch.HIDDEN_GATES, rows * gh) : dxg;
                dh = new float[bh];
                dc = lstm ? new float[bh] : null;
                direct = gru ? new float[bh] : null; // the GRU's dh z path to the previous state
                dh0Data = h0 != null && h0.requiresGrad() ? new float[bh] : null;
                wantBi = bIh != null && bIh.requiresGrad();
                wantBh = bHh != null && bHh.requiresGrad();
                wantWi = wIh.requiresGrad();
                wantWh = wHh.requiresGrad();
                partBi = wantBi || (wantBh && !gru) ? new float[parts][gh] : null;
                partBh = wantBh && gru ? new float[parts][gh] : null;
                wCols = in + hidden;
                partW = wantWi || wantWh ? new float[parts][] : null;
                dx = input.requiresGrad() ? Tensor.zeros(steps, batch, in) : null;
                if (gC != null) {
                    System.arraycopy(gC.data, gC.offset, dc, 0, bh);
                }
                whp = Gemm.packB(false, gh, hidden, wh.data, wh.offset, Math.max(1, hidden));
            }

            /** The gradients of (input, weight_ih, weight_hh, bias_ih, bias_hh, h0, c0), null where none is wanted. */
            Tensor[] run() {
                Threads.parallelFor(parts, this::part);
                if (parts == 1) {
                    partGradients(0); // a single part's GEMMs run on every thread
                }
                float[] sumBi = inPartOrder(partBi);
                float[] sumBh = !wantBh ? null : gru ? inPartOrder(partBh) : wantBi ? sumBi.clone() : sumBi;
                Tensor dh0 = dh0Data == null ? null : new Tensor(dh0Data, 0, new int[] {batch, hidden}, new int[] {hidden, 1});
                Tensor dc0 = null, dwi = null, dwh = null, dbi = null, dbh = null;
                if (c0 != null && c0.requiresGrad()) {
                    dc0 = new Tensor(dc, 0, new int[] {batch, hidden}, new int[] {hidden, 1});
                }
                if (wantWi) {
                    dwi = new Tensor(inPartOrder(partW, gh, wCols, 0, in), 0, new int[] {gh, in}, new int[] {in, 1});
                }
                if (wantWh) {
                    dwh = new Tensor(inPartOrder(partW, gh, wCols, in, hidden), 0, new int[] {gh, hidden}, new int[] {hidden, 1});
                }
                if (wantBi) {
                    dbi = new Tensor(sumBi, 0, new int[] {gh}, new int[] {1});
                }
                if (sumBh != null) {
                    dbh = new Tensor(sumBh, 0, new int[] {gh}, new int[] {1});
                }
                return new Tensor[] {dx, dwi, dwh, dbi, dbh, dh0, dc0};
            }

            /** Part {@code p}'s time loop in reverse, then (with more than one part) its share of the GEMMs. */
            void part(int p) {
                int r0 = partStart(p), rs = partRows(p);
                int sOff = r0 * hidden, stepG = rs * gh, base = steps * r0 * gh;
                float[] gates = keptGates[p];
                float[] stepSums = partBi != null || partBh != null ? new float[gh] : null;
                for (int s = steps - 1; s >= 0; s--) {
                    int t = reverse ? steps - 1 - s : s;
                    int hp = reverse ? t + 1 : t, ho = reverse ? t : t + 1;
                    int at = base + t * stepG; // this step's rows of dxg and dhg
                    // dh = the output's gradient at t (plus h's at the last step read), then the next step's part
                    if (gOut != null) {
                        System.arraycopy(gOut.data, gOut.offset + t * bh + sOff, dh, sOff, rs * hidden);
                    } else {
                        Arrays.fill(dh, sOff, sOff + rs * hidden, 0f);
                    }
                    if (s == steps - 1 && gH != null) {
                        for (int i = sOff, j = gH.offset + sOff, end = sOff + rs * hidden; i < end; i++, j++) {
                            dh[i] += gH.data[j];
                        }
                    }
                    if (s < steps - 1) { // the gradient the step read after this one sends back through h
                        int next = reverse ? t - 1 : t + 1;
                        recurrentGrad(rs, gh, hidden, dhg, base + next * stepG, whp, direct, dh, sOff);
                    }
                    switch (cell) {
                        case LSTM -> Recurrent.lstmBackward(rs, hidden, gates, t * stepG, state,
                                cSlot(hp) + sOff, state, cSlot(ho) + sOff, dh, sOff, dc, sOff,
                                dxg, at, dc, sOff);
                        case GRU -> Recurrent.gruBackward(rs, hidden, saved, (t * batch + r0) * 4 * hidden, state,
                                hp * bh + sOff, dh, sOff, dxg, at, dhg, at, direct, sOff);
                        case RNN_TANH, RNN_RELU -> Recurrent.rnnBackward(rs, hidden, relu, state, ho * bh + sOff,
                                dh, sOff, dxg, at);
                    }
                    if (partBi != null) {
                        addColumnSums(rs, gh, dxg, at, stepSums, partBi[p]);
                    }
                    if (partBh != null) {
                        addColumnSums(rs, gh, dhg, at, stepSums, partBh[p]);
                    }
                }
                if (dh0Data != null) { // this part's rows of dh0
                    int first = reverse ? steps - 1 : 0;
                    recurrentGrad(rs, gh, hidden, dhg, base + first * stepG, whp, direct, dh0Data, sOff);
                }
                if (parts > 1) {
                    partGradients(p);
                }
            }

            /** After part {@code p}'s time loop: its share of the weights' and the input's gradients, GEMMs over all its steps. */
            void partGradients(int p) {
                int r0 = partStart(p), rs = partRows(p), k = steps * rs;
                int base = steps * r0 * gh;
                if (partW != null) {
                    // [X | H_prev] of the part's rows, one row per (step, row): dW_ih and dW_hh in one GEMM for
                    // the LSTM and RNN, whose two projections share their gates' gradients (the transposed
                    // gradients are read once, not twice). A frozen weight's columns are neither gathered nor
                    // computed (each column's sum is the same either way) and never read.
                    float[] xh = Scratch.floats(Scratch.INPUTS_AND_STATES, k * wCols);
                    if (wantWi) {
                        gatherRows(steps, batch, r0, rs, in, xc.data, xc.offset, xh, 0, wCols);
                    }
                    if (wantWh) {
                        gatherRows(steps, batch, r0, rs, hidden, state, (reverse ? 1 : 0) * bh, xh, in, wCols);
                    }
                    float[] w = partW[p] = new float[gh * wCols];
                    if (gru) {
                        if (wantWi) {
                            Gemm.sgemm(true, false, gh, in, k, 1f, dxg, base, gh, xh, 0, wCols, 0f, w, 0, wCols);
                        }
                        if (wantWh) {
                            Gemm.sgemm(true, false, gh, hidden, k, 1f, dhg, base, gh, xh, in, wCols, 0f, w, in, wCols);
                        }
                    } else {
                        int from = wantWi ? 0 : in, to = wantWh ? wCols : in;
                        Gemm.sgemm(true, false, gh, to - from, k, 1f, dxg, base, gh, xh, from, wCols, 0f, w, from, wCols);
                    }
                }
                if (dx != null) {
                    float[] dxp = parts == 1 ? dx.data : new float[k * in];
                    Gemm.sgemm(false, false, k, in, gh, 1f, dxg, base, gh, wi.data, wi.offset, Math.max(1, in),
                            0f, dxp, 0, Math.max(1, in));
                    if (parts > 1) {
                        scatterRows(steps, batch, r0, rs, in, dxp, dx.data);
                    }
                }
            }
        }
    }

    /**
     * One output of a layer: a contiguous view of {@code shape} into {@code state} from {@code start}, whose
     * backward puts its (contiguous) gradient in slot {@code slot} for the layer's {@code node}.
     */
    private static Tensor output(Tensor node, Slots slots, int slot, String name, float[] state, int start, int... shape) {
        Tensor v = new Tensor(state, start, shape, Shapes.contiguousStrides(shape));
        return Tensor.result(v, name, g -> {
            slots.put(slot, g.contiguous());
            return new Tensor[] {new Tensor(new float[1], 0, new int[] {1}, new int[] {1})};
        }, node);
    }

    /**
     * The gradients a layer's outputs hand to its node during one backward pass. A pass runs on one thread,
     * so each thread has its own; each is marked with its pass ({@link Tensor#backwardPass}), so that what a
     * pass that failed half-way left behind is never read by the next.
     */
    private static final class Slots {
        private record Pass(long number, Tensor[] grads) {}

        private final ThreadLocal<Pass> current = new ThreadLocal<>();

        void put(int slot, Tensor grad) {
            long number = Tensor.backwardPass();
            Pass pass = current.get();
            if (pass == null || pass.number() != number) {
                current.set(pass = new Pass(number, new Tensor[3]));
            }
            pass.grads()[slot] = grad;
        }

        /** This pass's gradients of output, h and c (null where none came), and the slots emptied. */
        Tensor[] take() {
            Pass pass = current.get();
            current.remove();
            return pass != null && pass.number() == Tensor.backwardPass() ? pass.grads() : new Tensor[3];
        }
    }

    /**
     * Per-thread scratch arrays, grown on demand and kept (softly: the collector may take them back when
     * memory runs short) so that a training or inference loop does not allocate, and zero, buffers that live
     * only for one call: the gates' gradients of all steps are 13 MB for a 100-step LSTM with 256 units at
     * batch 32. Callers must write every element they read, and a slot is used by one computation at a time
     * on its thread.
     */
    private static final class Scratch {
        /** The gates' gradients of all steps; the GRU's hidden-side ones; a part's [X | H_prev] rows; projections ahead. */
        static final int GATES = 0, HIDDEN_GATES = 1, INPUTS_AND_STATES = 2, PROJECTION = 3;
        private static final ThreadLocal<SoftReference<float[][]>> ARRAYS = new ThreadLocal<>();

        static float[] floats(int slot, int size) {
            SoftReference<float[][]> ref = ARRAYS.get();
            float[][] arrays = ref == null ? null : ref.get();
            if (arrays == null) {
                arrays = new float[4][0];
                ARRAYS.set(new SoftReference<>(arrays));
            }
            if (arrays[slot].length < size) {
                arrays[slot] = new float[size];
            }
            return arrays[slot];
        }
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

    /**
     * Rows {@code r0 .. r0+rs} of every step of a {@code (steps, batch, width)} array, step after step, into
     * {@code dst} at {@code dstOff} with rows {@code dstStride} apart.
     */
    private static void gatherRows(int steps, int batch, int r0, int rs, int width, float[] src, int srcOff,
                                   float[] dst, int dstOff, int dstStride) {
        for (int t = 0; t < steps; t++) {
            for (int r = 0; r < rs; r++) {
                System.arraycopy(src, srcOff + ((t * batch) + r0 + r) * width, dst, dstOff + (t * rs + r) * dstStride, width);
            }
        }
    }

    /** The inverse of {@link #gatherRows} into a packed array: the part's rows back into {@code (steps, batch, width)}. */
    private static void scatterRows(int steps, int batch, int r0, int rs, int width, float[] src, float[] dst) {
        for (int t = 0; t < steps; t++) {
            System.arraycopy(src, t * rs * width, dst, (t * batch + r0) * width, rs * width);
        }
    }

    private static boolean anyRequiresGrad(Tensor... tensors) {
        for (Tensor t : tensors) {
            if (t != null && t.requiresGrad()) {
                return true;
            }
        }
        return false;
    }

    /** {@code sums += column sums of the rows x cols block at off}, through the scratch row {@code step}. */
    private static void addColumnSums(int rows, int cols, float[] x, int off, float[] step, float[] sums) {
        Reductions.columnSums(rows, cols, x, off, step, 0);
        Elementwise.axpy(cols, 1f, step, 0, sums, 0);
    }

    /** The parts' sums added in part order (a fixed order, so the bits do not depend on the threads), or null. */
    private static float[] inPartOrder(float[][] partSums) {
        return partSums == null ? null : inPartOrder(partSums, 1, partSums[0].length, 0, partSums[0].length);
    }

    /**
     * Columns {@code col .. col+width} of the parts' {@code rows x cols} blocks added in part order, as a new
     * {@code rows x width} array.
     */
    private static float[] inPartOrder(float[][] parts, int rows, int cols, int col, int width) {
        float[] sums = new float[rows * width];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(parts[0], i * cols + col, sums, i * width, width);
        }
        for (int p = 1; p < parts.length; p++) {
            for (int i = 0; i < rows; i++) {
                for (int j = 0, src = i * cols + col, dst = i * width; j < width; j++) {
                    sums[dst + j] += parts[p][src + j];
                }
            }
        }
        return sums;
    }

    /** Floats of input projection computed ahead, per part: 256 KB, a quarter of a Zen core's L2. */
    private static final int PROJECTION_CHUNK_FLOATS = 1 << 16;

    /** Rows per part of the batch at least: below that a part's per-step GEMM would lose its 8-row tiles. */
    private static final int MIN_PART_ROWS = 16;
    /** At most this many parts: more would only shorten each part's GEMMs. */
    private static final int MAX_PARTS = 8;

    /**
     * The number of independent parts the batch is split into for the time loops: a function of the batch
     * size only (never of the thread count), so the arithmetic, and the bits, are the same on any thread count.
     */
    static int parts(int batch) {
        return Math.max(1, Math.min(MAX_PARTS, batch / MIN_PART_ROWS));
    }

    /** The first row of part {@code p} of {@code parts} (rows split as evenly as possible). */
    private static int partStart(int batch, int parts, int p) {
        return (int) ((long) p * batch / parts);
    }

    /**
     * {@code dh += dG W_hh} (plus the GRU's direct path {@code direct}) for {@code batch} rows of one step's gate
     * gradients, the rows of {@code dh} and {@code direct} starting at {@code dhOff}.
     */
    private static void recurrentGrad(int batch, int gh, int hidden, float[] dG, int dGOff, Gemm.PackedB wh,
                                      float[] direct, float[] dh, int dhOff) {
        if (direct != null) {
            for (int i = dhOff, end = dhOff + batch * hidden; i < end; i++) {
                dh[i] += direct[i];
            }
        }
        Gemm.sgemmPacked(batch, 1f, dG, dGOff, Math.max(1, gh), wh, 1f, dh, dhOff, Math.max(1, hidden), null, 0);
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
