package dev.lanes.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.nn.Fixtures;
import dev.lanes.nn.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The writer produces the bytes {@code safetensors.torch.save_file} produces for the same tensors (files
 * committed by {@code scripts/fixtures/gen_safetensors_fixtures.py}), and what it writes reads back exactly.
 */
class SafetensorsWriterTest {
    /** BYTES_NAMES of the fixture script: JSON escapes, non-ASCII, code-point order, the empty name. */
    private static final List<String> NAMES = List.of("weight", "a.b", "B", "b10", "b9", "\u00e9", "\uff21",
            "\uD83D\uDE00", "q\"\\/\n\t\u0001\u001f\u007f", "", "z", "step", "ids");

    @TempDir
    Path dir;

    /** The fixture's tensors in a writer; t3 is given as a transposed (non-contiguous) view. */
    private static SafetensorsWriter pythonTensors() {
        Fixtures f = Fixtures.load("safetensors/python_written.txt");
        SafetensorsWriter w = new SafetensorsWriter();
        // A different insertion order than the file's, which the writer must not depend on.
        for (int i = NAMES.size() - 1; i >= 0; i--) {
            Fixtures.Entry e = f.get("t" + i);
            if (NAMES.get(i).equals("step") || NAMES.get(i).equals("ids")) {
                long[] v = new long[e.values().length];
                for (int k = 0; k < v.length; k++) {
                    v[k] = (long) e.values()[k];
                }
                w.putI64(NAMES.get(i), v, e.shape());
            } else if (i == 3) {
                Tensor view = Tensor.of(e.floats(), e.shape()).t();
                assertFalse(view.isContiguous());
                w.putF32(NAMES.get(i), view);
            } else {
                w.putF32(NAMES.get(i), Tensor.of(e.floats(), e.shape()));
            }
        }
        return w;
    }

    @Test
    void bytesMatchTheSafetensorsLibrary() throws IOException {
        Path withMeta = dir.resolve("meta.safetensors");
        pythonTensors().putMetadata("format", "pt").write(withMeta);
        assertArrayEquals(Files.readAllBytes(StFiles.resource("python_written.safetensors")), Files.readAllBytes(withMeta));

        Path noMeta = dir.resolve("nometa.safetensors");
        pythonTensors().write(noMeta);
        assertArrayEquals(Files.readAllBytes(StFiles.resource("python_written_nometa.safetensors")), Files.readAllBytes(noMeta));

        Path emptyMeta = dir.resolve("emptymeta.safetensors");
        pythonTensors().metadata(Map.of()).write(emptyMeta);
        assertArrayEquals(Files.readAllBytes(StFiles.resource("python_written_emptymeta.safetensors")), Files.readAllBytes(emptyMeta));
    }

    @Test
    void theLibrarysFileReadsBackWithItsNamesAndValues() throws IOException {
        Fixtures f = Fixtures.load("safetensors/python_written.txt");
        SafetensorsFile file = Safetensors.load(StFiles.resource("python_written.safetensors"));
        assertEquals(Map.of("format", "pt"), file.metadata());
        assertEquals(NAMES.size(), file.names().size());
        for (int i = 0; i < NAMES.size(); i++) {
            String name = NAMES.get(i);
            Tensor expected = Tensor.of(f.get("t" + i).floats(), f.get("t" + i).shape());
            if (i == 3) {
                expected = expected.t();
            }
            if (name.equals("step") || name.equals("ids")) {
                assertEquals(Dtype.I64, file.dtype(name));
                double[] v = f.get("t" + i).values();
                long[] longs = file.longs(name);
                for (int k = 0; k < v.length; k++) {
                    assertEquals((long) v[k], longs[k], name);
                }
                assertArrayEquals(f.get("t" + i).shape(), file.shape(name));
            } else {
                assertEquals(Dtype.F32, file.dtype(name));
                assertArrayEquals(expected.shape(), file.tensor(name).shape(), name);
                assertArrayEquals(expected.toArray(), file.tensor(name).toArray(), name);
            }
        }
        // File order is data order: I64 first, then F32 by code point (U+FF21 before U+1F600).
        assertEquals(List.of("ids", "step", "", "B", "a.b", "b10", "b9", "q\"\\/\n\t\u0001\u001f\u007f", "weight", "z",
                "\u00e9", "\uff21", "\uD83D\uDE00"), List.copyOf(file.names()));
    }

    @Test
    void headerIsPaddedWithSpacesToEightBytes() throws IOException {
        for (int len = 1; len <= 9; len++) {
            Path p = dir.resolve("pad" + len + ".safetensors");
            Safetensors.save(p, Map.of("x".repeat(len), Tensor.of(new float[] {1f, 2f})));
            byte[] b = Files.readAllBytes(p);
            long n = ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertEquals(0, n % 8, "header length " + n);
            String header = new String(b, 8, (int) n, StandardCharsets.UTF_8);
            String json = "{\"" + "x".repeat(len) + "\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
            assertEquals(json + " ".repeat((int) n - json.length()), header);
            assertEquals(8 + n + 8, b.length);
        }
    }

    @Test
    void roundTripKeepsEveryBitAndLayout() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("specials", Tensor.of(new float[] {Float.NaN, Float.intBitsToFloat(0x7fc12345), -0f, 0f,
                Float.MIN_VALUE, Float.MAX_VALUE, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY}, 2, 4));
        tensors.put("scalar", Tensor.scalar(-3.25f));
        tensors.put("empty", Tensor.zeros(3, 0, 2));
        Tensor big = Tensor.arange(4 * 5 * 6 * 7).reshape(4, 5, 6, 7);
        tensors.put("permuted", big.permute(2, 0, 3, 1));                        // strided in every dimension
        tensors.put("sliced", big.slice(1, 1, 4).slice(3, 2, 7));                 // offset, contiguous rows
        tensors.put("expanded", Tensor.of(new float[] {1, 2, 3}).expand(4, 3));  // stride 0
        tensors.put("large", Tensor.arange(40_000).reshape(200, 200).t());        // crosses the 64 KiB buffer
        Path p = dir.resolve("rt.safetensors");
        Safetensors.save(p, tensors, Map.of("b", "2", "a", "\u00fcnicode \"quoted\""));
        SafetensorsFile file = Safetensors.load(p);
        assertEquals(Map.of("a", "\u00fcnicode \"quoted\"", "b", "2"), file.metadata());
        assertEquals(List.of("a", "b"), List.copyOf(file.metadata().keySet()), "metadata sorted by key");
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor back = file.tensor(e.getKey());
            assertArrayEquals(e.getValue().shape(), back.shape(), e.getKey());
            float[] want = e.getValue().toArray(), got = back.toArray();
            for (int i = 0; i < want.length; i++) {
                assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), e.getKey() + " at " + i);
            }
        }
    }

    @Test
    void i64RoundTripsExactly() throws IOException {
        long[] v = {Long.MIN_VALUE, -1, 0, 1L << 24, (1L << 24) + 1, Long.MAX_VALUE};
        Path p = dir.resolve("i64.safetensors");
        new SafetensorsWriter().putI64("v", v, 2, 3).putI64("s", new long[] {42}).write(p);
        SafetensorsFile file = Safetensors.load(p);
        assertArrayEquals(v, file.longs("v"));
        assertArrayEquals(new int[] {2, 3}, file.shape("v"));
        assertArrayEquals(new int[0], file.shape("s"));
        assertEquals(42f, file.tensor("s").item());
    }

    @Test
    void badArgumentsAreRejectedWhenAdded() {
        SafetensorsWriter w = new SafetensorsWriter().putF32("a", Tensor.zeros(1));
        assertMessage(assertThrows(IllegalArgumentException.class, () -> w.putF32("a", Tensor.zeros(2))), "'a'", "already");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> w.putI64("a", new long[1])), "'a'", "already");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> w.putF32("__metadata__", Tensor.zeros(1))), "reserved");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> w.putF32(null, Tensor.zeros(1))), "null");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> w.putF32("b", null)), "'b'", "null");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> w.putF32("x\uD800y", Tensor.zeros(1))),
                "U+D800", "index 1");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> w.putI64("c", new long[5], 2, 3)),
                "'c'", "5 values", "[2, 3]");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> w.putI64("c", new long[0], 2, -1)), "negative", "[2, -1]");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> w.putMetadata("k", null)), "null");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> w.putMetadata("k", "\uDC00")), "U+DC00");
    }

    static void assertMessage(Throwable t, String... parts) {
        for (String part : parts) {
            assertTrue(t.getMessage() != null && t.getMessage().contains(part), "message lacks '" + part + "': " + t.getMessage());
        }
    }
}
