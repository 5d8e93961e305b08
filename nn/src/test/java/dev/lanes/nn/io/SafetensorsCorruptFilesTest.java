package dev.lanes.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way a header or layout can be wrong gives a {@link SafetensorsException} naming the file, the tensor
 * and the values at fault; the accepted edge cases are those the reference reader (safetensors 0.8) accepts.
 */
class SafetensorsCorruptFilesTest {
    @TempDir
    Path dir;

    private int count;

    private static String f32(String name, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"F32\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }

    private static byte[] zeros(int n) {
        return new byte[n];
    }

    /** Writes header + data as a file and expects the load to fail with all {@code parts} in the message. */
    private SafetensorsException corrupt(byte[] contents, String... parts) throws IOException {
        Path p = StFiles.write(dir, "bad" + (count++) + ".safetensors", contents);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Safetensors.load(p));
        assertTrue(e.getMessage().contains(p.toString()), "message lacks the file name: " + e.getMessage());
        SafetensorsWriterTest.assertMessage(e, parts);
        return e;
    }

    private SafetensorsException corrupt(String header, byte[] data, String... parts) throws IOException {
        return corrupt(StFiles.raw(header, data), parts);
    }

    private SafetensorsFile ok(String header, byte[] data) throws IOException {
        return Safetensors.load(StFiles.write(dir, "ok" + (count++) + ".safetensors", StFiles.raw(header, data)));
    }

    @Test
    void truncatedOrAbsurdHeaderLength() throws IOException {
        corrupt(new byte[0], "0 bytes long", "shorter than the 8-byte header length");
        corrupt(new byte[7], "7 bytes long");
        corrupt(StFiles.raw(100, "{}".getBytes(StandardCharsets.US_ASCII), zeros(10)), "header length 100", "only 12 bytes follow",
                "file size 20");
        corrupt(StFiles.raw(100_000_001, new byte[0], zeros(16)), "100000001", "exceeds the limit of 100000000");
        corrupt(StFiles.raw(-1, new byte[0], zeros(16)), "18446744073709551615", "exceeds the limit");
        corrupt(StFiles.raw(0, new byte[0], new byte[0]), "not valid JSON", "end of text");
    }

    @Test
    void headerThatIsNotUtf8JsonObject() throws IOException {
        corrupt(StFiles.raw(4, new byte[] {'{', (byte) 0xff, '}', ' '}, new byte[0]), "not valid UTF-8", "header byte 1");
        corrupt("{" + f32("a", "[1]", 0, 4), zeros(4), "not valid JSON", "end of text");
        corrupt("{" + f32("a", "[1]", 0, 4) + "}x", zeros(4), "not valid JSON", "'x' after the end");
        corrupt("{" + f32("a", "[1]", 0, 4) + "}\0\0", zeros(4), "not valid JSON", "U+0000 after the end");
        corrupt("{" + f32("a", "[1]", 0, 4) + ",}", zeros(4), "not valid JSON", "expected a string key");
        corrupt("{'a':1}", zeros(0), "not valid JSON", "expected a string key");
        corrupt("[]", zeros(0), "a JSON array, expected an object");
        corrupt("\"x\"", zeros(0), "a JSON string, expected an object");
        corrupt("{\"a\":{\"dtype\":\"F32\",\"shape\":[01],\"data_offsets\":[0,4]}}", zeros(4), "leading zero");
        corrupt("{\"a\\q\":1}", zeros(0), "invalid escape");
        corrupt("{\"a\\ud800\":1}", zeros(0), "lone high surrogate");
        corrupt("{\"a\nb\":1}", zeros(0), "unescaped control character U+000A");
        corrupt("[".repeat(100) + "]".repeat(100), zeros(0), "nesting deeper than 64");
    }

    @Test
    void malformedEntries() throws IOException {
        corrupt("{\"a\":[1]}", zeros(0), "tensor 'a'", "a JSON array, expected an object with \"dtype\"");
        corrupt("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", zeros(4), "tensor 'a'", "no \"dtype\"");
        corrupt("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", zeros(4), "tensor 'a'", "no \"shape\"");
        corrupt("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", zeros(4), "tensor 'a'", "no \"data_offsets\"");
        corrupt("{\"a\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", zeros(4), "tensor 'a'", "\"dtype\" is a JSON number (32)");
        corrupt("{\"a\":{\"dtype\":\"F32\",\"shape\":\"1\",\"data_offsets\":[0,4]}}", zeros(4), "tensor 'a'", "\"shape\" is a JSON string");
        corrupt("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}", zeros(4), "tensor 'a'", "1.0, not an integer");
        corrupt("{\"a\":{\"dtype\":\"F32\",\"shape\":[1e0],\"data_offsets\":[0,4]}}", zeros(4), "tensor 'a'", "1e0, not an integer");
        corrupt("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", zeros(4), "tensor 'a'", "-1, a negative value");
        corrupt("{\"a\":{\"dtype\":\"F32\",\"shape\":[null],\"data_offsets\":[0,4]}}", zeros(4), "tensor 'a'", "a JSON null");
        corrupt("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,4]}}", zeros(4), "tensor 'a'", "has 3 elements, expected 2");
        corrupt("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", zeros(4), "tensor 'a'", "-4, a negative value");
        corrupt("{\"a\":{\"dtype\":\"F32\",\"shape\":[18446744073709551616],\"data_offsets\":[0,4]}}", zeros(4), "tensor 'a'",
                "beyond the 64-bit range");
        corrupt("{\"__metadata__\":[],\"a\":{}}", zeros(0), "\"__metadata__\" is a JSON array");
        corrupt("{\"__metadata__\":{\"k\":1}}", zeros(0), "\"__metadata__\" entry \"k\" is a JSON number (1)");
    }

    @Test
    void unknownAndUnsupportedDtypes() throws IOException {
        corrupt("{\"a\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", zeros(4), "tensor 'a'", "unknown dtype \"F33\"");
        corrupt("{\"a\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", zeros(4), "unknown dtype \"f32\"");
        corrupt("{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[4],\"data_offsets\":[0,4]}}", zeros(4), "tensor 'a'", "F8_E4M3",
                "Lanes does not read");
    }

    @Test
    void duplicateNames() throws IOException {
        corrupt("{" + f32("a", "[1]", 0, 4) + "," + f32("a", "[1]", 4, 8) + "}", zeros(8), "names tensor 'a' twice");
        // Even when both entries agree (the reference reader keeps the last and accepts this).
        corrupt("{" + f32("a", "[1]", 0, 4) + "," + f32("a", "[1]", 0, 4) + "}", zeros(4), "names tensor 'a' twice");
        corrupt("{\"__metadata__\":{},\"__metadata__\":{}}", zeros(0), "names \"__metadata__\" twice");
        corrupt("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", zeros(0), "duplicate key \"k\"");
        corrupt("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,4]}}", zeros(4), "duplicate key \"dtype\"");
    }

    @Test
    void offsetsThatDoNotTileTheDataRegion() throws IOException {
        corrupt("{" + f32("a", "[1]", 4, 0) + "}", zeros(4), "tensor 'a'", "data_offsets [4, 0] end before they begin");
        corrupt("{" + f32("a", "[2]", 0, 8) + "}", zeros(4), "tensor 'a'", "[0, 8] reach past the data region, which is 4 bytes");
        corrupt("{" + f32("a", "[2]", 0, 8) + "," + f32("b", "[2]", 4, 12) + "}", zeros(12), "tensor 'b'",
                "[4, 12] overlap tensor 'a' [0, 8]");
        corrupt("{" + f32("a", "[1]", 0, 4) + "," + f32("b", "[1]", 8, 12) + "}", zeros(12), "tensor 'b'",
                "leave a gap of 4 bytes after tensor 'a' [0, 4]");
        corrupt("{" + f32("a", "[1]", 4, 8) + "}", zeros(8), "tensor 'a'", "gap of 4 bytes after the start of the data region");
        corrupt("{" + f32("a", "[1]", 0, 4) + "}", zeros(5), "end at data byte 4", "data region is 5 bytes", "1 trailing bytes");
        corrupt("{}", zeros(3), "3 trailing bytes");
        corrupt("{" + f32("a", "[2,3]", 0, 20) + "}", zeros(20), "tensor 'a'", "shape [2, 3] of F32 needs 6 x 4 = 24 bytes",
                "[0, 20] hold 20");
        corrupt("{" + f32("a", "[4294967296,4294967296]", 0, 0) + "}", zeros(0), "tensor 'a'",
                "[4294967296, 4294967296]", "overflows");
        corrupt("{" + f32("a", "[0,3000000000]", 0, 0) + "}", zeros(0), "tensor 'a'", "too large for a Lanes tensor");
    }

    @Test
    void boolBytesMustBeZeroOrOne() throws IOException {
        corrupt("{\"m\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[0,3]}}", new byte[] {1, 0, 2}, "tensor 'm'",
                "BOOL element 2 is the byte 2");
    }

    @Test
    void whatTheReferenceReaderAcceptsIsAccepted() throws IOException {
        // Whitespace around the JSON (the writer pads with spaces), header order unlike data order, an empty
        // tensor between others, null metadata, extra fields, escapes in names.
        ByteBuffer data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2f);
        String header = " \n{\"__metadata__\":null,\"b\\u00e9\\ud83d\\ude00\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8],"
                + "\"extra\":[true,{\"x\":-1.5e3}]}," + f32("e", "[0,2]", 4, 4) + "," + f32("a", "[]", 0, 4) + "}\t  ";
        SafetensorsFile f = ok(header, data.array());
        assertEquals(List.of("a", "e", "b\u00e9\uD83D\uDE00"), List.copyOf(f.names()), "file (data) order");
        assertEquals(1.5f, f.tensor("a").item());
        assertEquals(-2f, f.tensor("b\u00e9\uD83D\uDE00").item());
        assertArrayEquals(new int[] {0, 2}, f.tensor("e").shape());
        assertEquals(Map.of(), f.metadata());

        SafetensorsFile empty = ok("{}", new byte[0]);
        assertTrue(empty.names().isEmpty());
        assertTrue(empty.tensors().isEmpty());
    }
}
