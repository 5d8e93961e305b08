package dev.lanes.nn.layers;

import dev.lanes.nn.GradMode;
import dev.lanes.nn.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A layer or a model, like {@code torch.nn.Module}: it owns named parameters (tensors that require grad),
 * buffers (state saved with the model but not trained, such as BatchNorm's running statistics) and child
 * modules, and has a training and an evaluation mode.
 *
 * <p>Names follow PyTorch's {@code state_dict()}: a child's entries are prefixed with its name and a dot
 * ({@code "0.weight"}, {@code "encoder.layers.1.bias"}), so weights can move between Lanes and PyTorch.
 *
 * <p>Thread safety: in eval mode and inside {@link GradMode#noGrad()}, {@link #forward} reads the
 * parameters and buffers and writes nothing shared, so one model may serve many threads at once. Training,
 * {@link #train()}/{@link #eval()} and loading weights must not overlap with other calls.
 */
public abstract class Module {
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** Computes the module's output. */
    public abstract Tensor forward(Tensor input);

    /** Registers (or replaces) a parameter; it is marked as requiring grad. Returns it. */
    protected Tensor registerParameter(String name, Tensor parameter) {
        checkName(name);
        if (parameter == null) {
            parameters.remove(name);
            return null;
        }
        parameter.requiresGrad(true);
        parameters.put(name, parameter);
        return parameter;
    }

    /** Registers (or replaces) a buffer: saved in the state dict, not trained. Returns it. */
    protected Tensor registerBuffer(String name, Tensor buffer) {
        checkName(name);
        buffers.put(name, buffer);
        return buffer;
    }

    /** Registers (or replaces) a child module. Returns it. */
    protected <M extends Module> M registerModule(String name, M module) {
        checkName(name);
        children.put(name, module);
        return module;
    }

    /** All parameters, this module's first, then its children's in registration order. */
    public List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** Parameters by their dotted names ({@code named_parameters()}). */
    public Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out, true, false);
        return out;
    }

    /** Buffers by their dotted names. */
    public Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out, false, true);
        return out;
    }

    /** The direct children by name. */
    public Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }

    /**
     * Parameters and buffers by their dotted names, in PyTorch's order (per module: parameters, then
     * buffers, then children). The tensors are the module's own, not copies.
     */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out, true, true);
        return out;
    }

    /**
     * Copies values from {@code state} into this module's parameters and buffers, matched by name. With
     * {@code strict}, missing and unexpected keys are errors (as in PyTorch); a shape mismatch is always an
     * error. Everything is checked before anything is copied, so a failed load changes nothing.
     */
    public void loadStateDict(Map<String, Tensor> state, boolean strict) {
        Map<String, Tensor> own = stateDict();
        TreeSet<String> missing = new TreeSet<>(own.keySet());
        missing.removeAll(state.keySet());
        TreeSet<String> unexpected = new TreeSet<>(state.keySet());
        unexpected.removeAll(own.keySet());
        if (strict && (!missing.isEmpty() || !unexpected.isEmpty())) {
            throw new IllegalArgumentException("loadStateDict: missing keys " + missing + ", unexpected keys " + unexpected);
        }
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            Tensor target = own.get(e.getKey());
            if (target != null && !Arrays.equals(target.shape(), e.getValue().shape())) {
                throw new IllegalArgumentException("loadStateDict: size mismatch for " + e.getKey() + ": copying a param with shape "
                        + Arrays.toString(e.getValue().shape()) + ", the shape in the current model is "
                        + Arrays.toString(target.shape()));
            }
        }
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            for (Map.Entry<String, Tensor> e : state.entrySet()) {
                Tensor target = own.get(e.getKey());
                if (target != null) {
                    target.copy_(e.getValue());
                }
            }
        }
    }

    /** Training mode for this module and its children (dropout active, batch statistics). Returns this. */
    public Module train() {
        return setTraining(true);
    }

    /** Evaluation mode for this module and its children. Returns this. */
    public Module eval() {
        return setTraining(false);
    }

    public boolean isTraining() {
        return training;
    }

    private Module setTraining(boolean mode) {
        training = mode;
        for (Module child : children.values()) {
            child.setTraining(mode);
        }
        return this;
    }

    /** Freezes ({@code false}) or unfreezes every parameter of this module and its children. Returns this. */
    public Module requiresGrad(boolean requires) {
        for (Tensor p : parameters()) {
            p.requiresGrad(requires);
            if (!requires) {
                p.zeroGrad();
            }
        }
        return this;
    }

    /** Clears every parameter's gradient. */
    public void zeroGrad() {
        for (Tensor p : parameters()) {
            p.zeroGrad();
        }
    }

    /** The number of parameter elements. */
    public long parameterCount() {
        long n = 0;
        for (Tensor p : parameters()) {
            n += p.numel();
        }
        return n;
    }

    /** The module's name and configuration, like PyTorch's {@code extra_repr}; children are listed after. */
    protected String extraRepr() {
        return "";
    }

    /** The name {@link #toString} prints, PyTorch's class name (the Java class name unless overridden). */
    protected String typeName() {
        return getClass().getSimpleName();
    }

    /** A float as Python prints it ({@code 1e-05}, {@code 0.1}), for {@link #extraRepr}. */
    protected static String pythonFloat(float v) {
        String s = Float.toString(v);
        int e = s.indexOf('E');
        if (e < 0) {
            return s;
        }
        String mantissa = s.substring(0, e);
        if (mantissa.endsWith(".0")) {
            mantissa = mantissa.substring(0, mantissa.length() - 2);
        }
        int exponent = Integer.parseInt(s.substring(e + 1));
        return mantissa + (exponent < 0 ? "e-" : "e+") + String.format("%02d", Math.abs(exponent));
    }

    /** Python's spelling of a boolean. */
    protected static String pythonBool(boolean b) {
        return b ? "True" : "False";
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(typeName()).append('(').append(extraRepr());
        if (!children.isEmpty()) {
            sb.append('\n');
            for (Map.Entry<String, Module> e : children.entrySet()) {
                String child = e.getValue().toString().replace("\n", "\n  ");
                sb.append("  (").append(e.getKey()).append("): ").append(child).append('\n');
            }
        }
        return sb.append(')').toString();
    }

    private void collect(String prefix, Map<String, Tensor> out, boolean withParameters, boolean withBuffers) {
        if (withParameters) {
            for (Map.Entry<String, Tensor> e : parameters.entrySet()) {
                out.put(prefix + e.getKey(), e.getValue());
            }
        }
        if (withBuffers) {
            for (Map.Entry<String, Tensor> e : buffers.entrySet()) {
                out.put(prefix + e.getKey(), e.getValue());
            }
        }
        for (Map.Entry<String, Module> e : children.entrySet()) {
            e.getValue().collect(prefix + e.getKey() + ".", out, withParameters, withBuffers);
        }
    }

    private static void checkName(String name) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException("module attribute name '" + name + "' must be non-empty and have no dots");
        }
    }
}
