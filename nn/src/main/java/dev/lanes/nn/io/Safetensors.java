package dev.lanes.nn.io;

import dev.lanes.nn.Tensor;
import dev.lanes.nn.layers.BatchNorm;
import dev.lanes.nn.layers.Module;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Tensors and model weights in the <a href="https://github.com/huggingface/safetensors">safetensors</a>
 * format, which PyTorch reads and writes with {@code safetensors.torch.load_file} / {@code save_file}:
 * an 8-byte little-endian header length N, N bytes of UTF-8 JSON
 * {@code {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ..., "__metadata__": {..}}},
 * then the row-major little-endian data, each tensor's bytes at {@code data_offsets} relative to the end of
 * the header.
 *
 * <pre>{@code
 * Safetensors.saveModel(Path.of("mlp.safetensors"), model);  // PyTorch: model.load_state_dict(load_file(path))
 * Safetensors.loadModel(Path.of("torch.safetensors"), model, true);  // from save_file(model.state_dict(), path)
 * }</pre>
 *
 * <p>Saving is atomic ({@link SafetensorsWriter}); loading checks the whole file before it allocates tensor
 * memory ({@link SafetensorsFile}) and, for a model, every key and shape before it changes a weight.
 */
public final class Safetensors {
    /** Unicode code point order, which is UTF-8 byte order: how the Rust library sorts names. */
    static final Comparator<String> UTF8_ORDER = (a, b) -> {
        int i = 0, j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i), cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    };

    private Safetensors() {
    }

    /** Saves float32 tensors (as F32) without a metadata section; see {@link SafetensorsWriter}. */
    public static void save(Path path, Map<String, Tensor> tensors) throws IOException {
        save(path, tensors, null);
    }

    /**
     * Saves float32 tensors (as F32) and string metadata (null: no {@code __metadata__} section); see
     * {@link SafetensorsWriter} for the layout and the atomic write. Use the writer directly for I64 tensors.
     */
    public static void save(Path path, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            w.putF32(e.getKey(), e.getValue());
        }
        w.metadata(metadata).write(path);
    }

    /** Reads and validates a whole file; see {@link SafetensorsFile}. */
    public static SafetensorsFile load(Path path) throws IOException {
        return SafetensorsFile.read(path);
    }

    /** {@link #saveModel(Path, Module, Map)} without metadata. */
    public static void saveModel(Path path, Module module) throws IOException {
        saveModel(path, module, null);
    }

    /**
     * Saves a module's {@link Module#stateDict()} as PyTorch's {@code save_file(model.state_dict(), path)}
     * does: every entry F32 except BatchNorm's {@code num_batches_tracked}, which PyTorch keeps as int64 and
     * is written as I64, so {@code model.load_state_dict(load_file(path))} gets the dtypes it expects.
     *
     * @throws IllegalArgumentException if a {@code num_batches_tracked} value is not a whole number
     */
    public static void saveModel(Path path, Module module, Map<String, String> metadata) throws IOException {
        Set<String> counters = new LinkedHashSet<>();
        collectCounters("", module, counters);
        SafetensorsWriter w = new SafetensorsWriter();
        for (Map.Entry<String, Tensor> e : module.stateDict().entrySet()) {
            Tensor t = e.getValue();
            if (counters.contains(e.getKey())) {
                float v = t.item();
                if (v != Math.rint(v) || Float.isInfinite(v)) {
                    throw new IllegalArgumentException("Safetensors.saveModel: " + e.getKey() + " = " + v + " is not a whole number");
                }
                w.putI64(e.getKey(), new long[] {(long) v}, t.shape());
            } else {
                w.putF32(e.getKey(), t);
            }
        }
        w.metadata(metadata).write(path);
    }

    private static void collectCounters(String prefix, Module m, Set<String> out) {
        if (m instanceof BatchNorm && m.namedBuffers().containsKey("num_batches_tracked")) {
            out.add(prefix + "num_batches_tracked");
        }
        for (Map.Entry<String, Module> c : m.children().entrySet()) {
            collectCounters(prefix + c.getKey() + ".", c.getValue(), out);
        }
    }

    /**
     * The keys a non-strict {@link #loadModel} skipped, like PyTorch's {@code _IncompatibleKeys}: module
     * entries the file lacks (left as they were) and file tensors the module lacks (ignored).
     */
    public record IncompatibleKeys(List<String> missingKeys, List<String> unexpectedKeys) {
        public IncompatibleKeys {
            missingKeys = List.copyOf(missingKeys);
            unexpectedKeys = List.copyOf(unexpectedKeys);
        }
    }

    /**
     * Loads weights into a module, like {@code model.load_state_dict(load_file(path), strict)}. The header is
     * validated and every key and shape checked against {@link Module#stateDict()} before any tensor data is
     * read (a file for another model is refused without reading it), and the tensors the module takes are
     * read and converted before any weight changes: on an error the module is untouched. With {@code strict}, keys missing from the file
     * or unknown to the module are errors; a shape mismatch always is. Integer tensors (such as
     * {@code num_batches_tracked}) and F16/BF16 weights are converted to float32 exactly.
     *
     * @return the missing and unexpected keys (both empty after a strict load)
     * @throws SafetensorsException if the file is invalid or does not fit the module; the message lists every
     *     missing, unexpected and mismatched key with its shape
     */
    public static IncompatibleKeys loadModel(Path path, Module module, boolean strict) throws IOException {
        Map<String, Tensor> own = module.stateDict();
        List<String> missing = new ArrayList<>(), unexpected = new ArrayList<>();
        // Keys and shapes are checked against the header, before any tensor data is read: a large file for
        // another model is refused without reading it.
        SafetensorsFile file = SafetensorsFile.read(path, shapes -> {
            List<String> mismatched = new ArrayList<>();
            for (Map.Entry<String, Tensor> e : own.entrySet()) {
                long[] stored = shapes.get(e.getKey());
                if (stored == null) {
                    missing.add(e.getKey());
                } else if (!Arrays.equals(stored, Arrays.stream(e.getValue().shape()).asLongStream().toArray())) {
                    mismatched.add(e.getKey() + ": file " + Arrays.toString(stored) + ", module " + Arrays.toString(e.getValue().shape()));
                }
            }
            for (String key : shapes.keySet()) {
                if (!own.containsKey(key)) {
                    unexpected.add(key);
                }
            }
            if (!mismatched.isEmpty() || (strict && (!missing.isEmpty() || !unexpected.isEmpty()))) {
                StringBuilder sb = new StringBuilder("Safetensors.loadModel: safetensors file " + path + " does not fit the module ("
                        + module.getClass().getSimpleName() + ")");
                if (strict || !missing.isEmpty()) {
                    sb.append("; missing keys ").append(withShapes(missing, k -> Arrays.toString(own.get(k).shape())));
                }
                if (strict || !unexpected.isEmpty()) {
                    sb.append("; unexpected keys ").append(withShapes(unexpected, k -> Arrays.toString(shapes.get(k))));
                }
                sb.append("; shape mismatches ").append(mismatched).append("; nothing was loaded");
                throw new SafetensorsException(sb.toString());
            }
            java.util.Set<String> wanted = new java.util.HashSet<>(shapes.keySet());
            wanted.retainAll(own.keySet());
            return wanted;
        });
        Map<String, Tensor> values = new java.util.LinkedHashMap<>();
        for (String key : own.keySet()) {
            if (file.contains(key)) {
                try {
                    values.put(key, file.tensor(key));
                } catch (IllegalStateException notExact) {
                    throw new SafetensorsException("Safetensors.loadModel: " + notExact.getMessage() + "; nothing was loaded");
                }
            }
        }
        module.loadStateDict(values, false);
        return new IncompatibleKeys(missing, unexpected);
    }

    private static List<String> withShapes(List<String> keys, java.util.function.Function<String, String> shape) {
        List<String> out = new ArrayList<>();
        for (String k : keys) {
            out.add(k + " " + shape.apply(k));
        }
        return out;
    }
}
