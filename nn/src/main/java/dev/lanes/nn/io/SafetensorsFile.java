package dev.lanes.nn.io;

import dev.lanes.nn.Tensor;
import dev.lanes.nn.internal.Json;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The contents of a safetensors file, read by {@link Safetensors#load}: every tensor as a float32
 * {@link Tensor} (in file order, that is by data offset), the raw values of integer tensors, and the
 * {@code __metadata__} strings.
 *
 * <p>Conversions are exact: F16 and BF16 widen to float32, integers become floats only if every value is
 * within ±2<sup>24</sup> (a float32 holds every integer there and not all beyond); F64 rounds to nearest.
 * An integer tensor with a larger value still loads: {@link #longs} has its values and {@link #tensor} says
 * why it cannot give a float tensor.
 *
 * <p>The tensors are this object's own: {@link #tensor} and {@link #tensors} return the same objects on
 * every call.
 */
public final class SafetensorsFile {
    /** The header size limit of the safetensors library (its {@code MAX_HEADER_SIZE}). */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    /** Integers up to this magnitude are exact in float32. */
    static final long FLOAT_EXACT_LIMIT = 1L << 24;

    /** Read size; a multiple of every element size, large enough that system calls do not dominate. */
    private static final int CHUNK = 1 << 16;

    private record Entry(String name, Dtype dtype, long[] shape, long begin, long end, int order) {
    }

    private record Loaded(Dtype dtype, int[] shape, Tensor floats, long[] ints, String whyNoFloats) {
    }

    private final Path path;
    private final Map<String, String> metadata;
    private final Map<String, Loaded> tensors;

    private SafetensorsFile(Path path, Map<String, String> metadata, Map<String, Loaded> tensors) {
        this.path = path;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.tensors = tensors;
    }

    /** The file this was read from. */
    public Path path() {
        return path;
    }

    /** The {@code __metadata__} entries in file order (empty if the file has none). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The tensor names in file order. */
    public Set<String> names() {
        return Collections.unmodifiableSet(tensors.keySet());
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** The element type the file stores {@code name} in. */
    public Dtype dtype(String name) {
        return get("dtype", name).dtype;
    }

    public int[] shape(String name) {
        return get("shape", name).shape.clone();
    }

    /**
     * The tensor as float32.
     *
     * @throws IllegalStateException for an integer tensor holding a value beyond ±2<sup>24</sup>, which float32
     *     cannot represent exactly (use {@link #longs})
     */
    public Tensor tensor(String name) {
        Loaded t = get("tensor", name);
        if (t.floats == null) {
            throw new IllegalStateException("SafetensorsFile.tensor: " + t.whyNoFloats + "; read it with longs(\"" + name + "\")");
        }
        return t.floats;
    }

    /**
     * The exact values of an integer or BOOL tensor, row-major, as a new array.
     *
     * @throws IllegalArgumentException for a floating-point tensor
     */
    public long[] longs(String name) {
        Loaded t = get("longs", name);
        if (t.ints == null) {
            throw new IllegalArgumentException("SafetensorsFile.longs: tensor '" + name + "' in " + path + " is " + t.dtype
                    + ", not an integer type; use tensor(\"" + name + "\")");
        }
        return t.ints.clone();
    }

    /**
     * All tensors as float32, in file order (an unmodifiable map).
     *
     * @throws IllegalStateException if an integer tensor has a value float32 cannot hold (see {@link #tensor})
     */
    public Map<String, Tensor> tensors() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : tensors.keySet()) {
            out.put(name, tensor(name));
        }
        return Collections.unmodifiableMap(out);
    }

    private Loaded get(String method, String name) {
        Loaded t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("SafetensorsFile." + method + ": no tensor '" + name + "' in " + path + " ("
                    + tensors.size() + " tensors" + (tensors.isEmpty() ? "" : ", e.g. '" + tensors.keySet().iterator().next() + "'") + ")");
        }
        return t;
    }

    // ------------------------------------------------------------------------------------------- reading

    /**
     * Reads and checks a whole file. The header is checked completely (every rule the safetensors library
     * enforces, and duplicate names) before any tensor memory is allocated; then each tensor is read with
     * positional reads through one reusable buffer.
     */
    static SafetensorsFile read(Path path) throws IOException {
        return read(path, shapes -> shapes.keySet());
    }

    /** Decides, from the validated header alone (names and shapes, in file order), which tensors to read. */
    @FunctionalInterface
    interface HeaderCheck {
        /** Returns the names to read, or throws to stop before any tensor data is read. */
        java.util.Set<String> select(Map<String, long[]> shapes) throws IOException;
    }

    /** Reads the file, but only the tensors {@code check} selects once the header has been validated. */
    static SafetensorsFile read(Path path, HeaderCheck check) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw corrupt(path, "the file is " + size + " bytes long, shorter than the 8-byte header length");
            }
            ByteBuffer lengthField = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lengthField, 0, path, "the header length");
            long n = lengthField.getLong(0);
            if (Long.compareUnsigned(n, MAX_HEADER_BYTES) > 0) {
                throw corrupt(path, "the header length " + Long.toUnsignedString(n) + " exceeds the limit of " + MAX_HEADER_BYTES
                        + " bytes (file size " + size + "); the file is corrupt or not a safetensors file");
            }
            if (n > size - 8) {
                throw corrupt(path, "the header length " + n + " runs past the end of the file: only " + (size - 8)
                        + " bytes follow the 8-byte length field (file size " + size + ")");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) n);
            readFully(ch, headerBytes, 8, path, "the header");
            headerBytes.flip();
            String json = decodeUtf8(headerBytes, path);

            Object root;
            try {
                root = Json.parse(json);
            } catch (Json.ParseException e) {
                if (e.topLevel) {
                    throw corrupt(path, "the header names " + (e.duplicateKey.equals("__metadata__") ? "\"__metadata__\""
                            : "tensor '" + e.duplicateKey + "'") + " twice (at character " + e.position + ")");
                }
                throw corrupt(path, "the header is not valid JSON: " + e.getMessage());
            }
            if (!(root instanceof Map<?, ?> top)) {
                throw corrupt(path, "the header is a JSON " + typeName(root) + ", expected an object");
            }
            Map<String, String> metadata = new LinkedHashMap<>();
            List<Entry> entries = new ArrayList<>();
            for (Map.Entry<?, ?> e : top.entrySet()) {
                String key = (String) e.getKey();
                if (key.equals("__metadata__")) {
                    parseMetadata(path, e.getValue(), metadata);
                } else {
                    entries.add(parseEntry(path, key, e.getValue(), entries.size()));
                }
            }
            long dataStart = 8 + n;
            long dataLength = size - dataStart;
            validateLayout(path, entries, n, size, dataLength);
            Map<String, long[]> shapes = new LinkedHashMap<>();
            for (Entry e : entries) {
                shapes.put(e.name, e.shape.clone());
            }
            java.util.Set<String> wanted = check.select(shapes);

            Map<String, Loaded> tensors = new LinkedHashMap<>();
            ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
            for (Entry e : entries) {
                if (wanted.contains(e.name)) {
                    tensors.put(e.name, readTensor(ch, buf, dataStart, e, path));
                }
            }
            return new SafetensorsFile(path, metadata, tensors);
        }
    }

    private static String decodeUtf8(ByteBuffer bytes, Path path) throws SafetensorsException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        CharBuffer out = CharBuffer.allocate(bytes.remaining());
        CoderResult r = decoder.decode(bytes, out, true);
        if (r.isError()) {
            throw corrupt(path, "the header is not valid UTF-8: " + r.length() + " bad byte(s) at header byte " + bytes.position());
        }
        r = decoder.flush(out);
        if (r.isError()) {
            throw corrupt(path, "the header is not valid UTF-8 at its end");
        }
        return out.flip().toString();
    }

    private static void parseMetadata(Path path, Object value, Map<String, String> out) throws SafetensorsException {
        if (value == Json.NULL) {
            return; // the reference reader treats null as no metadata
        }
        if (!(value instanceof Map<?, ?> map)) {
            throw corrupt(path, "\"__metadata__\" is a JSON " + typeName(value) + ", expected an object of strings");
        }
        for (Map.Entry<?, ?> m : map.entrySet()) {
            if (!(m.getValue() instanceof String s)) {
                throw corrupt(path, "\"__metadata__\" entry \"" + m.getKey() + "\" is a JSON " + typeName(m.getValue())
                        + " (" + m.getValue() + "), expected a string");
            }
            out.put((String) m.getKey(), s);
        }
    }

    /** One tensor's header entry; unknown extra fields are ignored, as the reference reader does. */
    private static Entry parseEntry(Path path, String name, Object value, int order) throws SafetensorsException {
        if (!(value instanceof Map<?, ?> info)) {
            throw corrupt(path, name, "its header entry is a JSON " + typeName(value)
                    + ", expected an object with \"dtype\", \"shape\" and \"data_offsets\"");
        }
        Object dt = require(path, name, info, "dtype");
        if (!(dt instanceof String dtypeName)) {
            throw corrupt(path, name, "\"dtype\" is a JSON " + typeName(dt) + " (" + dt + "), expected a string");
        }
        Dtype dtype = Dtype.parse(dtypeName);
        if (dtype == null) {
            if (Dtype.KNOWN_UNSUPPORTED.contains(dtypeName)) {
                throw new SafetensorsException("safetensors file " + path + ": tensor '" + name + "' has dtype " + dtypeName
                        + ", which Lanes does not read (it reads " + Arrays.toString(Dtype.values()) + ")");
            }
            throw corrupt(path, name, "unknown dtype \"" + dtypeName + "\" (the format defines "
                    + Arrays.toString(Dtype.values()) + " and " + Dtype.KNOWN_UNSUPPORTED + ")");
        }
        long[] shape = integers(path, name, "shape", require(path, name, info, "shape"), -1);
        long[] offsets = integers(path, name, "data_offsets", require(path, name, info, "data_offsets"), 2);
        return new Entry(name, dtype, shape, offsets[0], offsets[1], order);
    }

    private static Object require(Path path, String name, Map<?, ?> info, String field) throws SafetensorsException {
        Object v = info.get(field);
        if (v == null) {
            throw corrupt(path, name, "its header entry has no \"" + field + "\" (it has " + info.keySet() + ")");
        }
        return v;
    }

    /** A JSON array of non-negative integers (of {@code length} elements unless it is negative). */
    private static long[] integers(Path path, String name, String field, Object value, int length) throws SafetensorsException {
        if (!(value instanceof List<?> list)) {
            throw corrupt(path, name, "\"" + field + "\" is a JSON " + typeName(value) + " (" + value + "), expected an array of integers");
        }
        if (length >= 0 && list.size() != length) {
            throw corrupt(path, name, "\"" + field + "\" " + list + " has " + list.size() + " elements, expected " + length);
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            Object v = list.get(i);
            if (!(v instanceof Json.Number num)) {
                throw corrupt(path, name, "\"" + field + "\" " + list + " holds a JSON " + typeName(v) + ", expected integers");
            }
            if (!num.integral()) {
                throw corrupt(path, name, "\"" + field + "\" " + list + " holds " + num + ", not an integer");
            }
            if (num.value() == null || num.value() < 0) {
                throw corrupt(path, name, "\"" + field + "\" " + list + " holds " + num
                        + (num.text().startsWith("-") ? ", a negative value" : ", beyond the 64-bit range"));
            }
            out[i] = num.value();
        }
        return out;
    }

    /**
     * The reference reader's rules: each tensor's byte range matches its shape and type, and the ranges, in
     * offset order, tile the data region from 0 to the end of the file without gaps or overlaps. Also
     * Lanes' own limit: tensors are int-indexed.
     */
    private static void validateLayout(Path path, List<Entry> entries, long headerLength, long fileSize, long dataLength)
            throws SafetensorsException {
        for (Entry e : entries) {
            String offsets = "data_offsets [" + e.begin + ", " + e.end + "]";
            if (e.end < e.begin) {
                throw corrupt(path, e.name, offsets + " end before they begin");
            }
            if (e.end > dataLength) {
                throw corrupt(path, e.name, offsets + " reach past the data region, which is " + dataLength + " bytes (file size "
                        + fileSize + " = 8 + header " + headerLength + " + data " + dataLength + ")");
            }
            long numel = 1;
            long bytes;
            try {
                for (long d : e.shape) {
                    numel = Math.multiplyExact(numel, d);
                }
                bytes = Math.multiplyExact(numel, (long) e.dtype.size());
            } catch (ArithmeticException overflow) {
                throw corrupt(path, e.name, "shape " + Arrays.toString(e.shape) + " of " + e.dtype + " overflows a 64-bit byte count");
            }
            if (bytes != e.end - e.begin) {
                throw corrupt(path, e.name, "shape " + Arrays.toString(e.shape) + " of " + e.dtype + " needs " + numel + " x "
                        + e.dtype.size() + " = " + bytes + " bytes, but " + offsets + " hold " + (e.end - e.begin));
            }
        }
        // The reference sorts by offsets, so header order does not matter; ties (empty tensors) keep it.
        entries.sort(Comparator.<Entry>comparingLong(x -> x.begin).thenComparingLong(x -> x.end).thenComparingInt(x -> x.order));
        long cursor = 0;
        Entry previous = null;
        for (Entry e : entries) {
            if (e.begin != cursor) {
                String prev = previous == null ? "the start of the data region (0)"
                        : "tensor '" + previous.name + "' [" + previous.begin + ", " + previous.end + "]";
                throw corrupt(path, e.name, "data_offsets [" + e.begin + ", " + e.end + "] "
                        + (e.begin < cursor ? "overlap " + prev : "leave a gap of " + (e.begin - cursor) + " bytes after " + prev)
                        + "; tensors must tile the data region contiguously");
            }
            cursor = e.end;
            previous = e;
        }
        if (cursor != dataLength) {
            throw corrupt(path, "the tensors end at data byte " + cursor + " but the data region is " + dataLength
                    + " bytes: " + (dataLength - cursor) + " trailing bytes belong to no tensor (file size " + fileSize + ")");
        }
        for (Entry e : entries) {
            long n = 1;
            for (long d : e.shape) {
                n *= d; // no overflow: every prefix so far was <= 2^31 - 1 and d is checked first
                if (d > Integer.MAX_VALUE || n > Integer.MAX_VALUE) {
                    throw new SafetensorsException("safetensors file " + path + ": tensor '" + e.name + "' of shape "
                            + Arrays.toString(e.shape) + " is too large for a Lanes tensor (at most 2^31 - 1 elements)");
                }
            }
        }
    }

    private static Loaded readTensor(FileChannel ch, ByteBuffer buf, long dataStart, Entry e, Path path) throws IOException {
        int[] shape = new int[e.shape.length];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = (int) e.shape[i];
        }
        int size = e.dtype.size();
        int numel = (int) ((e.end - e.begin) / size);
        float[] floats = e.dtype.isInteger() ? null : new float[numel];
        long[] ints = e.dtype.isInteger() ? new long[numel] : null;
        long position = dataStart + e.begin;
        int index = 0;
        while (index < numel) {
            int count = Math.min(numel - index, CHUNK / size);
            buf.clear().limit(count * size);
            readFully(ch, buf, position, path, "tensor '" + e.name + "'");
            buf.flip();
            switch (e.dtype) {
                case F32 -> buf.asFloatBuffer().get(floats, index, count);
                case F16 -> {
                    for (int i = 0; i < count; i++) {
                        floats[index + i] = Float.float16ToFloat(buf.getShort());
                    }
                }
                case BF16 -> {
                    for (int i = 0; i < count; i++) {
                        floats[index + i] = Float.intBitsToFloat((buf.getShort() & 0xffff) << 16);
                    }
                }
                case F64 -> {
                    for (int i = 0; i < count; i++) {
                        floats[index + i] = (float) buf.getDouble();
                    }
                }
                case I64 -> buf.asLongBuffer().get(ints, index, count);
                case I32 -> {
                    for (int i = 0; i < count; i++) {
                        ints[index + i] = buf.getInt();
                    }
                }
                case U8 -> {
                    for (int i = 0; i < count; i++) {
                        ints[index + i] = buf.get() & 0xff;
                    }
                }
                case BOOL -> {
                    for (int i = 0; i < count; i++) {
                        byte b = buf.get();
                        if (b != 0 && b != 1) {
                            throw corrupt(path, e.name, "BOOL element " + (index + i) + " is the byte " + (b & 0xff) + ", expected 0 or 1");
                        }
                        ints[index + i] = b;
                    }
                }
            }
            index += count;
            position += (long) count * size;
        }
        String whyNoFloats = null;
        if (ints != null) {
            floats = new float[numel];
            for (int i = 0; i < numel; i++) {
                long v = ints[i];
                if (v > FLOAT_EXACT_LIMIT || v < -FLOAT_EXACT_LIMIT) {
                    whyNoFloats = "safetensors file " + path + ": tensor '" + e.name + "' (" + e.dtype + ") holds " + v + " at index " + i
                            + ", beyond +-2^24 = " + FLOAT_EXACT_LIMIT + ", so float32 cannot hold it exactly";
                    floats = null;
                    break;
                }
                floats[i] = v;
            }
        }
        return new Loaded(e.dtype, shape, floats == null ? null : Tensor.wrap(floats, shape), ints, whyNoFloats);
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position, Path path, String what) throws IOException {
        long p = position;
        while (buf.hasRemaining()) {
            int r = ch.read(buf, p);
            if (r < 0) {
                throw new EOFException("safetensors file " + path + ": the file ended at byte " + p + " while reading " + what
                        + " (did it change while being read?)");
            }
            p += r;
        }
    }

    private static String typeName(Object v) {
        if (v instanceof Map) {
            return "object";
        }
        if (v instanceof List) {
            return "array";
        }
        if (v instanceof String) {
            return "string";
        }
        if (v instanceof Json.Number) {
            return "number";
        }
        if (v instanceof Boolean) {
            return "boolean";
        }
        return "null";
    }

    private static SafetensorsException corrupt(Path path, String message) {
        return new SafetensorsException("safetensors file " + path + ": " + message);
    }

    private static SafetensorsException corrupt(Path path, String tensor, String message) {
        return new SafetensorsException("safetensors file " + path + ": tensor '" + tensor + "': " + message);
    }
}
