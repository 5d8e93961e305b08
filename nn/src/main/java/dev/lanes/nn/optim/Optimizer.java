package dev.lanes.nn.optim;

import dev.lanes.nn.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The base of Lanes' optimizers, like {@code torch.optim.Optimizer}: parameter groups with options that
 * fall back to the optimizer's defaults, {@link #zeroGrad()}, and {@link #step()}, which subclasses
 * implement one fused kernel pass per parameter.
 *
 * <p>Subclasses declare their options and defaults in the constructor with {@link #defineOption}; a
 * group's options are checked against those names and ranges when it joins.
 */
public abstract class Optimizer {
    private final Map<String, Double> defaults = new LinkedHashMap<>();
    private final Map<String, double[]> ranges = new LinkedHashMap<>();
    private final List<ParamGroup> groups = new ArrayList<>();

    /** The name used in messages, e.g. {@code "Adam"}. */
    protected abstract String name();

    /** Applies one update to every parameter that has a gradient. Parameters without one are skipped. */
    public abstract void step();

    /**
     * Declares an option with its default and the closed range it must lie in. Call from the subclass
     * constructor before adding groups.
     */
    protected final void defineOption(String option, double defaultValue, double min, double max) {
        ranges.put(option, new double[] {min, max});
        defaults.put(option, defaultValue);
        checkOption(option, defaultValue);
    }

    /** Sets the default of an option for every group that did not set its own. */
    protected final void setDefault(String option, double value) {
        checkOption(option, value);
        defaults.put(option, value);
    }

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
            if (!p.requiresGrad()) {
                throw new IllegalArgumentException(name() + ": a parameter of shape " + java.util.Arrays.toString(p.shape())
                        + " does not require grad; freeze parameters by leaving them out of the optimizer or by requiresGrad(false) after creating it");
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

    void checkOption(String option, double value) {
        double[] range = ranges.get(option);
        if (range == null) {
            throw new IllegalArgumentException(name() + " has no option '" + option + "'; it has " + ranges.keySet());
        }
        if (!(value >= range[0] && value <= range[1])) {
            throw new IllegalArgumentException(name() + ": invalid " + option + " " + value + ", must be in [" + range[0] + ", " + range[1] + "]");
        }
    }
}
