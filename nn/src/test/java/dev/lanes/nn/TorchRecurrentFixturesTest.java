package dev.lanes.nn;

import static dev.lanes.nn.TorchOpsFixturesTest.assertClose;
import static dev.lanes.nn.TorchOpsFixturesTest.leaf;
import static dev.lanes.nn.TorchOpsFixturesTest.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.lanes.nn.layers.GRU;
import dev.lanes.nn.layers.GRUCell;
import dev.lanes.nn.layers.LSTM;
import dev.lanes.nn.layers.LSTMCell;
import dev.lanes.nn.layers.Module;
import dev.lanes.nn.layers.RNN;
import dev.lanes.nn.layers.RNNBase;
import dev.lanes.nn.layers.RNNCell;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * RNN (tanh, ReLU), LSTM and GRU and their cells against {@code torch.nn} (fixtures written by
 * {@code scripts/fixtures/gen_rnn_fixtures.py}): single and multi-layer, bidirectional, batch first,
 * unbatched, without biases, with and without initial states. Each case loads PyTorch's state dict strictly
 * (so the parameter names and shapes are PyTorch's), runs the forward, compares the output and the final
 * states, then back-propagates {@code sum(y dy) + sum(hn dhn) + sum(cn dcn)} and compares the gradients of
 * the input, the initial states and every parameter.
 *
 * <p>Tolerance {@code 1e-5 + 1e-4 |want|}: float32 on both sides, sums over a few steps of O(1) terms, the
 * vector kernels' rational tanh and sigmoid within 3e-7 of PyTorch's.
 */
class TorchRecurrentFixturesTest {
    private static final Fixtures F = Fixtures.load("rnn/recurrent.txt");
    private static final double RTOL = 1e-4, ATOL = 1e-5;

    static Stream<String> cases() {
        TreeSet<String> names = new TreeSet<>();
        for (String key : F.entries().keySet()) {
            if (key.endsWith(".cfg")) {
                names.add(key.substring(0, key.length() - 4));
            }
        }
        return names.stream();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void matchesPyTorch(String name) {
        float[] cfg = F.floats(name + ".cfg");
        int kind = (int) cfg[0], in = (int) cfg[1], hidden = (int) cfg[2], layers = (int) cfg[3];
        boolean bias = cfg[4] != 0, batchFirst = cfg[5] != 0, bidir = cfg[6] != 0;
        Module m = switch (kind) {
            case 0, 1 -> new RNN(in, hidden, layers, kind == 0 ? "tanh" : "relu", bias, batchFirst, 0f, bidir, null);
            case 2 -> new LSTM(in, hidden, layers, bias, batchFirst, 0f, bidir, null);
            case 3 -> new GRU(in, hidden, layers, bias, batchFirst, 0f, bidir, null);
            case 4, 5 -> new RNNCell(in, hidden, bias, kind == 4 ? "tanh" : "relu", null);
            case 6 -> new LSTMCell(in, hidden, bias, null);
            case 7 -> new GRUCell(in, hidden, bias, null);
            default -> throw new IllegalStateException("kind " + kind);
        };
        Map<String, Tensor> sd = new LinkedHashMap<>();
        String prefix = name + ".sd.";
        for (String key : F.entries().keySet()) {
            if (key.startsWith(prefix)) {
                sd.put(key.substring(prefix.length()), tensor(F, key));
            }
        }
        m.loadStateDict(sd, true);
        assertEquals(sd.keySet().stream().toList(), m.stateDict().keySet().stream().toList(), name + ": key order");

        Tensor x = leaf(F, name + ".x");
        Tensor h0 = F.has(name + ".h0") ? leaf(F, name + ".h0") : null;
        Tensor c0 = F.has(name + ".c0") ? leaf(F, name + ".c0") : null;
        Tensor y, hn = null, cn = null;
        if (m instanceof RNNBase) {
            RNNBase.Output out = switch (m) {
                case LSTM l -> l.forward(x, h0, c0);
                case GRU g -> g.forward(x, h0);
                case RNN r -> r.forward(x, h0);
                default -> throw new IllegalStateException();
            };
            y = out.output();
            hn = out.h();
            cn = out.c();
        } else {
            switch (m) {
                case LSTMCell l -> {
                    LSTMCell.State s = l.forward(x, h0, c0);
                    y = s.h();
                    cn = s.c();
                }
                case GRUCell g -> y = g.forward(x, h0);
                case RNNCell r -> y = r.forward(x, h0);
                default -> throw new IllegalStateException();
            }
        }
        String family = "recurrent";
        assertClose(family, name + " output", F.get(name + ".y"), y, RTOL, ATOL);
        Tensor loss = y.mul(tensor(F, name + ".dy")).sum();
        if (F.has(name + ".hn")) {
            assertClose(family, name + " h_n", F.get(name + ".hn"), hn, RTOL, ATOL);
            loss = loss.add(hn.mul(tensor(F, name + ".dhn")).sum());
        }
        if (F.has(name + ".cn")) {
            assertClose(family, name + " c_n", F.get(name + ".cn"), cn, RTOL, ATOL);
            loss = loss.add(cn.mul(tensor(F, name + ".dcn")).sum());
        } else {
            assertNull(cn, name + ": no cell state expected");
        }
        loss.backward();
        assertClose(family, name + " dx", F.get(name + ".dx"), x.grad(), RTOL, ATOL);
        if (h0 != null) {
            assertClose(family, name + " dh0", F.get(name + ".dh0"), h0.grad(), RTOL, ATOL);
        }
        if (c0 != null) {
            assertClose(family, name + " dc0", F.get(name + ".dc0"), c0.grad(), RTOL, ATOL);
        }
        for (Map.Entry<String, Tensor> p : m.namedParameters().entrySet()) {
            assertClose(family, name + " grad " + p.getKey(), F.get(name + ".grad." + p.getKey()), p.getValue().grad(),
                    RTOL, ATOL);
        }
    }
}
