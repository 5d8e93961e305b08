package dev.lanes.nn.optim;

import dev.lanes.nn.Tensor;
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
                quote(sb, e.getKey());
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

    private static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        sb.append('"');
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

    /** Reads {@link #paramGroupsJson()}'s form: an array of objects of numbers (or booleans) and one {@code "params"} array. */
    public static List<Group> parseParamGroups(String json) {
        Json p = new Json(json);
        List<Group> groups = new ArrayList<>();
        p.expect('[');
        if (!p.tryConsume(']')) {
            do {
                groups.add(p.group());
            } while (p.tryConsume(','));
            p.expect(']');
        }
        p.end();
        return groups;
    }

    /** Just enough JSON for the groups; errors name the position. */
    private static final class Json {
        private final String s;
        private int pos;

        Json(String s) {
            if (s == null) {
                throw new IllegalArgumentException("OptimizerState: param_groups JSON is null");
            }
            this.s = s;
        }

        Group group() {
            expect('{');
            Map<String, Double> options = new LinkedHashMap<>();
            List<Integer> params = null;
            if (!tryConsume('}')) {
                do {
                    String key = string();
                    expect(':');
                    if (key.equals("params")) {
                        params = new ArrayList<>();
                        expect('[');
                        if (!tryConsume(']')) {
                            do {
                                double v = number();
                                if (v != Math.rint(v) || v < 0 || v > Integer.MAX_VALUE) {
                                    throw error("parameter index " + v + " is not a whole number >= 0");
                                }
                                params.add((int) v);
                            } while (tryConsume(','));
                            expect(']');
                        }
                    } else if (options.put(key, value()) != null) {
                        throw error("option '" + key + "' appears twice");
                    }
                } while (tryConsume(','));
                expect('}');
            }
            if (params == null) {
                throw error("a group has no \"params\"");
            }
            return new Group(options, params);
        }

        double value() {
            skip();
            if (s.startsWith("true", pos)) {
                pos += 4;
                return 1;
            }
            if (s.startsWith("false", pos)) {
                pos += 5;
                return 0;
            }
            return number();
        }

        double number() {
            skip();
            int start = pos;
            while (pos < s.length() && "+-0123456789.eE".indexOf(s.charAt(pos)) >= 0) {
                pos++;
            }
            try {
                double v = Double.parseDouble(s.substring(start, pos));
                if (start == pos || !Double.isFinite(v)) {
                    throw new NumberFormatException();
                }
                return v;
            } catch (NumberFormatException ex) {
                pos = start;
                throw error("expected a number");
            }
        }

        String string() {
            expect('"');
            StringBuilder sb = new StringBuilder();
            while (pos < s.length() && s.charAt(pos) != '"') {
                char c = s.charAt(pos++);
                if (c == '\\' && pos < s.length()) {
                    char e = s.charAt(pos++);
                    if (e == 'u' && pos + 4 <= s.length()) {
                        try {
                            sb.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
                        } catch (NumberFormatException ex) {
                            throw error("bad \\u escape");
                        }
                        pos += 4;
                    } else {
                        sb.append(switch (e) {
                            case 'n' -> '\n';
                            case 't' -> '\t';
                            case 'r' -> '\r';
                            case 'b' -> '\b';
                            case 'f' -> '\f';
                            default -> e;
                        });
                    }
                } else {
                    sb.append(c);
                }
            }
            expect('"');
            return sb.toString();
        }

        void expect(char c) {
            if (!tryConsume(c)) {
                throw error("expected '" + c + "'");
            }
        }

        boolean tryConsume(char c) {
            skip();
            if (pos < s.length() && s.charAt(pos) == c) {
                pos++;
                return true;
            }
            return false;
        }

        void end() {
            skip();
            if (pos != s.length()) {
                throw error("unexpected text after the groups");
            }
        }

        private void skip() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }

        private IllegalArgumentException error(String what) {
            String near = s.substring(pos, Math.min(s.length(), pos + 20));
            return new IllegalArgumentException("OptimizerState: param_groups JSON: " + what + " at character " + pos
                    + (near.isEmpty() ? " (end of text)" : " (near '" + near + "')"));
        }
    }
}
