package dev.lanes.nn.optim;

import dev.lanes.nn.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * The base of Lanes' optimizers, like {@code torch.optim.Optimizer}: parameter groups with options that
 * fall back to the optimizer's defaults, per-parameter state ({@code optimizer.state}), {@link #zeroGrad()},
 * {@link #stateDict()} / {@link #loadStateDict}, and {@link #step()}, which subclasses implement one fused
 * kernel pass per parameter.
 *
 * <p>Subclasses declare their options and defaults in the constructor with {@link #defineOption} (and
 * {@link #defineFlag}, {@link #defineInteger}); a group's options are checked against those names and
 * ranges when it joins, and again, with the rules that tie options together ({@link #checkGroupOptions}),
 * before every step changes anything.
 *
 * <p>Parameters must be contiguous (optimizers update them in place through {@link Tensor#array()}); a
 * gradient that is not contiguous is copied to a contiguous array first.
 */
public abstract class Optimizer {
    private enum Kind { REAL, INTEGER, FLAG }

    /** How an option is checked, and the words PyTorch uses for it in messages ("learning rate"). */
    private record Spec(Kind kind, String description, double min, double max, boolean maxExclusive) {}

    private final Map<String, Double> defaults = new LinkedHashMap<>();
    private final Map<String, Spec> specs = new LinkedHashMap<>();
    private final List<ParamGroup> groups = new ArrayList<>();
    private final Map<Tensor, ParamState> state = new IdentityHashMap<>();

    /** The name used in messages, e.g. {@code "Adam"}. */
    protected abstract String name();

    /** Applies one update to every parameter that has a gradient. Parameters without one are skipped. */
    public abstract void step();

    // ------------------------------------------------------------------------------------------ options

    /**
     * Declares an option with its default and the closed range it must lie in. Call from the subclass
     * constructor before adding groups.
     */
    protected final void defineOption(String option, double defaultValue, double min, double max) {
        define(option, new Spec(Kind.REAL, option, min, max, false), defaultValue);
    }

    /**
     * Declares a real option with the words PyTorch's messages use for it ({@code "learning rate"},
     * {@code "beta parameter at index 0"}, ...) and the range {@code [min, max]}, or {@code [min, max)} when
     * {@code maxExclusive}. Values must also be finite in float32, the precision Lanes computes in.
     */
    protected final void defineOption(String option, String description, double defaultValue,
                                      double min, double max, boolean maxExclusive) {
        define(option, new Spec(Kind.REAL, description, min, max, maxExclusive), defaultValue);
    }

    /** Declares a whole-number option in {@code [min, max]}. */
    protected final void defineInteger(String option, String description, long defaultValue, long min, long max) {
        define(option, new Spec(Kind.INTEGER, description, min, max, false), defaultValue);
    }

    /** Declares a boolean option; groups hold it as 1 or 0 ({@link ParamGroup#flag}). */
    protected final void defineFlag(String option, boolean defaultValue) {
        define(option, new Spec(Kind.FLAG, option, 0, 1, false), defaultValue ? 1 : 0);
    }

    private void define(String option, Spec spec, double defaultValue) {
        specs.put(option, spec);
        checkOption(option, defaultValue);
        defaults.put(option, defaultValue);
    }

    /** Sets the default of an option for every group that did not set its own. */
    protected final void setDefault(String option, double value) {
        checkOption(option, value);
        defaults.put(option, value);
    }

    /** The optimizer's default for an option; throws naming the option if this optimizer has none such. */
    public double defaultOption(String option) {
        Double value = defaults.get(option);
        if (value == null) {
            throw new IllegalArgumentException(name() + " has no option '" + option + "'; it has " + defaults.keySet());
        }
        return value;
    }

    /** The names and defaults of this optimizer's options, read-only. */
    public Map<String, Double> defaults() {
        return Collections.unmodifiableMap(defaults);
    }

    /**
     * Throws, as setting it would, if {@code value} is not valid for {@code option} (an unknown option, a
     * value out of range, a non-boolean for a flag). For schedulers that will write an option later.
     */
    public void checkOption(String option, double value) {
        Spec spec = specs.get(option);
        if (spec == null) {
            throw new IllegalArgumentException(name() + " has no option '" + option + "'; it has " + specs.keySet());
        }
        switch (spec.kind) {
            case FLAG -> {
                if (value != 0 && value != 1) {
                    throw new IllegalArgumentException(name() + ": " + option + " is a boolean option (1 or 0, true or false), got " + value);
                }
                return;
            }
            case INTEGER -> {
                if (value != Math.rint(value)) {
                    throw new IllegalArgumentException(name() + ": Invalid " + spec.description + ": " + value
                            + " (" + option + " must be a whole number " + rangeText(spec) + ")");
                }
            }
            case REAL -> {
                // The kernels take float hyper-parameters; a double that overflows float would become infinite there.
                if (!Double.isFinite(value) || Float.isInfinite((float) value)) {
                    throw new IllegalArgumentException(name() + ": Invalid " + spec.description + ": " + value
                            + " (" + option + " must be finite in float32" + (rangeText(spec).isEmpty() ? "" : " and " + rangeText(spec)) + ")");
                }
            }
        }
        boolean below = value < spec.min;
        boolean above = spec.maxExclusive ? value >= spec.max : value > spec.max;
        if (below || above || Double.isNaN(value)) {
            throw new IllegalArgumentException(name() + ": Invalid " + spec.description + ": " + value
                    + " (" + option + " must be " + rangeText(spec) + ")");
        }
    }

    private static String rangeText(Spec s) {
        boolean noMin = s.min == Double.NEGATIVE_INFINITY;
        boolean noMax = s.max == Double.POSITIVE_INFINITY;
        if (noMin && noMax) {
            return "";
        }
        if (noMax) {
            return ">= " + number(s.min);
        }
        if (noMin) {
            return (s.maxExclusive ? "< " : "<= ") + number(s.max);
        }
        return "in [" + number(s.min) + ", " + number(s.max) + (s.maxExclusive ? ")" : "]");
    }

    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    /**
     * Rules that tie options of one group together (SGD: Nesterov needs momentum and no dampening), which
     * cannot be checked option by option because defaults may be set in any order. Called for every group
     * before {@link #step()} changes anything (subclasses call {@link #checkGroups()} first thing), and on
     * the options of a state dict before it is loaded. Throw {@link IllegalArgumentException} naming the group.
     *
     * @param group the group's index
     * @param option the group's value of an option, resolved (its own, else the default)
     */
    protected void checkGroupOptions(int group, ToDoubleFunction<String> option) {}

    /** Applies {@link #checkGroupOptions} to every group; call at the start of {@link #step()}. */
    protected final void checkGroups() {
        for (int i = 0; i < groups.size(); i++) {
            checkGroupOptions(i, groups.get(i)::get);
        }
    }

    // ------------------------------------------------------------------------------------------- groups

    /** Adds a group of parameters (PyTorch's {@code add_param_group}); a parameter may be in one group only. */
    public Optimizer addParamGroup(ParamGroup group) {
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (ParamGroup g : groups) {
            seen.addAll(g.params());
        }
        for (Tensor p : group.params()) {
            if (p == null) {
                throw new IllegalArgumentException(name() + ": a parameter is null");
            }
            // A frozen parameter (requiresGrad false) is accepted, as in PyTorch: it never gets a gradient, so
            // step() skips it, and `new Adam(model.parameters())` after freezing a backbone just works.
            if (!p.isContiguous()) {
                throw new IllegalArgumentException(name() + ": a parameter of shape " + Arrays.toString(p.shape())
                        + " with strides " + Arrays.toString(p.strides()) + " is not contiguous; optimizers update parameters in place"
                        + " through their backing array, so pass the contiguous tensor the view was taken from");
            }
            if (!seen.add(p)) {
                throw new IllegalArgumentException(name() + ": a parameter appears in more than one group (or twice in one)");
            }
        }
        group.attach(this);
        groups.add(group);
        return this;
    }

    /** The parameter groups, in the order they were added. */
    public List<ParamGroup> paramGroups() {
        return Collections.unmodifiableList(groups);
    }

    /** Clears the gradient of every parameter (PyTorch's {@code zero_grad(set_to_none=True)}). */
    public void zeroGrad() {
        for (ParamGroup g : groups) {
            for (Tensor p : g.params()) {
                p.setGrad(null);
            }
        }
    }

    // -------------------------------------------------------------------------------- per-parameter state

    /**
     * One parameter's entry of the optimizer's state (PyTorch's {@code optimizer.state[p]}): a step count
     * and named float buffers of the parameter's size ({@code "exp_avg"}, {@code "momentum_buffer"}, ...).
     * Created the first time a step touches the parameter.
     */
    protected static final class ParamState {
        private long step;
        private final Map<String, float[]> buffers = new LinkedHashMap<>();

        /** PyTorch's {@code state['step']}: how many steps this parameter has taken (for optimizers that count). */
        public long step() {
            return step;
        }

        /** Counts one more step and returns the new count, as PyTorch does before the update. */
        public long incrementStep() {
            return ++step;
        }

        /** A buffer, or null if it has not been created. */
        public float[] buffer(String name) {
            return buffers.get(name);
        }

        /** A buffer, created filled with {@code initialValue} if it does not exist yet. */
        public float[] buffer(String name, int size, float initialValue) {
            float[] b = buffers.get(name);
            if (b == null) {
                b = new float[size];
                if (initialValue != 0) {
                    Arrays.fill(b, initialValue);
                }
                buffers.put(name, b);
            }
            return b;
        }
    }

    /** The state of a parameter, created empty the first time it is asked for. */
    protected final ParamState state(Tensor param) {
        return state.computeIfAbsent(param, p -> new ParamState());
    }

    /**
     * The names of the state this optimizer keeps per parameter, as PyTorch's state dict names them
     * ({@code "step"} when it counts steps, then its buffers). {@link #loadStateDict} accepts these only.
     */
    protected List<String> stateNames() {
        return List.of();
    }

    /**
     * The gradient of a parameter as a contiguous tensor (the gradient itself when it already is, else a
     * copy), or null when the parameter has none.
     */
    protected static Tensor contiguousGrad(Tensor param) {
        Tensor g = param.grad();
        return g == null || g.isContiguous() ? g : g.contiguousClone();
    }

    // --------------------------------------------------------------------------------------- state dict

    /**
     * A deep copy of the optimizer's state, like PyTorch's {@code optimizer.state_dict()}: per parameter
     * index (counting through the groups in order) its step and buffers, and per group every option,
     * resolved, with the indices of its parameters. The step is a 0-dimensional float32 tensor, as PyTorch's
     * (exact up to 2^24 steps).
     */
    public OptimizerState stateDict() {
        List<String> names = stateNames();
        Map<Integer, Map<String, Tensor>> saved = new TreeMap<>();
        List<OptimizerState.Group> savedGroups = new ArrayList<>();
        int index = 0;
        for (ParamGroup g : groups) {
            Map<String, Double> options = new LinkedHashMap<>();
            for (String option : defaults.keySet()) {
                options.put(option, g.get(option));
            }
            List<Integer> indices = new ArrayList<>();
            for (Tensor p : g.params()) {
                ParamState s = state.get(p);
                if (s != null) {
                    Map<String, Tensor> entry = new LinkedHashMap<>();
                    if (names.contains("step")) {
                        entry.put("step", Tensor.scalar(s.step));
                    }
                    for (Map.Entry<String, float[]> b : s.buffers.entrySet()) {
                        entry.put(b.getKey(), Tensor.of(b.getValue(), p.shape()));
                    }
                    saved.put(index, entry);
                }
                indices.add(index++);
            }
            savedGroups.add(new OptimizerState.Group(options, indices));
        }
        return new OptimizerState(saved, savedGroups);
    }

    /**
     * Replaces this optimizer's state and group options with a deep copy of {@code saved}, like PyTorch's
     * {@code load_state_dict}: saved group {@code k}'s parameters are this optimizer's group {@code k}'s, in
     * order. Checks group counts and sizes, option names and values, state names, every state tensor's shape
     * against its parameter, and step counts, and throws {@link IllegalArgumentException} before changing
     * anything if one is wrong. Options a saved group lacks keep their current value.
     */
    public void loadStateDict(OptimizerState saved) {
        String where = name() + ".loadStateDict";
        if (saved == null) {
            throw new IllegalArgumentException(where + ": the state is null");
        }
        List<OptimizerState.Group> savedGroups = saved.paramGroups();
        if (savedGroups.size() != groups.size()) {
            throw new IllegalArgumentException(where + ": the state has " + savedGroups.size()
                    + " parameter groups, this optimizer has " + groups.size());
        }
        Map<Integer, Tensor> byIndex = new LinkedHashMap<>();
        List<Map<String, Double>> newOptions = new ArrayList<>();
        for (int k = 0; k < groups.size(); k++) {
            ParamGroup g = groups.get(k);
            OptimizerState.Group sg = savedGroups.get(k);
            if (sg.params().size() != g.params().size()) {
                throw new IllegalArgumentException(where + ": saved group " + k + " has " + sg.params().size()
                        + " parameters, this optimizer's group " + k + " has " + g.params().size()
                        + " (loaded state dict contains a parameter group that doesn't match the size of optimizer's group)");
            }
            for (int j = 0; j < sg.params().size(); j++) {
                if (byIndex.put(sg.params().get(j), g.params().get(j)) != null) {
                    throw new IllegalArgumentException(where + ": parameter index " + sg.params().get(j) + " appears twice in the saved groups");
                }
            }
            Map<String, Double> merged = new LinkedHashMap<>();
            for (String option : defaults.keySet()) {
                merged.put(option, g.get(option));
            }
            for (Map.Entry<String, Double> e : sg.options().entrySet()) {
                try {
                    checkOption(e.getKey(), e.getValue());
                } catch (IllegalArgumentException ex) {
                    throw new IllegalArgumentException(where + ": saved group " + k + ": " + ex.getMessage(), ex);
                }
                merged.put(e.getKey(), e.getValue());
            }
            try {
                checkGroupOptions(k, merged::get);
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException(where + ": saved group " + k + ": " + ex.getMessage(), ex);
            }
            newOptions.add(merged);
        }
        Set<String> allowed = new HashSet<>(stateNames());
        Map<Tensor, ParamState> newState = new IdentityHashMap<>();
        for (Map.Entry<Integer, Map<String, Tensor>> e : saved.state().entrySet()) {
            Tensor p = byIndex.get(e.getKey());
            if (p == null) {
                throw new IllegalArgumentException(where + ": the state has an entry for parameter " + e.getKey()
                        + ", which no saved group lists (they list " + byIndex.keySet() + ")");
            }
            ParamState s = new ParamState();
            for (Map.Entry<String, Tensor> b : e.getValue().entrySet()) {
                String what = where + ": state." + e.getKey() + "." + b.getKey();
                if (!allowed.contains(b.getKey())) {
                    throw new IllegalArgumentException(what + ": " + name() + " keeps no state named '" + b.getKey()
                            + "'; it keeps " + stateNames());
                }
                Tensor t = b.getValue();
                if (t == null) {
                    throw new IllegalArgumentException(what + " is null");
                }
                if (b.getKey().equals("step")) {
                    if (t.numel() != 1) {
                        throw new IllegalArgumentException(what + " must hold one number, it has shape " + Arrays.toString(t.shape()));
                    }
                    float v = t.toArray()[0];
                    if (!(v >= 0) || v != Math.rint(v)) {
                        throw new IllegalArgumentException(what + " = " + v + " must be a whole number >= 0");
                    }
                    s.step = (long) v;
                } else {
                    if (!Arrays.equals(t.shape(), p.shape())) {
                        throw new IllegalArgumentException(what + " has shape " + Arrays.toString(t.shape())
                                + " but its parameter has shape " + Arrays.toString(p.shape()));
                    }
                    s.buffers.put(b.getKey(), t.toArray());
                }
            }
            if (allowed.contains("step") && !e.getValue().containsKey("step")) {
                throw new IllegalArgumentException(where + ": state." + e.getKey() + " has no 'step' ("
                        + name() + " counts the steps of every parameter it has state for)");
            }
            newState.put(p, s);
        }
        // Everything is checked: commit.
        for (int k = 0; k < groups.size(); k++) {
            groups.get(k).replaceOptions(newOptions.get(k));
        }
        state.clear();
        state.putAll(newState);
    }
}
