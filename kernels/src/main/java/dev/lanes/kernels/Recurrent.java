package dev.lanes.kernels;

import dev.lanes.kernels.internal.Checks;
import dev.lanes.kernels.internal.Chunks;
import dev.lanes.kernels.internal.KernelProvider;
import dev.lanes.kernels.ops.ScalarRecurrent;
import dev.lanes.kernels.ops.VectorRecurrent;

/**
 * Fused time steps of the recurrent cells of {@code torch.nn.LSTM}, {@code GRU} and {@code RNN}: given a
 * step's gate pre-activations, one call applies the non-linearities and the state update (forward), or
 * turns the gradients of the new state into gradients of the pre-activations (backward). The matrix
 * products around them ({@code x W_ih^T + b_ih} for all steps at once, {@code h W_hh^T + b_hh} per step)
 * are GEMMs done by the caller.
 *
 * <p>Layout, for {@code batch} rows and {@code hidden} units, every operand row-major and contiguous from its
 * offset: a state ({@code h}, {@code c} and their gradients) is {@code batch x hidden}; a projection
 * ({@code xg} = the input projection with {@code b_ih}, {@code hg} = the hidden projection with {@code b_hh},
 * and their gradients) is {@code batch x (G hidden)} with PyTorch's gate order, {@code G = 4} for the LSTM
 * ({@code i, f, g, o}), 3 for the GRU ({@code r, z, n}), 1 for the plain RNN. The saved {@code gates} are
 * {@code batch x 4 hidden}: the LSTM's activated {@code i, f, g, o}; the GRU's {@code r, z, n} and the
 * hidden projection of the n gate {@code hn = W_hn h + b_hn}, which the backward needs.
 *
 * <p>Definitions (PyTorch's, {@code s} the sigmoid):
 * <ul>
 *   <li>LSTM: {@code i, f, o = s(.)}, {@code g = tanh(.)} of {@code xg + hg};
 *       {@code c' = f c + i g}; {@code h' = o tanh(c')}.</li>
 *   <li>GRU: {@code r, z = s(xg + hg)}; {@code n = tanh(xn + r hn)}; {@code h' = (h - n) z + n}, i.e.
 *       {@code (1 - z) n + z h}.</li>
 *   <li>RNN: {@code h' = tanh(xg + hg)} or {@code relu(xg + hg)}.</li>
 * </ul>
 *
 * <p>Outputs may be the same region as an input where a method says so, and must not overlap inputs
 * otherwise. Large batches run on the {@link Threads} pool in fixed row chunks; every element is computed
 * by the same arithmetic whatever the split, so results do not depend on the thread count. Arguments are
 * checked before anything is written; a bad one throws {@link IllegalArgumentException} naming it.
 * The vectorized kernels use the rational {@code tanhRational} and {@code sigmoidRational} of
 * {@code VectorMath} (absolute error below 3e-7 and 2e-7; sigmoid loses relative accuracy below about
 * 1e-6); the scalar twins compute tanh and sigmoid in double precision.
 */
public final class Recurrent {
    private static final boolean VECTOR = KernelProvider.get().vectorized();

    private Recurrent() {}

    /**
     * LSTM forward step: writes the activated gates ({@code batch x 4 hidden}, may be the same region as
     * {@code xg}: the input projection is then overwritten in place), the new cell state {@code c} and the
     * new hidden state {@code h}, from the pre-activations {@code xg + hg} and the previous cell state
     * {@code cPrev}.
     */
    public static void lstmForward(int batch, int hidden, float[] xg, int xgOff, float[] hg, int hgOff,
                                   float[] cPrev, int cPrevOff, float[] gates, int gatesOff,
                                   float[] c, int cOff, float[] h, int hOff) {
        String routine = "Recurrent.lstmForward";
        long state = shape(routine, batch, hidden), proj = 4 * state;
        Checks.span(routine, "xg", xg, xgOff, proj);
        Checks.span(routine, "hg", hg, hgOff, proj);
        Checks.span(routine, "cPrev", cPrev, cPrevOff, state);
        Checks.span(routine, "gates", gates, gatesOff, proj);
        Checks.span(routine, "c", c, cOff, state);
        Checks.span(routine, "h", h, hOff, state);
        Chunks.rows(batch, 4 * hidden, (r0, r1) -> {
            if (VECTOR) {
                VectorRecurrent.lstmForward(r0, r1, hidden, xg, xgOff, hg, hgOff, cPrev, cPrevOff, gates, gatesOff,
                        c, cOff, h, hOff);
            } else {
                ScalarRecurrent.lstmForward(r0, r1, hidden, xg, xgOff, hg, hgOff, cPrev, cPrevOff, gates, gatesOff,
                        c, cOff, h, hOff);
            }
        });
    }

    /**
     * LSTM backward step: from the saved {@code gates}, {@code cPrev} and {@code c} of the forward step and the
     * gradients {@code dh} of the new hidden state and {@code dc} of the new cell state (null: zero), writes
     * the gradients of the gate pre-activations {@code dGates} ({@code batch x 4 hidden}, the gradient of both
     * {@code xg} and {@code hg}) and of the previous cell state {@code dcPrev} (may be the same region as
     * {@code dc}). The gradient of the previous hidden state is {@code dGates W_hh}, a GEMM left to the caller.
     */
    public static void lstmBackward(int batch, int hidden, float[] gates, int gatesOff, float[] cPrev, int cPrevOff,
                                    float[] c, int cOff, float[] dh, int dhOff, float[] dc, int dcOff,
                                    float[] dGates, int dGatesOff, float[] dcPrev, int dcPrevOff) {
        String routine = "Recurrent.lstmBackward";
        long state = shape(routine, batch, hidden), proj = 4 * state;
        Checks.span(routine, "gates", gates, gatesOff, proj);
        Checks.span(routine, "cPrev", cPrev, cPrevOff, state);
        Checks.span(routine, "c", c, cOff, state);
        Checks.span(routine, "dh", dh, dhOff, state);
        Checks.optionalSpan(routine, "dc", dc, dcOff, state);
        Checks.span(routine, "dGates", dGates, dGatesOff, proj);
        Checks.span(routine, "dcPrev", dcPrev, dcPrevOff, state);
        Chunks.rows(batch, 4 * hidden, (r0, r1) -> {
            if (VECTOR) {
                VectorRecurrent.lstmBackward(r0, r1, hidden, gates, gatesOff, cPrev, cPrevOff, c, cOff, dh, dhOff,
                        dc, dcOff, dGates, dGatesOff, dcPrev, dcPrevOff);
            } else {
                ScalarRecurrent.lstmBackward(r0, r1, hidden, gates, gatesOff, cPrev, cPrevOff, c, cOff, dh, dhOff,
                        dc, dcOff, dGates, dGatesOff, dcPrev, dcPrevOff);
            }
        });
    }

    /**
     * GRU forward step: from the projections {@code xg} and {@code hg} ({@code batch x 3 hidden} each, with
     * their biases) and the previous hidden state {@code hPrev}, writes the saved gates {@code r, z, n, hn}
     * ({@code batch x 4 hidden}) and the new hidden state {@code h}.
     */
    public static void gruForward(int batch, int hidden, float[] xg, int xgOff, float[] hg, int hgOff,
                                  float[] hPrev, int hPrevOff, float[] gates, int gatesOff, float[] h, int hOff) {
        String routine = "Recurrent.gruForward";
        long state = shape(routine, batch, hidden);
        Checks.span(routine, "xg", xg, xgOff, 3 * state);
        Checks.span(routine, "hg", hg, hgOff, 3 * state);
        Checks.span(routine, "hPrev", hPrev, hPrevOff, state);
        Checks.span(routine, "gates", gates, gatesOff, 4 * state);
        Checks.span(routine, "h", h, hOff, state);
        Chunks.rows(batch, 4 * hidden, (r0, r1) -> {
            if (VECTOR) {
                VectorRecurrent.gruForward(r0, r1, hidden, xg, xgOff, hg, hgOff, hPrev, hPrevOff, gates, gatesOff, h, hOff);
            } else {
                ScalarRecurrent.gruForward(r0, r1, hidden, xg, xgOff, hg, hgOff, hPrev, hPrevOff, gates, gatesOff, h, hOff);
            }
        });
    }

    /**
     * GRU backward step: from the saved {@code gates} and {@code hPrev} and the gradient {@code dh} of the new
     * hidden state, writes the gradients of the input projection {@code dxg} and of the hidden projection
     * {@code dhg} ({@code batch x 3 hidden} each; they differ in the n block, {@code dhn = dn r}), and the
     * direct part of the previous hidden state's gradient, {@code dhPrev = dh z}; the caller adds
     * {@code dhg W_hh} to it.
     */
    public static void gruBackward(int batch, int hidden, float[] gates, int gatesOff, float[] hPrev, int hPrevOff,
                                   float[] dh, int dhOff, float[] dxg, int dxgOff, float[] dhg, int dhgOff,
                                   float[] dhPrev, int dhPrevOff) {
        String routine = "Recurrent.gruBackward";
        long state = shape(routine, batch, hidden);
        Checks.span(routine, "gates", gates, gatesOff, 4 * state);
        Checks.span(routine, "hPrev", hPrev, hPrevOff, state);
        Checks.span(routine, "dh", dh, dhOff, state);
        Checks.span(routine, "dxg", dxg, dxgOff, 3 * state);
        Checks.span(routine, "dhg", dhg, dhgOff, 3 * state);
        Checks.span(routine, "dhPrev", dhPrev, dhPrevOff, state);
        Chunks.rows(batch, 4 * hidden, (r0, r1) -> {
            if (VECTOR) {
                VectorRecurrent.gruBackward(r0, r1, hidden, gates, gatesOff, hPrev, hPrevOff, dh, dhOff,
                        dxg, dxgOff, dhg, dhgOff, dhPrev, dhPrevOff);
            } else {
                ScalarRecurrent.gruBackward(r0, r1, hidden, gates, gatesOff, hPrev, hPrevOff, dh, dhOff,
                        dxg, dxgOff, dhg, dhgOff, dhPrev, dhPrevOff);
            }
        });
    }

    /**
     * Plain RNN forward step: {@code h = tanh(xg + hg)}, or {@code relu(xg + hg)} when {@code relu}
     * ({@code batch x hidden} each; {@code h} may be the same region as {@code xg}).
     */
    public static void rnnForward(int batch, int hidden, boolean relu, float[] xg, int xgOff, float[] hg, int hgOff,
                                  float[] h, int hOff) {
        String routine = "Recurrent.rnnForward";
        long state = shape(routine, batch, hidden);
        Checks.span(routine, "xg", xg, xgOff, state);
        Checks.span(routine, "hg", hg, hgOff, state);
        Checks.span(routine, "h", h, hOff, state);
        Chunks.rows(batch, hidden, (r0, r1) -> {
            if (VECTOR) {
                VectorRecurrent.rnnForward(r0, r1, hidden, relu, xg, xgOff, hg, hgOff, h, hOff);
            } else {
                ScalarRecurrent.rnnForward(r0, r1, hidden, relu, xg, xgOff, hg, hgOff, h, hOff);
            }
        });
    }

    /**
     * Plain RNN backward step: the gradient of the pre-activation, {@code dPre = dh (1 - h^2)} for tanh or
     * {@code h <= 0 ? 0 : dh} for ReLU, from the step's output {@code h} ({@code dPre} may be the same region
     * as {@code dh}).
     */
    public static void rnnBackward(int batch, int hidden, boolean relu, float[] h, int hOff, float[] dh, int dhOff,
                                   float[] dPre, int dPreOff) {
        String routine = "Recurrent.rnnBackward";
        long state = shape(routine, batch, hidden);
        Checks.span(routine, "h", h, hOff, state);
        Checks.span(routine, "dh", dh, dhOff, state);
        Checks.span(routine, "dPre", dPre, dPreOff, state);
        Chunks.rows(batch, hidden, (r0, r1) -> {
            if (VECTOR) {
                VectorRecurrent.rnnBackward(r0, r1, hidden, relu, h, hOff, dh, dhOff, dPre, dPreOff);
            } else {
                ScalarRecurrent.rnnBackward(r0, r1, hidden, relu, h, hOff, dh, dhOff, dPre, dPreOff);
            }
        });
    }

    /** Checks the sizes and returns {@code batch * hidden}; four times it must fit in an array. */
    private static long shape(String routine, int batch, int hidden) {
        Checks.nonNegative(routine, "batch", batch);
        Checks.nonNegative(routine, "hidden", hidden);
        long state = (long) batch * hidden;
        if (4 * state > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(routine + ": batch = " + batch + " times 4 hidden = " + 4L * hidden
                    + " is past any Java array");
        }
        return state;
    }
}
