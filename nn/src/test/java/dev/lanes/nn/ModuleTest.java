package dev.lanes.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.nn.layers.Activations;
import dev.lanes.nn.layers.BatchNorm;
import dev.lanes.nn.layers.Dropout;
import dev.lanes.nn.layers.Embedding;
import dev.lanes.nn.layers.Flatten;
import dev.lanes.nn.layers.LayerNorm;
import dev.lanes.nn.layers.Linear;
import dev.lanes.nn.layers.Module;
import dev.lanes.nn.layers.ModuleList;
import dev.lanes.nn.layers.RMSNorm;
import dev.lanes.nn.layers.Sequential;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Module bookkeeping as in {@code torch.nn.Module}: parameter and buffer names and order (checked against
 * PyTorch's state dict in {@code fixtures/nn/module.txt}), state-dict round trips, strict and non-strict
 * loading, atomic failure on a shape mismatch, train/eval propagation, freezing, parameter counts and the
 * printed form.
 */
class ModuleTest {
    private static final Fixtures MODULE = TorchOpsFixturesTest.load("module.txt");

    /** The fixture's model: Sequential(Linear(4, 3), ReLU(), BatchNorm1d(3), Sequential(Linear(3, 2, bias=False), Tanh()), LayerNorm(2)). */
    private static Sequential net() {
        return new Sequential(new Linear(4, 3), new Activations.ReLU(), BatchNorm.batchNorm1d(3),
                new Sequential(new Linear(3, 2, false), new Activations.Tanh()), new LayerNorm(2));
    }

    private static Map<String, Tensor> torchState() {
        Map<String, Tensor> sd = new LinkedHashMap<>();
        for (String key : MODULE.entries().keySet()) {
            if (key.startsWith("net.sd.")) {
                sd.put(key.substring("net.sd.".length()), TorchOpsFixturesTest.tensor(MODULE, key));
            }
        }
        return sd;
    }

    private static Map<String, float[]> snapshot(Module m) {
        Map<String, float[]> s = new LinkedHashMap<>();
        m.stateDict().forEach((k, v) -> s.put(k, v.toArray()));
        m.namedParameters().forEach((k, v) -> s.put(k + ".grad", v.grad() == null ? null : v.grad().toArray()));
        return s;
    }

    private static void assertSameState(Map<String, float[]> expected, Map<String, float[]> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((k, v) -> assertArrayEquals(v, actual.get(k), k));
    }

    @Test
    void namesAndOrderArePyTorchs() {
        Sequential net = net();
        List<String> torchKeys = new ArrayList<>(torchState().keySet());
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias", "2.running_mean", "2.running_var",
                "2.num_batches_tracked", "3.0.weight", "4.weight", "4.bias"), torchKeys);
        assertEquals(torchKeys, new ArrayList<>(net.stateDict().keySet()));
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias", "3.0.weight", "4.weight", "4.bias"),
                new ArrayList<>(net.namedParameters().keySet()));
        assertEquals(List.of("2.running_mean", "2.running_var", "2.num_batches_tracked"),
                new ArrayList<>(net.namedBuffers().keySet()));
        assertEquals(List.of("0", "1", "2", "3", "4"), new ArrayList<>(net.children().keySet()));
        for (Tensor p : net.parameters()) {
            assertTrue(p.requiresGrad(), "parameters require grad");
        }
        for (Tensor b : net.namedBuffers().values()) {
            assertFalse(b.requiresGrad(), "buffers do not");
        }
        assertSame(net.namedParameters().get("3.0.weight"), ((Linear) ((Sequential) net.get(3)).get(0)).weight(),
                "the state dict holds the module's own tensors");
    }

    /** PyTorch's weights (and running statistics, num_batches_tracked = 7) load strictly; eval output matches PyTorch's. */
    @Test
    void loadsPyTorchsStateDictAndComputesItsOutput() {
        Sequential net = net();
        net.loadStateDict(torchState(), true);
        assertEquals(7f, net.namedBuffers().get("2.num_batches_tracked").item());
        net.eval();
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            Tensor y = net.forward(TorchOpsFixturesTest.tensor(MODULE, "net.x"));
            // a 4-3-2 network with normalisations: 1e-5 relative + 1e-6 absolute, the default tolerance
            TorchOpsFixturesTest.assertClose("module", "net eval forward", MODULE.get("net.y_eval"), y, 1e-5, 1e-6);
        }
    }

    @Test
    void stateDictRoundTrip() {
        Generator g = new Generator(21);
        Sequential a = net(), b = net();
        a.train();
        a.forward(Tensor.randn(g, 5, 4)); // moves a's running statistics and num_batches_tracked
        b.loadStateDict(a.stateDict(), true);
        Map<String, float[]> sa = snapshot(a), sb = snapshot(b);
        a.stateDict().keySet().forEach(k -> assertArrayEquals(sa.get(k), sb.get(k), k));
        a.eval();
        b.eval();
        Tensor x = Tensor.randn(g, 3, 4);
        assertArrayEquals(a.forward(x).toArray(), b.forward(x).toArray());
        // the loaded values are copies: changing a afterwards leaves b alone
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            a.namedParameters().get("0.weight").fill_(0f);
        }
        assertArrayEquals(sa.get("0.weight"), b.namedParameters().get("0.weight").toArray());
    }

    @Test
    void strictLoadingNamesMissingAndUnexpectedKeys() {
        Sequential net = net();
        Map<String, float[]> before = snapshot(net);
        Map<String, Tensor> sd = new LinkedHashMap<>(torchState());
        sd.remove("0.bias");
        sd.remove("2.running_var");
        sd.put("5.weight", Tensor.zeros(2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.loadStateDict(sd, true));
        assertTrue(e.getMessage().contains("missing keys [0.bias, 2.running_var]"), e.getMessage());
        assertTrue(e.getMessage().contains("unexpected keys [5.weight]"), e.getMessage());
        assertSameState(before, snapshot(net));

        // non-strict: the present keys load, the rest stay as they were, the unexpected one is ignored
        net.loadStateDict(sd, false);
        Map<String, Tensor> torch = torchState();
        assertArrayEquals(torch.get("0.weight").toArray(), net.stateDict().get("0.weight").toArray());
        assertArrayEquals(torch.get("2.running_mean").toArray(), net.stateDict().get("2.running_mean").toArray());
        assertArrayEquals(before.get("0.bias"), net.stateDict().get("0.bias").toArray());
        assertArrayEquals(before.get("2.running_var"), net.stateDict().get("2.running_var").toArray());
    }

    /** A shape mismatch is an error even when not strict, and nothing is copied, not even the keys before it. */
    @Test
    void shapeMismatchLeavesEverythingUnchanged() {
        Sequential net = net();
        Tensor x = Tensor.randn(new Generator(3), 5, 4);
        net.forward(x).sum().backward(); // gradients exist, and must survive too
        Map<String, float[]> before = snapshot(net);
        Map<String, Tensor> sd = new LinkedHashMap<>(torchState());
        sd.put("3.0.weight", Tensor.zeros(3, 2)); // PyTorch's is (2, 3)
        for (boolean strict : new boolean[] {true, false}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.loadStateDict(sd, strict));
            assertTrue(e.getMessage().contains("3.0.weight") && e.getMessage().contains("[3, 2]")
                    && e.getMessage().contains("[2, 3]"), e.getMessage());
            assertSameState(before, snapshot(net));
        }
    }

    @Test
    void trainAndEvalPropagateToEveryDescendant() {
        Sequential inner = new Sequential(new Dropout(0.5f), new Linear(2, 2));
        ModuleList list = new ModuleList(new Activations.ReLU(), inner);
        Sequential net = new Sequential(new Linear(2, 2), list);
        List<Module> all = List.of(net, net.get(0), list, list.get(0), inner, inner.get(0), inner.get(1));
        all.forEach(m -> assertTrue(m.isTraining(), "modules start in training mode"));
        assertSame(net, net.eval());
        all.forEach(m -> assertFalse(m.isTraining(), m + " after eval()"));
        inner.train();
        assertTrue(inner.get(0).isTraining());
        assertFalse(net.isTraining(), "train() on a child does not change its parent");
        net.train();
        all.forEach(m -> assertTrue(m.isTraining(), m + " after train()"));
    }

    @Test
    void requiresGradFalseFreezes() {
        Generator g = new Generator(4);
        Linear frozen = new Linear(3, 4, true, dev.lanes.kernels.Activation.IDENTITY, g);
        Linear head = new Linear(4, 2, true, dev.lanes.kernels.Activation.IDENTITY, g);
        Sequential net = new Sequential(frozen, new Activations.Tanh(), head);
        net.forward(Tensor.randn(g, 2, 3)).sum().backward();
        assertNotNull(frozen.weight().grad());
        assertSame(frozen, frozen.requiresGrad(false));
        assertNull(frozen.weight().grad(), "freezing drops the old gradient");
        for (Tensor p : frozen.parameters()) {
            assertFalse(p.requiresGrad());
        }
        head.zeroGrad();
        Tensor x = Tensor.randn(g, 2, 3).requiresGrad(true);
        net.forward(x).sum().backward();
        assertNull(frozen.weight().grad());
        assertNull(frozen.bias().grad());
        assertNotNull(head.weight().grad(), "the rest still trains");
        assertNotNull(x.grad(), "and gradients still flow through the frozen layer to its input");
        // a fully frozen model with an input that needs no grad records nothing
        net.requiresGrad(false);
        Tensor y = net.forward(Tensor.randn(g, 2, 3));
        assertFalse(y.requiresGrad());
        assertNull(y.gradFnName());
        net.requiresGrad(true);
        assertTrue(frozen.weight().requiresGrad() && head.bias().requiresGrad());
    }

    @Test
    void parameterCount() {
        assertEquals(784L * 512 + 512 + 512L * 256 + 256 + 256L * 10 + 10, new Sequential(new Linear(784, 512),
                new Activations.ReLU(), new Linear(512, 256), new Activations.ReLU(), new Linear(256, 10)).parameterCount());
        assertEquals(12 + 3 + 3 + 3 + 6 + 2 + 2, net().parameterCount(), "buffers are not parameters");
        assertEquals(40, new Embedding(10, 4).parameterCount());
        assertEquals(0, new Sequential(new Activations.ReLU(), new Flatten()).parameterCount());
    }

    /** The printed form is PyTorch's {@code str(model)} (copied from torch 2.13) for these layers. */
    @Test
    void toStringLikePyTorch() {
        Module net = new Sequential(new Linear(4, 3), new Activations.ReLU(),
                new Sequential(new Linear(3, 2, false), new Activations.Tanh()), new Activations.GELU("tanh"),
                new ModuleList(new Embedding(10, 4), new Activations.LeakyReLU(0.2f)), new Flatten());
        assertEquals("""
                Sequential(
                  (0): Linear(in_features=4, out_features=3, bias=True)
                  (1): ReLU()
                  (2): Sequential(
                    (0): Linear(in_features=3, out_features=2, bias=False)
                    (1): Tanh()
                  )
                  (3): GELU(approximate='tanh')
                  (4): ModuleList(
                    (0): Embedding(10, 4)
                    (1): LeakyReLU(negative_slope=0.2)
                  )
                  (5): Flatten(start_dim=1, end_dim=-1)
                )""", net.toString());
        assertEquals("Sequential()", new Sequential().toString());
        assertEquals("ELU(alpha=0.5)", new Activations.ELU(0.5f).toString());
        assertEquals("Softmax(dim=1)", new Activations.Softmax(1).toString());
        assertEquals("BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)",
                BatchNorm.batchNorm1d(3).toString());
        assertEquals("BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)",
                BatchNorm.batchNorm2d(3).toString());
        assertEquals("LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)", new LayerNorm(4).toString());
        assertEquals("LayerNorm((4,), eps=1e-05, elementwise_affine=False, bias=False)",
                new LayerNorm(new int[] {4}, 1e-5f, false, false).toString());
        assertEquals("RMSNorm((4,), eps=None, elementwise_affine=True)", new RMSNorm(4).toString());
        assertEquals("RMSNorm((4,), eps=1e-06, elementwise_affine=True)", new RMSNorm(new int[] {4}, 1e-6f, true).toString());
        assertEquals("Dropout(p=0.25, inplace=False)", new Dropout(0.25f).toString());
    }

    /** Zeroing gradients clears every parameter's, in nested modules too. */
    @Test
    void zeroGradClearsAll() {
        Sequential net = net();
        net.forward(Tensor.randn(new Generator(8), 4, 4)).sum().backward();
        Map<String, Boolean> had = new HashMap<>();
        net.namedParameters().forEach((k, p) -> had.put(k, p.grad() != null));
        assertTrue(had.values().stream().allMatch(b -> b), "every parameter got a gradient: " + had);
        net.zeroGrad();
        net.parameters().forEach(p -> assertNull(p.grad()));
    }

    /** Fine-tuning's "replace the head": the new module takes the old one's place and names. */
    @Test
    void sequentialSetReplacesAModuleInPlace() {
        Sequential model = new Sequential(new Linear(4, 3), new Activations.ReLU(), new Linear(3, 2));
        Linear head = new Linear(3, 5);
        model.set(2, head);
        assertSame(head, model.get(2));
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), new ArrayList<>(model.stateDict().keySet()));
        assertArrayEquals(new int[] {1, 5}, model.forward(Tensor.zeros(1, 4)).shape());
        Linear last = new Linear(3, 4);
        assertSame(last, model.set(-1, last).get(2), "model[-1] = head");
        assertThrows(IndexOutOfBoundsException.class, () -> model.set(3, new Linear(1, 1)));
        assertThrows(IndexOutOfBoundsException.class, () -> model.set(-4, new Linear(1, 1)));
    }
}
