package dev.lanes.nn.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The header's JSON reader and the writer's string escaping. */
class JsonTest {
    private static Object parse(String s) throws Json.ParseException {
        return Json.parse(s);
    }

    private static void rejects(String s, String part) {
        Json.ParseException e = assertThrows(Json.ParseException.class, () -> Json.parse(s), s);
        assertTrue(e.getMessage().contains(part), "'" + s + "': " + e.getMessage());
    }

    @Test
    void valuesOfEveryKind() throws Json.ParseException {
        Object v = parse(" {\"a\" : [1, -2, 3.5, 1e3, true, false, null, {}, []], \"b\":\"x\"} ");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(List.of("a", "b"), List.copyOf(m.keySet()));
        List<?> a = (List<?>) m.get("a");
        assertEquals(new Json.Number("1", true, 1L), a.get(0));
        assertEquals(new Json.Number("-2", true, -2L), a.get(1));
        assertEquals(new Json.Number("3.5", false, null), a.get(2));
        assertEquals(new Json.Number("1e3", false, null), a.get(3));
        assertEquals(Boolean.TRUE, a.get(4));
        assertEquals(Boolean.FALSE, a.get(5));
        assertSame(Json.NULL, a.get(6));
        assertEquals(Map.of(), a.get(7));
        assertEquals(List.of(), a.get(8));
        assertEquals("x", m.get("b"));
        Json.Number big = (Json.Number) parse("9223372036854775808");
        assertTrue(big.integral());
        assertNull(big.value());
        assertEquals(Long.MAX_VALUE, ((Json.Number) parse("9223372036854775807")).value());
        assertEquals(Long.MIN_VALUE, ((Json.Number) parse("-9223372036854775808")).value());
        assertEquals(0L, ((Json.Number) parse("-0")).value());
    }

    @Test
    void stringEscapes() throws Json.ParseException {
        assertEquals("\"\\/\b\f\n\r\t\u00e9\u20ac\uD83D\uDE00", parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00E9\\u20ac\\ud83d\\ude00\""));
        assertEquals("\u00e9\uD83D\uDE00", parse("\"\u00e9\uD83D\uDE00\""));
    }

    @Test
    void syntaxErrors() {
        rejects("", "end of text");
        rejects("{", "expected a string key");
        rejects("{\"a\"}", "expected ':'");
        rejects("{\"a\":1 \"b\":2}", "expected ',' or '}'");
        rejects("[1 2]", "expected ',' or ']'");
        rejects("[1,]", "expected a value");
        rejects("{\"a\":1,}", "expected a string key");
        rejects("01", "leading zero");
        rejects("-", "expected a digit");
        rejects("1.", "after the decimal point");
        rejects(".5", "expected a value");
        rejects("1e", "in the exponent");
        rejects("+1", "expected a value");
        rejects("NaN", "expected a value");
        rejects("tru", "expected a value");
        rejects("\"abc", "unterminated string");
        rejects("\"\\x\"", "invalid escape");
        rejects("\"\\u12G4\"", "invalid hex digit");
        rejects("\"\\u00\"", "truncated \\u escape");
        rejects("\"\\u00\"  ", "invalid hex digit");
        rejects("\"\\ud83d\\u0041\"", "not followed by a low surrogate");
        rejects("\"\\ude00\"", "lone low surrogate");
        rejects("\"\t\"", "unescaped control character U+0009");
        rejects("{} {}", "after the end");
        rejects("{\"k\":1,\"k\":1}", "duplicate key \"k\"");
        rejects("[".repeat(65) + "]".repeat(65), "nesting deeper than 64");
    }

    @Test
    void duplicateKeysCarryTheirLevel() {
        Json.ParseException top = assertThrows(Json.ParseException.class, () -> Json.parse("{\"a\":1,\"a\":2}"));
        assertEquals("a", top.duplicateKey);
        assertTrue(top.topLevel);
        Json.ParseException inner = assertThrows(Json.ParseException.class, () -> Json.parse("{\"x\":{\"a\":1,\"a\":2}}"));
        assertEquals("a", inner.duplicateKey);
        assertTrue(!inner.topLevel);
    }

    @Test
    void escapingAsSerdeJsonDoesAndRoundTrips() throws Json.ParseException {
        String s = "q\"\\/\n\t\r\b\f\u0001\u001f\u007f\u00e9\uD83D\uDE00";
        StringBuilder sb = new StringBuilder();
        Json.appendString(sb, s);
        assertEquals("\"q\\\"\\\\/\\n\\t\\r\\b\\f\\u0001\\u001f\u007f\u00e9\uD83D\uDE00\"", sb.toString());
        assertEquals(s, parse(sb.toString()));
    }
}
