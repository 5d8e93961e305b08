package dev.lanes.nn.optim;

import dev.lanes.nn.Tensor;
import dev.lanes.nn.internal.Json;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What PyTorch's {@code optimizer.state_dict()} holds, as Java values: {@link #state()}, per parameter
 * index, its state tensors under PyTorch's names ({@code "step"} as a one-element tensor,
 * {@code "momentum_buffer"}, {@code "exp_avg"}, {@code "exp_avg_sq"}, {@code "max_exp_avg_sq"},
 * {@code "sum"}, {@code "square_avg"}, {@code "grad_avg"}), and {@link #paramGroups()}, per group every
 * option, resolved, with the indices of its parameters. Indices count the parameters through the groups in
 * order, as PyTorch's do.
 *
 * <p>Made by {@link Optimizer#stateDict()} and read by {@link Optimizer#loadStateDict}, which both copy the
 * tensors, so an {@code OptimizerState} never shares memory with a live optimizer.
 *
 * <p>For a tensor file (safetensors), {@link #tensors()} flattens the state to {@code "state.<i>.<name>"}
 * keys and {@link #metadata()} carries the groups as a small JSON string; {@link #fromTensors} reverses both:
 * <pre>{@code
 * OptimizerState s = opt.stateDict();
 * writer.write(path, s.tensors(), s.metadata());                // a safetensors writer
 * opt.loadStateDict(OptimizerState.fromTensors(tensors, metadata));
 * }</pre>
 */
public final class OptimizerState {
    /** The metadata key whose value names this format, {@value #FORMAT}. */
    public static final String METADATA_FORMAT = "format";
    /** The value of {@link #METADATA_FORMAT}. */
    public static final String FORMAT = "lanes.optimizer_state";
    /** The metadata key holding the parameter groups as JSON: {@code [{"lr": 0.001, ..., "params": [0, 1]}, ...]}. */
    public static final String METADATA_PARAM_GROUPS = "param_groups";

    private static final String PREFIX = "state.";

    /**
     * One saved parameter group: its options by PyTorch's names (booleans as 1 or 0; {@code betas} as
     * {@code beta1}, {@code beta2}) and the indices of its parameters.
     */
    public record Group(Map<String, Double> options, List<Integer> params) {
        public Group {
            if (options == null || params == null) {
                throw new IllegalArgumentException("OptimizerState.Group: options and params must not be null");
            }
            for (Map.Entry<String, Double> e : options.entrySet()) {
                if (e.getKey() == null || e.getValue() == null || e.getKey().equals("params")) {
                    throw new IllegalArgumentException("OptimizerState.Group: bad option " + e.getKey() + " = " + e.getValue());
                }
            }
            options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
            params = List.copyOf(params);
        }
    }

    private final Map<Integer, Map<String, Tensor>> state;
    private final List<Group> paramGroups;

    /**
     * A state from its parts (the maps are copied, the tensors are held as given). Indices must be
     * {@code >= 0}, no group may list an index twice, and no entry may be null.
     */
    public OptimizerState(Map<Integer, Map<String, Tensor>> state, List<Group> paramGroups) {
        String where = "OptimizerState";
        if (state == null || paramGroups == null) {
            throw new IllegalArgumentException(where + ": state and paramGroups must not be null");
        }
        Map<Integer, Map<String, Tensor>> s = new TreeMap<>();
        for (Map.Entry<Integer, Map<String, Tensor>> e : state.entrySet()) {
            if (e.getKey() == null || e.getKey() < 0 || e.getValue() == null) {
                throw new IllegalArgumentException(where + ": bad state entry for parameter " + e.getKey());
            }
            Map<String, Tensor> entry = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> t : e.getValue().entrySet()) {
                if (t.getKey() == null || t.getKey().isEmpty() || t.getKey().contains(".") || t.getValue() == null) {
                    throw new IllegalArgumentException(where + ": bad state tensor '" + t.getKey() + "' for parameter " + e.getKey());
                }
                entry.put(t.getKey(), t.getValue());
            }
            s.put(e.getKey(), Collections.unmodifiableMap(entry));
        }
        for (Group g : paramGroups) {
            if (g == null) {
                throw new IllegalArgumentException(where + ": a parameter group is null");
            }
            for (Integer i : g.params()) {
                if (i < 0) {
                    throw new IllegalArgumentException(where + ": parameter index " + i + " is negative");
                }
            }
            if (g.params().stream().distinct().count() != g.params().size()) {
                throw new IllegalArgumentException(where + ": a group lists a parameter index twice: " + g.params());
            }
        }
        this.state = Collections.unmodifiableMap(s);
        this.paramGroups = List.copyOf(paramGroups);
    }

    /** Per parameter index (ascending), its state tensors by name; read-only. */
    public Map<Integer, Map<String, Tensor>> state() {
        return state;
    }

    /** The parameter groups, in order; read-only. */
    public List<Group> paramGroups() {
        return paramGroups;
    }

    // ------------------------------------------------------------------------------------- flat form

    /** The state as flat tensor names, {@code "state.<i>.<name>"}, sharing this object's tensors. */
    public Map<String, Tensor> tensors() {
        Map<String, Tensor> flat = new LinkedHashMap<>();
        state.forEach((i, entry) -> entry.forEach((name, t) -> flat.put(PREFIX + i + "." + name, t)));
        return flat;
    }

    /** String metadata to store next to {@link #tensors()}: the format name and the groups as JSON. */
    public Map<String, String> metadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(METADATA_FORMAT, FORMAT);
        m.put(METADATA_PARAM_GROUPS, paramGroupsJson());
        return m;
    }

    /** The parameter groups as JSON, {@code [{"lr": 0.001, ..., "params": [0, 1]}, ...]}; numbers round-trip exactly. */
    public String paramGroupsJson() {
        StringBuilder sb = new StringBuilder("[");
        for (int k = 0; k < paramGroups.size(); k++) {
            Group g = paramGroups.get(k);
            sb.append(k == 0 ? "{" : ", {");
            for (Map.Entry<String, Double> e : g.options().entrySet()) {
                Json.appendString(sb, e.getKey());
                // Double.toString is the shortest decimal that reads back to the same double, and is valid JSON.
                sb.append(": ").append(e.getValue()).append(", ");
            }
            sb.append("\"params\": [");
            for (int j = 0; j < g.params().size(); j++) {
                sb.append(j == 0 ? "" : ", ").append(g.params().get(j));
            }
            sb.append("]}");
        }
        return sb.append(']').toString();
    }

    /**
     * The reverse of {@link #tensors()} and {@link #metadata()}: tensors named {@code "state.<i>.<name>"}
     * (shared, not copied) and the groups from the {@value #METADATA_PARAM_GROUPS} metadata. Any other tensor
     * name, a missing or malformed group list, or a format other than {@value #FORMAT} throws
     * {@link IllegalArgumentException}.
     */
    public static OptimizerState fromTensors(Map<String, Tensor> tensors, Map<String, String> metadata) {
        String where = "OptimizerState.fromTensors";
        if (tensors == null || metadata == null) {
            throw new IllegalArgumentException(where + ": tensors and metadata must not be null");
        }
        String format = metadata.get(METADATA_FORMAT);
        if (format != null && !format.equals(FORMAT)) {
            throw new IllegalArgumentException(where + ": metadata format is '" + format + "', expected '" + FORMAT + "'");
        }
        String json = metadata.get(METADATA_PARAM_GROUPS);
        if (json == null) {
            throw new IllegalArgumentException(where + ": the metadata has no '" + METADATA_PARAM_GROUPS + "' (keys: " + metadata.keySet() + ")");
        }
        List<Group> groups = parseParamGroups(json);
        Map<Integer, Map<String, Tensor>> state = new TreeMap<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String key = e.getKey();
            int dot = key == null || !key.startsWith(PREFIX) ? -1 : key.indexOf('.', PREFIX.length());
            int index = -1;
            if (dot > PREFIX.length() && dot < key.length() - 1) {
                try {
                    index = Integer.parseInt(key.substring(PREFIX.length(), dot));
                } catch (NumberFormatException ex) {
                    index = -1;
                }
            }
            if (index < 0 || key.indexOf('.', dot + 1) >= 0) {
                throw new IllegalArgumentException(where + ": tensor name '" + key + "' is not of the form state.<index>.<name>");
            }
            state.computeIfAbsent(index, i -> new LinkedHashMap<>()).put(key.substring(dot + 1), e.getValue());
        }
        return new OptimizerState(state, groups);
    }

    /**
     * Reads {@link #paramGroupsJson()}'s form: an array of objects of numbers (or booleans) and one
     * {@code "params"} array of indices. Strict JSON: a key repeated in a group is an error.
     */
    public static List<Group> parseParamGroups(String json) {
        if (json == null) {
            throw new IllegalArgumentException("OptimizerState: param_groups JSON is null");
        }
        Object root;
        try {
            root = Json.parse(json);
        } catch (Json.ParseException e) {
            throw new IllegalArgumentException("OptimizerState: param_groups JSON: " + e.getMessage(), e);
        }
        if (!(root instanceof List<?> list)) {
            throw new IllegalArgumentException("OptimizerState: param_groups JSON: not an array");
        }
        List<Group> groups = new ArrayList<>();
        for (int k = 0; k < list.size(); k++) {
            if (!(list.get(k) instanceof Map<?, ?> object)) {
                throw new IllegalArgumentException("OptimizerState: param_groups JSON: group " + k + " is not an object");
            }
            Map<String, Double> options = new LinkedHashMap<>();
            List<Integer> params = null;
            for (Map.Entry<?, ?> e : object.entrySet()) {
                String key = (String) e.getKey();
                String where = "OptimizerState: param_groups JSON: group " + k + ", \"" + key + "\"";
                if (key.equals("params")) {
                    if (!(e.getValue() instanceof List<?> indices)) {
                        throw new IllegalArgumentException(where + " is not an array");
                    }
                    params = new ArrayList<>();
                    for (Object index : indices) {
                        if (!(index instanceof Json.Number n) || !n.integral() || n.value() == null || n.value() < 0
                                || n.value() > Integer.MAX_VALUE) {
                            throw new IllegalArgumentException(where + " holds " + index + ", not a parameter index (a whole number >= 0)");
                        }
                        params.add(n.value().intValue());
                    }
                } else if (e.getValue() instanceof Boolean flag) {
                    options.put(key, flag ? 1.0 : 0.0);
                } else if (e.getValue() instanceof Json.Number n && Double.isFinite(Double.parseDouble(n.text()))) {
                    options.put(key, Double.valueOf(n.text()));
                } else {
                    throw new IllegalArgumentException(where + " is " + e.getValue() + ", not a number or a boolean");
                }
            }
            if (params == null) {
                throw new IllegalArgumentException("OptimizerState: param_groups JSON: group " + k + " has no \"params\"");
            }
            groups.add(new Group(options, params));
        }
        return groups;
    }
}
