package dev.lanes.nn.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.nn.Generator;
import dev.lanes.nn.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * {@link Optimizer#stateDict()} / {@link Optimizer#loadStateDict} and {@link OptimizerState}'s flat form:
 * training saved halfway, written to flat tensors and JSON metadata, read back into a fresh optimizer over
 * fresh parameters and continued gives the uninterrupted run's parameters bit for bit, for every optimizer;
 * every load error is caught before anything changes.
 */
class OptimizerStateTest {
    private static final int STEPS = 6;
    private static final int SAVE_AFTER = 3;

    /** Each optimizer with options that give it all its state, over a (3, 4) weight and a (4,) bias in two groups. */
    private static final Map<String, Function<List<Tensor>, Optimizer>> FACTORIES = new LinkedHashMap<>();

    static {
        FACTORIES.put("SGD", p -> twoGroups(new SGD(p.subList(0, 1), 0.05).momentum(0.9).nesterov(true).weightDecay(0.01), p,
                g -> g.set("lr", 0.01).set("momentum", 0.5).set("dampening", 0.1).set("nesterov", false)));
        FACTORIES.put("Adagrad", p -> twoGroups(new Adagrad(p.subList(0, 1), 0.1).lrDecay(0.01).initialAccumulatorValue(0.1), p,
                g -> g.set("lr", 0.05).set("maximize", true)));
        FACTORIES.put("RMSprop", p -> twoGroups(new RMSprop(p.subList(0, 1), 0.01).momentum(0.9).centered(true), p,
                g -> g.set("lr", 0.001).set("alpha", 0.9)));
        FACTORIES.put("Adam", p -> twoGroups(new Adam(p.subList(0, 1), 0.01).amsgrad(true).weightDecay(0.1), p,
                g -> g.set("lr", 0.002).set("beta1", 0.5)));
        FACTORIES.put("AdamW", p -> twoGroups(new AdamW(p.subList(0, 1), 0.01).betas(0.8, 0.95), p,
                g -> g.set("amsgrad", true).set("weight_decay", 0)));
        FACTORIES.put("Muon", p -> new Muon(List.of(p.get(0)), 0.02).addParamGroup(ParamGroup.of(List.of(p.get(2))).set("nesterov", false)));
    }

    private static Optimizer twoGroups(Optimizer opt, List<Tensor> p, Consumer<ParamGroup> options) {
        ParamGroup g = ParamGroup.of(List.of(p.get(1)));
        options.accept(g);
        return opt.addParamGroup(g);
    }

    /** A (3, 4) weight, a (4,) bias and a (5, 2) matrix (for Muon's second group), seeded. */
    private static List<Tensor> params() {
        Generator gen = new Generator(3);
        return List.of(Tensor.randn(gen, 3, 4).requiresGrad(true), Tensor.randn(gen, 4).requiresGrad(true),
                Tensor.randn(gen, 5, 2).requiresGrad(true));
    }

    /** Step t's gradients: seeded by t; the bias has none on steps 1 and 4. */
    private static void grads(List<Tensor> params, int t) {
        Generator gen = new Generator(100 + t);
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i);
            Tensor g = Tensor.randn(gen, p.shape());
            p.setGrad(i == 1 && (t == 1 || t == 4) ? null : g);
        }
    }

    private static void run(Optimizer opt, List<Tensor> params, int from, int to) {
        for (int t = from; t <= to; t++) {
            grads(params, t);
            opt.step();
        }
    }

    private static List<float[]> values(List<Tensor> params) {
        return params.stream().map(Tensor::toArray).toList();
    }

    private static List<Tensor> copies(List<Tensor> params) {
        return params.stream().map(p -> p.contiguousClone().requiresGrad(true)).toList();
    }

    @Test
    void resumedTrainingIsBitForBitTheUninterruptedRun() {
        for (Map.Entry<String, Function<List<Tensor>, Optimizer>> e : FACTORIES.entrySet()) {
            List<Tensor> straight = params();
            run(e.getValue().apply(straight), straight, 1, STEPS);

            List<Tensor> first = params();
            Optimizer before = e.getValue().apply(first);
            run(before, first, 1, SAVE_AFTER);
            OptimizerState saved = before.stateDict();
            // Through the flat form a tensor file stores, as another process would read it.
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            saved.tensors().forEach((k, v) -> tensors.put(k, Tensor.of(v.toArray(), v.shape())));
            Map<String, String> metadata = new LinkedHashMap<>(saved.metadata());

            List<Tensor> resumed = copies(first);
            Optimizer after = e.getValue().apply(resumed);
            after.loadStateDict(OptimizerState.fromTensors(tensors, metadata));
            assertStatesEqual(saved, after.stateDict(), e.getKey());
            run(after, resumed, SAVE_AFTER + 1, STEPS);

            for (int i = 0; i < straight.size(); i++) {
                assertArrayEquals(straight.get(i).toArray(), resumed.get(i).toArray(), e.getKey() + " param " + i);
            }
        }
    }

    private static void assertStatesEqual(OptimizerState want, OptimizerState got, String what) {
        assertEquals(want.paramGroups(), got.paramGroups(), what + ": groups");
        assertEquals(want.state().keySet(), got.state().keySet(), what + ": parameters with state");
        for (int i : want.state().keySet()) {
            assertEquals(want.state().get(i).keySet(), got.state().get(i).keySet(), what + ": state names");
            for (String name : want.state().get(i).keySet()) {
                Tensor w = want.state().get(i).get(name);
                Tensor g = got.state().get(i).get(name);
                assertArrayEquals(w.shape(), g.shape(), what + ": state." + i + "." + name + " shape");
                assertArrayEquals(w.toArray(), g.toArray(), what + ": state." + i + "." + name);
            }
        }
    }

    @Test
    void stateDictHoldsPyTorchsNamesAndGroups() {
        List<Tensor> p = params();
        Optimizer adam = FACTORIES.get("Adam").apply(p);
        grads(p, 1); // the bias has no gradient: it has no state yet
        adam.step();
        OptimizerState s = adam.stateDict();
        assertEquals(List.of(0), List.copyOf(s.state().keySet()));
        assertEquals(List.of("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"), List.copyOf(s.state().get(0).keySet()));
        assertEquals(0, s.state().get(0).get("step").dim());
        assertEquals(1f, s.state().get(0).get("step").item());
        assertArrayEquals(new int[] {3, 4}, s.state().get(0).get("exp_avg").shape());
        grads(p, 2);
        adam.step();
        s = adam.stateDict();
        assertEquals(2f, s.state().get(0).get("step").item());
        assertEquals(1f, s.state().get(1).get("step").item(), "the bias counts its own steps");
        assertEquals(List.of("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"), List.copyOf(s.state().get(1).keySet()),
                "amsgrad is a default, so group 1 has it too");

        assertEquals(2, s.paramGroups().size());
        assertEquals(List.of(0), s.paramGroups().get(0).params());
        assertEquals(List.of(1), s.paramGroups().get(1).params());
        Map<String, Double> g1 = s.paramGroups().get(1).options();
        assertEquals(adam.defaults().keySet(), g1.keySet(), "every option, resolved");
        assertEquals(0.002, g1.get("lr"));
        assertEquals(0.5, g1.get("beta1"));
        assertEquals(0.999, g1.get("beta2"));
        assertEquals(0.1, g1.get("weight_decay"), "the default reaches the group");

        // Flat form.
        Map<String, Tensor> flat = s.tensors();
        assertEquals(List.of("state.0.step", "state.0.exp_avg", "state.0.exp_avg_sq", "state.0.max_exp_avg_sq",
                "state.1.step", "state.1.exp_avg", "state.1.exp_avg_sq", "state.1.max_exp_avg_sq"), List.copyOf(flat.keySet()));
        assertEquals(OptimizerState.FORMAT, s.metadata().get(OptimizerState.METADATA_FORMAT));
        String json = s.metadata().get(OptimizerState.METADATA_PARAM_GROUPS);
        assertTrue(json.startsWith("[{\"lr\": 0.01, \"beta1\": 0.9, \"beta2\": 0.999, \"eps\": 1.0E-8,"), json);
        assertTrue(json.endsWith("\"decoupled_weight_decay\": 0.0, \"params\": [1]}]"), json);
        assertEquals(s.paramGroups(), OptimizerState.parseParamGroups(json));
    }

    @Test
    void stateDictAndLoadCopyDeeply() {
        List<Tensor> p = params();
        Optimizer sgd = FACTORIES.get("SGD").apply(p);
        run(sgd, p, 1, 2);
        OptimizerState s = sgd.stateDict();
        Tensor buf = s.state().get(0).get("momentum_buffer");
        float before = buf.get(0, 0);
        buf.set(before + 100, 0, 0);
        assertEquals(before, sgd.stateDict().state().get(0).get("momentum_buffer").get(0, 0), "stateDict shares nothing");

        OptimizerState fresh = sgd.stateDict();
        sgd.loadStateDict(fresh);
        Tensor loaded = fresh.state().get(0).get("momentum_buffer");
        loaded.set(-7f, 0, 0);
        assertEquals(before, sgd.stateDict().state().get(0).get("momentum_buffer").get(0, 0), "loadStateDict copies");
        assertNotSame(fresh.state().get(0).get("momentum_buffer"), sgd.stateDict().state().get(0).get("momentum_buffer"));
    }

    @Test
    void loadReplacesGroupOptionsAndState() {
        List<Tensor> p = params();
        Optimizer a = FACTORIES.get("RMSprop").apply(p);
        run(a, p, 1, 2);
        Map<String, Double> options = new LinkedHashMap<>(a.stateDict().paramGroups().get(0).options());
        options.put("lr", 0.123);
        OptimizerState s = new OptimizerState(Map.of(), List.of(new OptimizerState.Group(options, List.of(0)),
                a.stateDict().paramGroups().get(1)));
        a.loadStateDict(s);
        assertEquals(0.123, a.paramGroups().get(0).lr());
        assertTrue(a.stateDict().state().isEmpty(), "the loaded state replaces the old one");
    }

    // ------------------------------------------------------------------------------------------- errors

    /** Loading {@code bad} into a trained Adam fails with a message containing {@code words}, and changes nothing. */
    private static void rejects(Function<OptimizerState, OptimizerState> corrupt, String... words) {
        List<Tensor> p = params();
        Optimizer adam = FACTORIES.get("Adam").apply(p);
        run(adam, p, 1, 2);
        OptimizerState good = adam.stateDict();
        OptimizerState bad = corrupt.apply(good);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> adam.loadStateDict(bad));
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), "'" + w + "' missing from: " + e.getMessage());
        }
        assertTrue(e.getMessage().startsWith("Adam.loadStateDict"), e.getMessage());
        assertStatesEqual(good, adam.stateDict(), "after a failed load");
        assertEquals(0.01, adam.paramGroups().get(0).lr());
    }

    private static OptimizerState withState(OptimizerState s, int index, String name, Tensor t) {
        Map<Integer, Map<String, Tensor>> state = new LinkedHashMap<>();
        s.state().forEach((i, m) -> state.put(i, new LinkedHashMap<>(m)));
        if (t == null) {
            state.get(index).remove(name);
        } else {
            state.computeIfAbsent(index, i -> new LinkedHashMap<>()).put(name, t);
        }
        return new OptimizerState(state, s.paramGroups());
    }

    private static OptimizerState withGroups(OptimizerState s, List<OptimizerState.Group> groups) {
        return new OptimizerState(s.state(), groups);
    }

    private static OptimizerState withOption(OptimizerState s, int group, String name, double value) {
        List<OptimizerState.Group> groups = new ArrayList<>(s.paramGroups());
        Map<String, Double> o = new LinkedHashMap<>(groups.get(group).options());
        o.put(name, value);
        groups.set(group, new OptimizerState.Group(o, groups.get(group).params()));
        return withGroups(s, groups);
    }

    @Test
    void loadStateDictChecksEverythingBeforeChangingAnything() {
        rejects(s -> withGroups(s, s.paramGroups().subList(0, 1)), "1 parameter groups", "has 2");
        rejects(s -> withGroups(s, List.of(s.paramGroups().get(0),
                new OptimizerState.Group(s.paramGroups().get(1).options(), List.of(1, 2)))), "saved group 1 has 2 parameters");
        rejects(s -> withState(s, 0, "exp_avg", Tensor.zeros(4, 3)), "state.0.exp_avg", "[4, 3]", "[3, 4]");
        rejects(s -> withState(s, 1, "exp_avg_sq", Tensor.zeros(3, 4)), "state.1.exp_avg_sq", "[3, 4]", "[4]");
        rejects(s -> withState(s, 0, "momentum_buffer", Tensor.zeros(3, 4)), "no state named 'momentum_buffer'");
        rejects(s -> withState(s, 5, "step", Tensor.scalar(1)), "parameter 5");
        rejects(s -> withState(s, 0, "step", Tensor.scalar(1.5f)), "state.0.step", "whole number");
        rejects(s -> withState(s, 0, "step", Tensor.scalar(-1)), "state.0.step");
        rejects(s -> withState(s, 0, "step", Tensor.zeros(2)), "state.0.step", "one number");
        rejects(s -> withState(s, 0, "step", null), "state.0 has no 'step'");
        rejects(s -> withOption(s, 1, "lr", -1), "saved group 1", "Invalid learning rate: -1.0");
        rejects(s -> withOption(s, 0, "beta2", 1.0), "saved group 0", "Invalid beta parameter at index 1: 1.0");
        rejects(s -> withOption(s, 0, "momentum", 0.9), "has no option 'momentum'");
        rejects(s -> withGroups(s, List.of(s.paramGroups().get(0),
                new OptimizerState.Group(s.paramGroups().get(1).options(), List.of(0)))), "index 0 appears twice");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Adam(params().subList(0, 1)).loadStateDict(null));
        assertTrue(e.getMessage().contains("null"), e.getMessage());
    }

    @Test
    void loadStateDictAppliesCrossOptionRules() {
        List<Tensor> p = params();
        SGD sgd = new SGD(p.subList(0, 1), 0.1).momentum(0.9);
        OptimizerState s = sgd.stateDict();
        Map<String, Double> o = new LinkedHashMap<>(s.paramGroups().get(0).options());
        o.put("nesterov", 1.0);
        o.put("dampening", 0.5);
        OptimizerState bad = new OptimizerState(Map.of(), List.of(new OptimizerState.Group(o, List.of(0))));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sgd.loadStateDict(bad));
        assertTrue(e.getMessage().contains("Nesterov momentum requires a momentum and zero dampening"), e.getMessage());
        assertEquals(0.0, sgd.paramGroups().get(0).get("nesterov"));
    }

    @Test
    void flatFormRejectsWhatItCannotRead() {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(OptimizerState.METADATA_PARAM_GROUPS, "[{\"lr\": 0.1, \"params\": [0]}]");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("state.0.momentum_buffer", Tensor.zeros(2));
        OptimizerState ok = OptimizerState.fromTensors(tensors, meta);
        assertEquals(Map.of("lr", 0.1), ok.paramGroups().get(0).options());
        assertArrayEquals(new int[] {2}, ok.state().get(0).get("momentum_buffer").shape());

        for (String key : new String[] {"weights.0.x", "state.x.momentum_buffer", "state.0", "state.-1.sum", "state.0.a.b", "state.0."}) {
            Map<String, Tensor> bad = Map.of(key, Tensor.zeros(1));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OptimizerState.fromTensors(bad, meta), key);
            assertTrue(e.getMessage().contains(key), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OptimizerState.fromTensors(tensors, Map.of()));
        assertTrue(e.getMessage().contains("param_groups"), e.getMessage());
        Map<String, String> wrongFormat = new LinkedHashMap<>(meta);
        wrongFormat.put(OptimizerState.METADATA_FORMAT, "pt");
        e = assertThrows(IllegalArgumentException.class, () -> OptimizerState.fromTensors(tensors, wrongFormat));
        assertTrue(e.getMessage().contains("'pt'"), e.getMessage());

        for (String json : new String[] {"", "[", "[{\"lr\": 0.1}]", "[{\"lr\": x, \"params\": [0]}]", "[{\"lr\": 0.1, \"params\": [0.5]}]",
                "[{\"lr\": 0.1, \"lr\": 0.2, \"params\": []}]", "[{\"params\": [1], \"params\": [5]}]", "[] x", "[{\"lr\": 1e999, \"params\": []}]"}) {
            e = assertThrows(IllegalArgumentException.class, () -> OptimizerState.parseParamGroups(json), json);
            assertTrue(e.getMessage().contains("param_groups JSON"), e.getMessage());
        }
        assertEquals(List.of(), OptimizerState.parseParamGroups(" [ ] "));
        assertEquals(1.0, OptimizerState.parseParamGroups("[{\"nesterov\": true, \"params\": []}]").get(0).options().get("nesterov"));
        assertEquals(List.of(3, 4), OptimizerState.parseParamGroups("[{\"params\": [3, 4], \"a\\\"b\": -2.5E-3}]").get(0).params());
    }

    /** After loading a state, setting a default still reaches the groups that did not choose their own. */
    @Test
    void defaultsSetAfterLoadingStillApply() {
        Tensor w = Tensor.zeros(3).requiresGrad(true);
        SGD source = new SGD(List.of(w), 0.1);
        SGD target = new SGD(List.of(w), 0.1);
        target.loadStateDict(source.stateDict());
        target.momentum(0.9);
        assertEquals(0.9, target.paramGroups().get(0).get("momentum"));
        Tensor b = Tensor.zeros(2).requiresGrad(true);
        SGD own = new SGD(List.of(b), 0.1);
        own.addParamGroup(ParamGroup.of(List.of(w)).set("momentum", 0.5));
        SGD reloaded = new SGD(List.of(b), 0.1);
        reloaded.addParamGroup(ParamGroup.of(List.of(w)));
        reloaded.loadStateDict(own.stateDict());
        reloaded.momentum(0.9);
        assertEquals(0.9, reloaded.paramGroups().get(0).get("momentum"));
        assertEquals(0.5, reloaded.paramGroups().get(1).get("momentum"), "a loaded value of its own stays");
    }
}
