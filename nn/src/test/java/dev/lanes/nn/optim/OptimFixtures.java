package dev.lanes.nn.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.lanes.nn.Fixtures;
import dev.lanes.nn.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads the optimizer cases written by {@code scripts/fixtures/gen_optimizer_nn_fixtures.py} (see its
 * docstring for the keys), builds the Lanes optimizer a case describes the way a user would (constructor and
 * fluent setters for the first group, as PyTorch's constructor arguments; {@link ParamGroup#set} for the
 * others), replays its gradients and compares.
 */
final class OptimFixtures {
    private OptimFixtures() {}

    /** A tolerance {@code |got - want| <= rel * |want| + ofMax * max|want over the tensor|}. */
    record Tolerance(double rel, double ofMax) {
        static final Tolerance EXACT = new Tolerance(0, 0);
    }

    /** The worst errors seen, for the summary printed by the tests. */
    static final class Worst {
        double rel;
        double ofMax;

        void add(double err, double want, double max) {
            if (want != 0) {
                rel = Math.max(rel, err / Math.abs(want));
            }
            if (max != 0) {
                ofMax = Math.max(ofMax, err / max);
            }
        }
    }

    /** The case names of a fixture file, in order. */
    static List<String> cases(Fixtures f) {
        List<String> names = new ArrayList<>();
        for (String key : f.entries().keySet()) {
            if (key.endsWith(".steps")) {
                names.add(key.substring(0, key.length() - ".steps".length()));
            }
        }
        return names;
    }

    static int steps(Fixtures f, String c) {
        return f.ints(c + ".steps")[0];
    }

    static int mid(Fixtures f, String c) {
        return f.ints(c + ".mid")[0];
    }

    static int paramCount(Fixtures f, String c) {
        int n = 0;
        while (f.has(c + ".param" + n)) {
            n++;
        }
        return n;
    }

    static Tensor tensor(Fixtures f, String key) {
        Fixtures.Entry e = f.get(key);
        return Tensor.of(e.floats(), e.shape());
    }

    /** Fresh parameters (leaves requiring grad) holding the values stored under {@code key.<i>}. */
    static List<Tensor> params(Fixtures f, String c, String key) {
        List<Tensor> ps = new ArrayList<>();
        for (int i = 0; i < paramCount(f, c); i++) {
            ps.add(tensor(f, c + "." + key.replace("%d", Integer.toString(i))).requiresGrad(true));
        }
        return ps;
    }

    static int groupCount(Fixtures f, String c) {
        int k = 0;
        while (f.has(c + ".group" + k + ".params")) {
            k++;
        }
        return k;
    }

    /** Group k's options as stored (every option of PyTorch's group, under Lanes' names). */
    static Map<String, Double> options(Fixtures f, String c, int k) {
        String prefix = c + ".group" + k + ".opt.";
        Map<String, Double> o = new LinkedHashMap<>();
        for (Map.Entry<String, Fixtures.Entry> e : f.entries().entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                o.put(e.getKey().substring(prefix.length()), e.getValue().values()[0]);
            }
        }
        return o;
    }

    static List<Integer> groupParams(Fixtures f, String c, int k) {
        return Arrays.stream(f.ints(c + ".group" + k + ".params")).boxed().toList();
    }

    /** The optimizer of case {@code c} (its first word names it) over {@code params}. */
    static Optimizer build(Fixtures f, String c, List<Tensor> params) {
        String kind = c.substring(0, c.indexOf('_'));
        Map<String, Double> o = options(f, c, 0);
        List<Tensor> first = groupParams(f, c, 0).stream().map(params::get).toList();
        Optimizer opt = switch (kind) {
            case "sgd" -> new SGD(first, o.get("lr")).momentum(o.get("momentum")).dampening(o.get("dampening"))
                    .weightDecay(o.get("weight_decay")).nesterov(o.get("nesterov") != 0).maximize(o.get("maximize") != 0);
            case "adagrad" -> new Adagrad(first, o.get("lr")).lrDecay(o.get("lr_decay")).weightDecay(o.get("weight_decay"))
                    .initialAccumulatorValue(o.get("initial_accumulator_value")).eps(o.get("eps"))
                    .maximize(o.get("maximize") != 0);
            case "rmsprop" -> new RMSprop(first, o.get("lr")).alpha(o.get("alpha")).eps(o.get("eps"))
                    .weightDecay(o.get("weight_decay")).momentum(o.get("momentum")).centered(o.get("centered") != 0)
                    .maximize(o.get("maximize") != 0);
            case "adam" -> new Adam(first, o.get("lr")).betas(o.get("beta1"), o.get("beta2")).eps(o.get("eps"))
                    .weightDecay(o.get("weight_decay")).amsgrad(o.get("amsgrad") != 0).maximize(o.get("maximize") != 0)
                    .decoupledWeightDecay(o.get("decoupled_weight_decay") != 0);
            case "adamw" -> new AdamW(first, o.get("lr")).betas(o.get("beta1"), o.get("beta2")).eps(o.get("eps"))
                    .weightDecay(o.get("weight_decay")).amsgrad(o.get("amsgrad") != 0).maximize(o.get("maximize") != 0);
            case "muon" -> new Muon(first, o.get("lr")).weightDecay(o.get("weight_decay")).momentum(o.get("momentum"))
                    .nesterov(o.get("nesterov") != 0).nsCoefficients(o.get("ns_a"), o.get("ns_b"), o.get("ns_c"))
                    .eps(o.get("eps")).nsSteps((int) (double) o.get("ns_steps"))
                    .adjustLrFn(Muon.AdjustLr.values()[(int) (double) o.get("adjust_lr_fn")]);
            default -> throw new IllegalStateException("unknown optimizer in case " + c);
        };
        // Every option PyTorch's group has, Lanes has under the same name, and the setters reached the group.
        assertEquals(o.keySet(), opt.defaults().keySet(), c + ": option names");
        assertEquals(o, resolved(opt, 0), c + ": group 0 options");
        for (int k = 1; k < groupCount(f, c); k++) {
            ParamGroup g = ParamGroup.of(groupParams(f, c, k).stream().map(params::get).toList());
            options(f, c, k).forEach(g::set);
            opt.addParamGroup(g);
            assertEquals(options(f, c, k), resolved(opt, k), c + ": group " + k + " options");
        }
        return opt;
    }

    /** Every option of group k, resolved. */
    static Map<String, Double> resolved(Optimizer opt, int k) {
        ParamGroup g = opt.paramGroups().get(k);
        Map<String, Double> m = new LinkedHashMap<>();
        for (String name : opt.defaults().keySet()) {
            m.put(name, g.get(name));
        }
        return m;
    }

    /** Sets every parameter's gradient for step t (null where the fixture has none). */
    static void setGrads(Fixtures f, String c, int t, List<Tensor> params) {
        for (int i = 0; i < params.size(); i++) {
            String key = c + ".step" + t + ".grad" + i;
            params.get(i).setGrad(f.has(key) ? tensor(f, key) : null);
        }
    }

    /** Runs steps {@code from..to} of case c and compares the parameters after each. */
    static void replay(Fixtures f, String c, Optimizer opt, List<Tensor> params, int from, int to, Tolerance tol, Worst worst) {
        for (int t = from; t <= to; t++) {
            setGrads(f, c, t, params);
            opt.step();
            for (int i = 0; i < params.size(); i++) {
                compare(c + " step " + t + " param " + i, f.get(c + ".step" + t + ".param" + i).values(),
                        params.get(i).toArray(), tol, worst);
            }
        }
    }

    /** The state tensors stored under {@code c.<key>.<i>.<name>}, as an optimizer state with case c's groups. */
    static OptimizerState state(Fixtures f, String c, String key) {
        String prefix = c + "." + key + ".";
        Map<Integer, Map<String, Tensor>> state = new TreeMap<>();
        for (String k : f.entries().keySet()) {
            if (k.startsWith(prefix)) {
                String[] parts = k.substring(prefix.length()).split("\\.");
                state.computeIfAbsent(Integer.parseInt(parts[0]), i -> new LinkedHashMap<>()).put(parts[1], tensor(f, k));
            }
        }
        List<OptimizerState.Group> groups = new ArrayList<>();
        for (int k = 0; k < groupCount(f, c); k++) {
            groups.add(new OptimizerState.Group(options(f, c, k), groupParams(f, c, k)));
        }
        return new OptimizerState(state, groups);
    }

    /** Lanes' state dict against PyTorch's: the same entries, names and shapes; values within tol; steps exact. */
    static void compareState(String what, OptimizerState want, OptimizerState got, Tolerance tol, Worst worst) {
        assertEquals(want.state().keySet(), got.state().keySet(), what + ": parameters with state");
        for (int i : want.state().keySet()) {
            Map<String, Tensor> w = want.state().get(i);
            Map<String, Tensor> g = got.state().get(i);
            assertEquals(w.keySet(), g.keySet(), what + ": state names of parameter " + i);
            for (String name : w.keySet()) {
                assertArrayEquals(w.get(name).shape(), g.get(name).shape(), what + ": shape of state." + i + "." + name);
                double[] wv = toDoubles(w.get(name).toArray());
                compare(what + " state." + i + "." + name, wv, g.get(name).toArray(),
                        name.equals("step") ? Tolerance.EXACT : tol, worst);
            }
        }
    }

    static double[] toDoubles(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    static void compare(String what, double[] want, float[] got, Tolerance tol, Worst worst) {
        assertEquals(want.length, got.length, what + ": length");
        double max = 0;
        for (double w : want) {
            max = Math.max(max, Math.abs(w));
        }
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs(got[i] - want[i]);
            worst.add(err, want[i], max);
            double allowed = tol.rel * Math.abs(want[i]) + tol.ofMax * max;
            if (!(err <= allowed)) {
                fail(what + ", element " + i + ": want " + (float) want[i] + ", got " + got[i] + " (error " + err
                        + ", allowed " + allowed + ")");
            }
        }
    }
}
