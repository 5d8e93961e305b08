package dev.lanes.nn.optim;

import dev.lanes.nn.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A list of parameters with its own hyper-parameters, like an entry of PyTorch's
 * {@code optimizer.param_groups}. Option names are PyTorch's ({@code "lr"}, {@code "weight_decay"},
 * {@code "momentum"}, {@code "beta1"}/{@code "beta2"} for {@code betas}, ...). An option the group does not
 * set itself is read from its optimizer's defaults, so {@code new SGD(params, 0.1).momentum(0.9)} reaches
 * every group that did not choose its own momentum.
 *
 * <pre>{@code
 * var opt = new AdamW(backbone.parameters(), 1e-4);
 * opt.addParamGroup(ParamGroup.of(head.parameters()).set("lr", 1e-3).set("weight_decay", 0));
 * }</pre>
 */
public final class ParamGroup {
    private final List<Tensor> params;
    private final Map<String, Double> options = new LinkedHashMap<>();
    private Optimizer owner;

    private ParamGroup(List<Tensor> params) {
        this.params = List.copyOf(params);
    }

    /** A group of these parameters, with no options of its own yet. */
    public static ParamGroup of(List<Tensor> params) {
        return new ParamGroup(params);
    }

    /** The group's parameters, in order. */
    public List<Tensor> params() {
        return params;
    }

    /** The learning rate this group uses now (its own, or the optimizer's default). */
    public double lr() {
        return get("lr");
    }

    /** Sets this group's learning rate, as schedulers do ({@code group['lr'] = value}). */
    public ParamGroup lr(double value) {
        return set("lr", value);
    }

    /**
     * The value of an option: the group's own, else its optimizer's default. Boolean options (
     * {@code nesterov}, {@code amsgrad}, {@code maximize}, {@code centered}) read as 1 or 0.
     */
    public double get(String name) {
        Double own = options.get(name);
        if (own != null) {
            return own;
        }
        if (owner == null) {
            throw new IllegalStateException("ParamGroup: option '" + name + "' is not set and the group belongs to no optimizer yet");
        }
        return owner.defaultOption(name);
    }

    /** Whether a boolean option is on. */
    public boolean flag(String name) {
        return get(name) != 0;
    }

    /** Sets an option for this group only. The optimizer checks names and ranges when the group joins it. */
    public ParamGroup set(String name, double value) {
        if (owner != null) {
            owner.checkOption(name, value);
        }
        options.put(name, value);
        return this;
    }

    /** Sets a boolean option for this group only. */
    public ParamGroup set(String name, boolean value) {
        return set(name, value ? 1 : 0);
    }

    /** The options this group set itself (not its optimizer's defaults), read-only. */
    public Map<String, Double> ownOptions() {
        return Collections.unmodifiableMap(options);
    }

    /**
     * Takes the given option values (already checked by the optimizer). A value equal to the optimizer's
     * default is not made the group's own, so that setting the default later (e.g. {@code sgd.momentum(0.9)}
     * after {@code loadStateDict}) still reaches the group, as it would have before loading.
     */
    void replaceOptions(Map<String, Double> values) {
        for (Map.Entry<String, Double> e : values.entrySet()) {
            if (owner != null && e.getValue().equals(owner.defaultOption(e.getKey()))) {
                options.remove(e.getKey());
            } else {
                options.put(e.getKey(), e.getValue());
            }
        }
    }

    void attach(Optimizer optimizer) {
        if (owner != null && owner != optimizer) {
            throw new IllegalArgumentException("ParamGroup: the group already belongs to another optimizer");
        }
        for (Map.Entry<String, Double> e : options.entrySet()) {
            optimizer.checkOption(e.getKey(), e.getValue());
        }
        owner = optimizer;
    }
}
