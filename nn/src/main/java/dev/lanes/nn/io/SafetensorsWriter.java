package dev.lanes.nn.io;

import dev.lanes.nn.Tensor;
import dev.lanes.nn.internal.AtomicFiles;
import dev.lanes.nn.internal.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds a safetensors file from float32 tensors ({@code F32}) and integer arrays ({@code I64}), written
 * exactly as the safetensors library ({@code safetensors.torch.save_file}) writes the same tensors: the
 * tensors ordered by element size (I64 first) then by name, the header padded with spaces to a multiple of 8
 * bytes, so for the same tensors (and at most one metadata entry, which the library orders arbitrarily)
 * the files are byte-identical.
 *
 * <pre>{@code
 * new SafetensorsWriter()
 *         .putF32("0.weight", linear.weight())
 *         .putI64("step", new long[] {1200})
 *         .putMetadata("format", "pt")
 *         .write(Path.of("model.safetensors"));
 * }</pre>
 *
 * <p>{@link #write} is atomic: it streams into a temporary file in the target's directory, forces it to
 * disk, then renames it over the target, so the target is either the complete new file or untouched, and
 * on any error the temporary file is removed. Tensor values are read when {@link #write} runs (they are not
 * copied by the put methods); non-contiguous tensors are written in logical row-major order.
 */
public final class SafetensorsWriter {
    /** Write buffer size; a multiple of every element size. */
    private static final int CHUNK = 1 << 16;

    /** One tensor to write: its type, shape and a routine that streams exactly its bytes. */
    interface Item {
        Dtype dtype();

        int[] shape();

        void write(Sink sink) throws IOException;
    }

    private final Map<String, Item> items = new LinkedHashMap<>();
    private Map<String, String> metadata;

    /** An empty writer: no tensors, no metadata section. */
    public SafetensorsWriter() {
    }

    /**
     * Adds a float32 tensor. Its values are read when {@link #write} runs.
     *
     * @throws IllegalArgumentException if the name is taken, null, {@code "__metadata__"} or not valid
     *     Unicode, or the tensor is null
     */
    public SafetensorsWriter putF32(String name, Tensor tensor) {
        checkName("putF32", name);
        if (tensor == null) {
            throw new IllegalArgumentException("SafetensorsWriter.putF32: tensor '" + name + "' is null");
        }
        items.put(name, new F32Item(tensor));
        return this;
    }

    /**
     * Adds a 64-bit integer tensor of the given shape (none: a 0-dimensional tensor of one value), such as
     * BatchNorm's {@code num_batches_tracked}. The array is read when {@link #write} runs.
     *
     * @throws IllegalArgumentException for a bad name (see {@link #putF32}), a negative dimension or a value
     *     count that does not fill the shape
     */
    public SafetensorsWriter putI64(String name, long[] values, int... shape) {
        checkName("putI64", name);
        if (values == null || shape == null) {
            throw new IllegalArgumentException("SafetensorsWriter.putI64: tensor '" + name + "': values and shape must not be null");
        }
        long numel = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("SafetensorsWriter.putI64: tensor '" + name + "': negative dimension in shape "
                        + Arrays.toString(shape));
            }
            numel *= d;
        }
        if (numel != values.length) {
            throw new IllegalArgumentException("SafetensorsWriter.putI64: tensor '" + name + "': " + values.length
                    + " values do not fill shape " + Arrays.toString(shape) + " (" + numel + " elements)");
        }
        items.put(name, new I64Item(values, shape.clone()));
        return this;
    }

    /** Adds one {@code __metadata__} entry (creating the section). Entries are written sorted by key. */
    public SafetensorsWriter putMetadata(String key, String value) {
        if (key == null || value == null) {
            throw new IllegalArgumentException("SafetensorsWriter.putMetadata: key and value must not be null (key " + key + ")");
        }
        checkUnicode("putMetadata", "metadata key", key);
        checkUnicode("putMetadata", "metadata value for '" + key + "'", value);
        if (metadata == null) {
            metadata = new TreeMap<>(Safetensors.UTF8_ORDER);
        }
        metadata.put(key, value);
        return this;
    }

    /**
     * Replaces the metadata: null writes no {@code __metadata__} section, an empty map an empty one (as the
     * Python library does for {@code metadata=None} and {@code metadata={}}).
     */
    public SafetensorsWriter metadata(Map<String, String> entries) {
        Map<String, String> previous = metadata;
        metadata = null;
        if (entries == null) {
            return this;
        }
        try {
            metadata = new TreeMap<>(Safetensors.UTF8_ORDER);
            for (Map.Entry<String, String> e : entries.entrySet()) {
                putMetadata(e.getKey(), e.getValue());
            }
        } catch (RuntimeException bad) {
            metadata = previous;
            throw bad;
        }
        return this;
    }

    /** Package-private: adds any item (tests use it to fail in the middle of a write). */
    SafetensorsWriter put(String name, Item item) {
        checkName("put", name);
        items.put(name, item);
        return this;
    }

    /**
     * Writes the file atomically (see the class comment), replacing an existing one.
     *
     * @throws IllegalArgumentException if the header would exceed {@link SafetensorsFile#MAX_HEADER_BYTES}
     * @throws IOException if writing fails; the target is then unchanged and no temporary file remains
     */
    public void write(Path path) throws IOException {
        List<Map.Entry<String, Item>> order = new ArrayList<>(items.entrySet());
        // The library's order: descending element alignment (I64 before F32), then name by UTF-8 bytes.
        order.sort(Comparator.<Map.Entry<String, Item>>comparingInt(e -> -e.getValue().dtype().size())
                .thenComparing(Map.Entry::getKey, Safetensors.UTF8_ORDER));
        byte[] header = header(order);
        if (header.length > SafetensorsFile.MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("SafetensorsWriter.write: the header would be " + header.length
                    + " bytes, beyond the " + SafetensorsFile.MAX_HEADER_BYTES + " that readers accept");
        }

        if (path.toAbsolutePath().getFileName() == null) {
            throw new IllegalArgumentException("SafetensorsWriter.write: " + path + " names no file");
        }
        AtomicFiles.write(path, out -> {
            Sink sink = new Sink(out);
            sink.putLong(header.length);
            sink.putBytes(header);
            for (Map.Entry<String, Item> e : order) {
                long before = sink.written();
                e.getValue().write(sink);
                long expected = numel(e.getValue().shape()) * e.getValue().dtype().size();
                if (sink.written() - before != expected) {
                    throw new IllegalStateException("SafetensorsWriter.write: tensor '" + e.getKey() + "' wrote "
                            + (sink.written() - before) + " bytes, its header entry says " + expected);
                }
            }
            sink.flush();
        });
    }

    /** The header bytes: the JSON text padded with spaces to a multiple of 8 (the 8-byte length not included). */
    private byte[] header(List<Map.Entry<String, Item>> order) {
        StringBuilder sb = new StringBuilder("{");
        if (metadata != null) {
            sb.append("\"__metadata__\":{");
            boolean first = true;
            for (Map.Entry<String, String> m : metadata.entrySet()) {
                sb.append(first ? "" : ",");
                Json.appendString(sb, m.getKey());
                sb.append(':');
                Json.appendString(sb, m.getValue());
                first = false;
            }
            sb.append('}');
        }
        long offset = 0;
        for (Map.Entry<String, Item> e : order) {
            Item item = e.getValue();
            int[] shape = item.shape();
            long bytes = numel(shape) * item.dtype().size();
            sb.append(sb.length() == 1 ? "" : ",");
            Json.appendString(sb, e.getKey());
            sb.append(":{\"dtype\":\"").append(item.dtype().name()).append("\",\"shape\":[");
            for (int i = 0; i < shape.length; i++) {
                sb.append(i == 0 ? "" : ",").append(shape[i]);
            }
            sb.append("],\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        sb.append('}');
        byte[] json = sb.toString().getBytes(StandardCharsets.UTF_8);
        byte[] padded = Arrays.copyOf(json, (json.length + 7) / 8 * 8);
        Arrays.fill(padded, json.length, padded.length, (byte) ' ');
        return padded;
    }

    private static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    private void checkName(String method, String name) {
        if (name == null) {
            throw new IllegalArgumentException("SafetensorsWriter." + method + ": the tensor name is null");
        }
        if (name.equals("__metadata__")) {
            throw new IllegalArgumentException("SafetensorsWriter." + method + ": \"__metadata__\" is reserved for the metadata section");
        }
        if (items.containsKey(name)) {
            throw new IllegalArgumentException("SafetensorsWriter." + method + ": a tensor named '" + name + "' was already added");
        }
        checkUnicode(method, "tensor name", name);
    }

    /** UTF-8 cannot encode a lone surrogate (getBytes would silently write '?'). */
    private static void checkUnicode(String method, String what, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException("SafetensorsWriter." + method + ": the " + what + " has a lone surrogate U+"
                        + String.format("%04X", (int) c) + " at index " + i + ", which UTF-8 cannot encode");
            }
        }
    }

    // ------------------------------------------------------------------------------------ items and sink

    /** Little-endian output through one reusable buffer. */
    static final class Sink {
        private final FileChannel channel;
        private final ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        private long written;

        Sink(FileChannel channel) {
            this.channel = channel;
        }

        long written() {
            return written + buf.position();
        }

        void putLong(long v) throws IOException {
            room(8);
            buf.putLong(v);
        }

        void putFloat(float v) throws IOException {
            room(4);
            buf.putFloat(v);
        }

        /** Bulk copy of a contiguous run of floats. */
        void putFloats(float[] a, int from, int count) throws IOException {
            while (count > 0) {
                room(4);
                int n = Math.min(count, buf.remaining() / 4);
                buf.asFloatBuffer().put(a, from, n);
                buf.position(buf.position() + n * 4);
                from += n;
                count -= n;
            }
        }

        void putBytes(byte[] a) throws IOException {
            int from = 0;
            while (from < a.length) {
                room(1);
                int n = Math.min(a.length - from, buf.remaining());
                buf.put(a, from, n);
                from += n;
            }
        }

        private void room(int bytes) throws IOException {
            if (buf.remaining() < bytes) {
                flush();
            }
        }

        void flush() throws IOException {
            buf.flip();
            while (buf.hasRemaining()) {
                written += channel.write(buf);
            }
            buf.clear();
        }
    }

    private record F32Item(Tensor tensor) implements Item {
        @Override
        public Dtype dtype() {
            return Dtype.F32;
        }

        @Override
        public int[] shape() {
            return tensor.shape();
        }

        @Override
        public void write(Sink sink) throws IOException {
            float[] data = tensor.array();
            int offset = tensor.arrayOffset();
            int[] shape = tensor.shape();
            int numel = tensor.numel();
            if (numel == 0) {
                return;
            }
            if (tensor.isContiguous()) {
                sink.putFloats(data, offset, numel);
                return;
            }
            // Row-major walk over a strided view: an odometer over all but the last dimension.
            int[] strides = tensor.strides();
            int rank = shape.length;
            int inner = shape[rank - 1];
            int innerStride = strides[rank - 1];
            int[] index = new int[rank - 1];
            int base = offset;
            for (int row = 0, rows = numel / inner; row < rows; row++) {
                if (innerStride == 1) {
                    sink.putFloats(data, base, inner);
                } else {
                    for (int i = 0, p = base; i < inner; i++, p += innerStride) {
                        sink.putFloat(data[p]);
                    }
                }
                for (int d = rank - 2; d >= 0; d--) {
                    base += strides[d];
                    if (++index[d] < shape[d]) {
                        break;
                    }
                    base -= strides[d] * shape[d];
                    index[d] = 0;
                }
            }
        }
    }

    private record I64Item(long[] values, int[] shape) implements Item {
        @Override
        public Dtype dtype() {
            return Dtype.I64;
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }

        @Override
        public void write(Sink sink) throws IOException {
            for (long v : values) {
                sink.putLong(v);
            }
        }
    }
}
