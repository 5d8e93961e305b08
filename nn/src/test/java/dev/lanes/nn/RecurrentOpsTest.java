package dev.lanes.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.kernels.Threads;
import dev.lanes.nn.RecurrentOps.Cell;
import dev.lanes.nn.io.Safetensors;
import dev.lanes.nn.layers.GRU;
import dev.lanes.nn.layers.GRUCell;
import dev.lanes.nn.layers.LSTM;
import dev.lanes.nn.layers.LSTMCell;
import dev.lanes.nn.layers.RNN;
import dev.lanes.nn.layers.RNNBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RecurrentOps} and the recurrent modules: finite-difference gradients of every input (sequence,
 * initial states, weights, biases) for each cell in both directions, shapes of every form of input, dropout
 * between layers, errors that name the shapes, thread-count independence and a safetensors round trip.
 * The numbers themselves are checked against PyTorch in {@link TorchRecurrentFixturesTest}.
 */
class RecurrentOpsTest {
    /** The output sequence and the final states in one tensor, for GradCheck. */
    private static Tensor flat(RecurrentOps.LayerOutput r) {
        Tensor all = Tensor.cat(0, r.output().reshape(-1), r.h().reshape(-1));
        return r.c() == null ? all : Tensor.cat(0, all, r.c().reshape(-1));
    }

    private static Tensor param(Generator g, float scale, int... shape) {
        return Tensor.randn(g, shape).mul(scale).requiresGrad(true);
    }

    @Test
    void finiteDifferencesForEveryCellAndDirection() {
        int steps = 3, batch = 2, in = 3, hidden = 4;
        for (Cell cell : Cell.values()) {
            for (boolean reverse : new boolean[] {false, true}) {
                Generator g = new Generator(cell.ordinal() * 2 + (reverse ? 1 : 0) + 100);
                int gh = cell.gates() * hidden;
                Tensor x = param(g, 1f, steps, batch, in), h0 = param(g, 0.5f, batch, hidden);
                Tensor c0 = cell == Cell.LSTM ? param(g, 0.5f, batch, hidden) : null;
                Tensor wi = param(g, 0.5f, gh, in), wh = param(g, 0.5f, gh, hidden);
                Tensor bi = param(g, 0.5f, gh), bh = param(g, 0.5f, gh);
                if (cell == Cell.LSTM) {
                    GradCheck.check(t -> flat(RecurrentOps.layer(cell, t[0], t[1], t[2], t[3], t[4], t[5], t[6], reverse)),
                            x, h0, c0, wi, wh, bi, bh);
                } else {
                    // ReLU: a smaller step, so that no nudge crosses the kink at 0 (float noise stays ~1e-4).
                    double eps = cell == Cell.RNN_RELU ? 1e-3 : 1e-2;
                    GradCheck.check(t -> flat(RecurrentOps.layer(cell, t[0], t[1], null, t[2], t[3], t[4], t[5], reverse)),
                            eps, 1e-2, 1e-2, x, h0, wi, wh, bi, bh);
                }
            }
        }
    }

    /**
     * One bias alone: the LSTM's and RNN's two biases are summed into the input projection only when both
     * are given, so b_hh alone stays in the steps' products and b_ih alone in the projection.
     */
    @Test
    void finiteDifferencesWithOneBiasOnly() {
        int steps = 3, batch = 2, in = 3, hidden = 4;
        for (Cell cell : new Cell[] {Cell.LSTM, Cell.RNN_TANH, Cell.GRU}) {
            for (boolean onlyHh : new boolean[] {false, true}) {
                Generator g = new Generator(cell.ordinal() * 2 + (onlyHh ? 1 : 0) + 200);
                int gh = cell.gates() * hidden;
                Tensor x = param(g, 1f, steps, batch, in), h0 = param(g, 0.5f, batch, hidden);
                Tensor wi = param(g, 0.5f, gh, in), wh = param(g, 0.5f, gh, hidden), b = param(g, 0.5f, gh);
                GradCheck.check(t -> flat(RecurrentOps.layer(cell, t[0], t[1], null, t[2], t[3],
                        onlyHh ? null : t[4], onlyHh ? t[4] : null, false)), 1e-2, 1e-2, 1e-2, x, h0, wi, wh, b);
            }
        }
    }

    @Test
    void finiteDifferencesThroughAStackedBidirectionalModule() {
        Generator g = new Generator(5);
        GRU gru = new GRU(3, 4, 2, true, true, 0f, true, g);
        Tensor x = param(g, 1f, 2, 3, 3), h0 = param(g, 0.5f, 4, 2, 4);
        GradCheck.check(t -> {
            RNNBase.Output o = gru.forward(t[0], t[1]);
            return Tensor.cat(0, o.output().reshape(-1), o.h().reshape(-1));
        }, x, h0);
        LSTM lstm = new LSTM(3, 4, 2, false, false, 0f, true, g);
        List<Tensor> ps = lstm.parameters();
        GradCheck.check(t -> lstm.forward(x), ps.toArray(new Tensor[0]));
    }

    @Test
    void shapesOfBatchedBatchFirstAndUnbatchedInputs() {
        Generator g = new Generator(6);
        LSTM lstm = new LSTM(5, 7, 2, true, true, 0f, true, g);
        RNNBase.Output o = lstm.forward(Tensor.randn(g, 3, 4, 5), null, null);
        assertArrayEquals(new int[] {3, 4, 14}, o.output().shape());
        assertArrayEquals(new int[] {4, 3, 7}, o.h().shape());
        assertArrayEquals(new int[] {4, 3, 7}, o.c().shape());
        // Unbatched (T, in) gives what the same sequence gives as a batch of one.
        LSTM tf = new LSTM(5, 7, 2, true, false, 0f, true, g);
        Tensor seq = Tensor.randn(g, 4, 5);
        Tensor h0 = Tensor.randn(g, 4, 7), c0 = Tensor.randn(g, 4, 7);
        RNNBase.Output u = tf.forward(seq, h0, c0);
        RNNBase.Output b = tf.forward(seq.unsqueeze(1), h0.unsqueeze(1), c0.unsqueeze(1));
        assertArrayEquals(new int[] {4, 14}, u.output().shape());
        assertArrayEquals(new int[] {4, 7}, u.h().shape());
        assertArrayEquals(b.output().reshape(4, 14).toArray(), u.output().toArray());
        assertArrayEquals(b.c().reshape(4, 7).toArray(), u.c().toArray());
        // The last output of the forward direction is h_n of the last layer's forward direction; the reverse
        // direction's h_n is its output at step 0.
        float[] out = b.output().toArray(), hn = b.h().toArray();
        for (int j = 0; j < 7; j++) {
            assertEquals(out[3 * 14 + j], hn[2 * 7 + j]);
            assertEquals(out[7 + j], hn[3 * 7 + j]);
        }
        GRU gru = new GRU(5, 6);
        RNNBase.Output go = gru.forward(Tensor.randn(g, 2, 3, 5), null);
        assertNull(go.c());
        assertArrayEquals(new int[] {1, 3, 6}, go.h().shape());
        // Cells: batched and unbatched.
        LSTMCell cell = new LSTMCell(5, 6);
        LSTMCell.State s = cell.forward(Tensor.randn(g, 3, 5), null, null);
        assertArrayEquals(new int[] {3, 6}, s.c().shape());
        assertArrayEquals(new int[] {6}, new GRUCell(5, 6).forward(Tensor.randn(g, 5)).shape());
        // An empty batch runs and gives empty outputs.
        assertArrayEquals(new int[] {2, 0, 6}, gru.forward(Tensor.zeros(2, 0, 5)).shape());
    }

    @Test
    void dropoutActsBetweenLayersInTrainingOnly() {
        Generator init = new Generator(8);
        LSTM plain = new LSTM(3, 5, 2, true, false, 0f, false, new Generator(9));
        LSTM dropped = new LSTM(3, 5, 2, true, false, 0.5f, false, new Generator(9));
        Tensor x = Tensor.randn(init, 4, 2, 3);
        dropped.eval();
        assertArrayEquals(plain.forward(x).toArray(), dropped.forward(x).toArray());
        dropped.train();
        float[] a = dropped.forward(x).toArray(), b = plain.forward(x).toArray();
        boolean differs = false;
        for (int i = 0; i < a.length; i++) {
            differs |= a[i] != b[i];
        }
        assertTrue(differs, "dropout between the layers changed nothing in training mode");
        assertEquals("LSTM(3, 5, num_layers=2, dropout=0.5)", dropped.toString());
        assertEquals("RNN(3, 5, nonlinearity='relu', bias=False, batch_first=True, bidirectional=True)",
                new RNN(3, 5, 1, "relu", false, true, 0f, true, null).toString());
    }

    @Test
    void badShapesAreNamed() {
        LSTM lstm = new LSTM(5, 7, 2);
        var e = assertThrows(IllegalArgumentException.class, () -> lstm.forward(Tensor.zeros(3, 2, 4)));
        assertTrue(e.getMessage().contains("Expected 5, got 4") && e.getMessage().contains("[3, 2, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> lstm.forward(Tensor.zeros(3, 2, 5), Tensor.zeros(1, 2, 7), null));
        assertTrue(e.getMessage().contains("[2, 2, 7]") && e.getMessage().contains("[1, 2, 7]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> lstm.forward(Tensor.zeros(3, 2, 5, 1)));
        assertTrue(e.getMessage().contains("[3, 2, 5, 1]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new RNN(3, 4, 1, "sigmoid", true, false, 0f, false, null));
        assertTrue(e.getMessage().contains("sigmoid"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new GRU(3, 0));
        assertTrue(e.getMessage().contains("hidden_size"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new LSTMCell(3, 4).forward(Tensor.zeros(2, 3),
                Tensor.zeros(3, 4), null));
        assertTrue(e.getMessage().contains("[2, 4]") && e.getMessage().contains("[3, 4]"), e.getMessage());
        Tensor x = Tensor.zeros(2, 3, 4);
        e = assertThrows(IllegalArgumentException.class, () -> RecurrentOps.layer(Cell.GRU, x, null, null,
                Tensor.zeros(15, 4), Tensor.zeros(12, 4), null, null, false));
        assertTrue(e.getMessage().contains("GRU") && e.getMessage().contains("(12, 4)") && e.getMessage().contains("[15, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> RecurrentOps.layer(Cell.GRU, x, null, Tensor.zeros(3, 4),
                Tensor.zeros(12, 4), Tensor.zeros(12, 4), null, null, false));
        assertTrue(e.getMessage().contains("c0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> RecurrentOps.layer(Cell.LSTM, x, null, null,
                Tensor.zeros(16, 5), Tensor.zeros(16, 4), null, null, false));
        assertTrue(e.getMessage().contains("(16, 4)") && e.getMessage().contains("[16, 5]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> RecurrentOps.layer(Cell.RNN_TANH, Tensor.zeros(0, 3, 4),
                null, null, Tensor.zeros(4, 4), Tensor.zeros(4, 4), null, null, false));
        assertTrue(e.getMessage().contains("[0, 3, 4]"), e.getMessage());
    }

    /**
     * A batch of 35 runs as two parts of 17 and 18 rows, each with its own input projections and its own share
     * of the weight gradients: outputs, final states and every gradient must be what the 35 sequences give
     * one by one (weight gradients summed over them), for each cell in both directions.
     */
    @Test
    void batchPartsGiveWhatSeparateSequencesGive() {
        assertEquals(2, RecurrentOps.parts(35));
        partsAgainstSequences(5, 35, 6, 8, 0.3f);
        // 200 units: a part's input projection (17 rows x 4 x 200 floats per step) is computed 4 steps ahead,
        // so 7 steps take two rounds, a partial one last; a sequence alone takes one.
        partsAgainstSequences(7, 35, 6, 200, 0.05f);
    }

    /** Output against {@code up}, plus the final h and (LSTM) c: every output's gradient path is used. */
    private static Tensor lossOf(RecurrentOps.LayerOutput r, Tensor up) {
        Tensor loss = r.output().mul(up).sum().add(r.h().sum());
        return r.c() == null ? loss : loss.add(r.c().mul(0.5f).sum());
    }

    private static void partsAgainstSequences(int steps, int batch, int in, int hidden, float scale) {
        for (Cell cell : Cell.values()) {
            for (boolean reverse : new boolean[] {false, true}) {
                Generator g = new Generator(40 + cell.ordinal() * 2 + (reverse ? 1 : 0));
                int gh = cell.gates() * hidden;
                Tensor x = param(g, 1f, steps, batch, in), h0 = param(g, 0.5f, batch, hidden);
                Tensor c0 = cell == Cell.LSTM ? param(g, 0.5f, batch, hidden) : null;
                Tensor[] w = {param(g, 0.3f, gh, in), param(g, scale, gh, hidden), param(g, 0.3f, gh), param(g, 0.3f, gh)};
                Tensor up = Tensor.randn(g, steps, batch, hidden);
                RecurrentOps.LayerOutput all = RecurrentOps.layer(cell, x, h0, c0, w[0], w[1], w[2], w[3], reverse);
                lossOf(all, up).backward();
                float[][] whole = {all.output().toArray(), all.h().toArray(), x.grad().toArray(), h0.grad().toArray(),
                    w[0].grad().toArray(), w[1].grad().toArray(), w[2].grad().toArray(), w[3].grad().toArray(),
                    c0 == null ? new float[0] : c0.grad().toArray()};
                try (GradMode.Scope ignored = GradMode.noGrad()) { // per-thread scratch instead of kept arrays
                    RecurrentOps.LayerOutput plain = RecurrentOps.layer(cell, x, h0, c0, w[0], w[1], w[2], w[3], reverse);
                    assertArrayEquals(whole[0], plain.output().toArray(), cell + " output without autograd");
                    assertArrayEquals(whole[1], plain.h().toArray(), cell + " h without autograd");
                    if (c0 != null) { // without a backward, the LSTM keeps two cell-state slots, not all steps'
                        assertArrayEquals(all.c().toArray(), plain.c().toArray(), cell + " c without autograd");
                    }
                }
                float[][] rows = new float[whole.length][];
                for (int i = 0; i < whole.length; i++) {
                    rows[i] = new float[whole[i].length];
                }
                for (int b = 0; b < batch; b++) {
                    for (Tensor t : new Tensor[] {x, h0, c0, w[0], w[1], w[2], w[3]}) {
                        if (t != null) {
                            t.zeroGrad();
                        }
                    }
                    Tensor xb = x.slice(1, b, b + 1), hb = h0.slice(0, b, b + 1);
                    Tensor cb = c0 == null ? null : c0.slice(0, b, b + 1);
                    RecurrentOps.LayerOutput one = RecurrentOps.layer(cell, xb, hb, cb, w[0], w[1], w[2], w[3], reverse);
                    lossOf(one, up.slice(1, b, b + 1)).backward();
                    float[][] got = {one.output().toArray(), one.h().toArray(), x.grad().toArray(), h0.grad().toArray(),
                        w[0].grad().toArray(), w[1].grad().toArray(), w[2].grad().toArray(), w[3].grad().toArray(),
                        c0 == null ? new float[0] : c0.grad().toArray()};
                    for (int t = 0; t < steps; t++) { // row b of each step of the output
                        System.arraycopy(got[0], t * hidden, rows[0], (t * batch + b) * hidden, hidden);
                    }
                    System.arraycopy(got[1], 0, rows[1], b * hidden, hidden);
                    for (int i = 2; i < whole.length; i++) { // x, h0 and c0 get row b only; the weights sum over rows
                        for (int j = 0; j < got[i].length; j++) {
                            rows[i][j] += got[i][j];
                        }
                    }
                }
                for (int i = 0; i < whole.length; i++) {
                    for (int j = 0; j < whole[i].length; j++) {
                        float tol = 2e-5f * Math.max(1f, Math.abs(rows[i][j]));
                        assertEquals(rows[i][j], whole[i][j], tol, cell + (reverse ? " reverse" : "") + " result " + i + " at " + j);
                    }
                }
            }
        }
    }

    @Test
    void sameBitsOnOneAndTwoThreads() {
        // Batch 32: two threads split the batch in two for the whole sequence; every row and every
        // gradient (biases included) must come out with the same bits as on one thread.
        Generator g = new Generator(10);
        RNNBase[] layers = {new LSTM(32, 128, 1, true, true, 0f, true, g), new GRU(32, 64, 2, true, true, 0f, true, g),
            new RNN(32, 48, 1, "tanh", true, true, 0f, false, g)};
        for (RNNBase layer : layers) {
            Tensor x = Tensor.randn(g, 32, 3, 32).requiresGrad(true);
            float[][] one = run(layer, x, 1), two = run(layer, x, 2);
            for (int i = 0; i < one.length; i++) {
                assertArrayEquals(one[i], two[i], layer.getClass().getSimpleName() + " result " + i);
            }
        }
    }

    private static float[][] run(RNNBase layer, Tensor x, int threads) {
        int before = Threads.count();
        Threads.setCount(threads);
        try {
            layer.zeroGrad();
            x.zeroGrad();
            Tensor y = layer.forward(x);
            y.mul(y).sum().backward();
            java.util.List<float[]> all = new java.util.ArrayList<>(java.util.List.of(y.toArray(), x.grad().toArray()));
            for (Tensor p : layer.parameters()) {
                all.add(p.grad().toArray());
            }
            return all.toArray(float[][]::new);
        } finally {
            Threads.setCount(before);
        }
    }

    /**
     * The layer's outputs hand their gradients to its node through slots that each backward pass clears: a
     * second pass through the same graph adds the same gradients again, and a pass that uses only some
     * outputs (here h alone, then c alone) gets the gradients of a graph built from those outputs alone, also
     * after a pass that failed half-way.
     */
    @Test
    void eachBackwardPassSeesOnlyItsOwnOutputsGradients() {
        Generator g = new Generator(13);
        int steps = 4, batch = 3, in = 2, hidden = 5;
        Tensor x = param(g, 1f, steps, batch, in);
        Tensor wi = param(g, 0.5f, 4 * hidden, in), wh = param(g, 0.5f, 4 * hidden, hidden);
        RecurrentOps.LayerOutput r = RecurrentOps.layer(Cell.LSTM, x, null, null, wi, wh, null, null, false);
        Tensor loss = r.output().mul(r.output()).sum();
        loss.backward();
        float[] once = wh.grad().toArray();
        loss.backward();
        float[] twice = wh.grad().toArray();
        for (int i = 0; i < once.length; i++) {
            assertEquals(2 * once[i], twice[i], 1e-5f * Math.max(1f, Math.abs(twice[i])), "weight_hh grad " + i);
        }
        // A pass that fails after the output's gradient reached its slot leaves nothing for the next pass.
        Tensor boom = Tensor.result(new Tensor(new float[1], 0, new int[] {1}, new int[] {1}), "BoomBackward", gr -> {
            throw new IllegalStateException("boom");
        }, r.h());
        assertThrows(IllegalStateException.class, () -> boom.sum().add(r.output().sum()).backward());
        for (int which = 1; which <= 2; which++) {
            wh.zeroGrad();
            Tensor used = which == 1 ? r.h() : r.c();
            used.sum().backward(); // through the graph above, whose output gradient was put in a slot twice
            float[] shared = wh.grad().toArray();
            wh.zeroGrad();
            RecurrentOps.LayerOutput fresh = RecurrentOps.layer(Cell.LSTM, x, null, null, wi, wh, null, null, false);
            (which == 1 ? fresh.h() : fresh.c()).sum().backward();
            assertArrayEquals(wh.grad().toArray(), shared, which == 1 ? "h alone" : "c alone");
        }
    }

    /**
     * A frozen weight (no gradient wanted) gets none, and everything else gets the same bits as when every
     * weight is trained: for each cell, with weight_ih frozen, then weight_hh, then both (the input, the
     * biases and h0 still want theirs), over 2 parts of the batch and in reverse.
     */
    @Test
    void frozenWeightsGetNoGradientAndTheRestTheSameBits() {
        int steps = 5, batch = 33, in = 6, hidden = 7;
        for (Cell cell : Cell.values()) {
            for (int frozen = 0; frozen < 4; frozen++) {
                Generator g = new Generator(17);
                int gh = cell.gates() * hidden;
                Tensor x = param(g, 1f, steps, batch, in), h0 = param(g, 0.5f, batch, hidden);
                Tensor wi = param(g, 0.4f, gh, in), wh = param(g, 0.4f, gh, hidden);
                Tensor bi = param(g, 0.2f, gh), bh = param(g, 0.2f, gh);
                Tensor wiUsed = (frozen & 1) != 0 ? wi.detach() : wi, whUsed = (frozen & 2) != 0 ? wh.detach() : wh;
                Tensor[] all = {x, h0, wi, wh, bi, bh};
                float[][] trained = gradients(cell, all, wi, wh);
                float[][] partly = gradients(cell, all, wiUsed, whUsed);
                String what = cell + " frozen " + frozen;
                for (int i = 0; i < all.length; i++) {
                    boolean isFrozen = (i == 2 && (frozen & 1) != 0) || (i == 3 && (frozen & 2) != 0);
                    if (isFrozen) {
                        assertNull(partly[i], what + ": no gradient for the frozen weight");
                    } else {
                        assertArrayEquals(trained[i], partly[i], what + ": gradient " + i);
                    }
                }
            }
        }
    }

    /** The gradients of {@code all} (null where none) after a backward through a reverse layer with the weights given. */
    private static float[][] gradients(Cell cell, Tensor[] all, Tensor wi, Tensor wh) {
        for (Tensor t : all) {
            t.zeroGrad();
        }
        RecurrentOps.LayerOutput r = RecurrentOps.layer(cell, all[0], all[1], null, wi, wh, all[4], all[5], true);
        r.output().mul(r.output()).sum().add(r.h().sum()).backward();
        float[][] grads = new float[all.length][];
        for (int i = 0; i < all.length; i++) {
            grads[i] = all[i].grad() == null ? null : all[i].grad().toArray();
        }
        return grads;
    }

    @Test
    void stateDictRoundTripsThroughSafetensors(@TempDir Path dir) throws IOException {
        Generator g = new Generator(11);
        GRU a = new GRU(4, 5, 2, true, false, 0f, true, g);
        GRU b = new GRU(4, 5, 2, true, false, 0f, true, new Generator(12));
        Path file = dir.resolve("gru.safetensors");
        Safetensors.saveModel(file, a);
        assertTrue(Files.size(file) > 0);
        var keys = Safetensors.loadModel(file, b, true);
        assertTrue(keys.missingKeys().isEmpty() && keys.unexpectedKeys().isEmpty());
        Tensor x = Tensor.randn(g, 3, 2, 4);
        assertArrayEquals(a.forward(x).toArray(), b.forward(x).toArray());
        assertTrue(a.stateDict().containsKey("bias_hh_l1_reverse"));
        assertFalse(a.stateDict().containsKey("weight_ih_l2"));
    }
}
