package dev.lanes.nn.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict JSON (RFC 8259) reader and the string escaping of the safetensors writer, for safetensors headers
 * and the optimizer state's metadata, so the module needs nothing beyond the JDK. Not part of the API.
 *
 * <p>Values come back as {@link LinkedHashMap} (objects, in file order), {@link List} (arrays),
 * {@link String}, {@link Number} (numbers), {@link Boolean} and {@link #NULL}. Stricter than most readers
 * where laxness could hide a corrupt file: a key repeated in one object is an error (RFC 8259 leaves it
 * open and serde_json keeps the last one), as are leading zeros, unescaped control characters, lone
 * surrogate escapes, nesting deeper than {@link #MAX_DEPTH} and anything but whitespace after the value.
 */
public final class Json {
    /** JSON {@code null}, distinct from an absent key. */
    public static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    /**
     * A number as written. {@code integral} numbers have no fraction or exponent; {@code value} holds them
     * when they fit a long, otherwise it is null (the text still says what was there).
     */
    public record Number(String text, boolean integral, Long value) {
        @Override
        public String toString() {
            return text;
        }
    }

    /** A syntax error; {@code position} counts characters from the start of the text. */
    public static final class ParseException extends Exception {
        private static final long serialVersionUID = 1L;
        public final int position;
        /** For a repeated key: the key and whether it was in the outermost object; otherwise null and false. */
        public final String duplicateKey;
        public final boolean topLevel;

        ParseException(String message, int position) {
            this(message, position, null, false);
        }

        ParseException(String message, int position, String duplicateKey, boolean topLevel) {
            super(message + " at character " + position);
            this.position = position;
            this.duplicateKey = duplicateKey;
            this.topLevel = topLevel;
        }
    }

    /** Deep enough for any safetensors header (which nests three levels), shallow enough for the stack. */
    public static final int MAX_DEPTH = 64;

    private final String text;
    private int pos;

    private Json(String text) {
        this.text = text;
    }

    /** Parses one JSON value filling the whole text (whitespace around it allowed). */
    public static Object parse(String text) throws ParseException {
        Json p = new Json(text);
        p.skipWhitespace();
        Object value = p.value(0);
        p.skipWhitespace();
        if (p.pos != text.length()) {
            throw p.error("unexpected " + p.describe(p.pos) + " after the end of the JSON value");
        }
        return value;
    }

    private Object value(int depth) throws ParseException {
        if (pos >= text.length()) {
            throw error("unexpected end of text, expected a value");
        }
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> object(depth + 1);
            case '[' -> array(depth + 1);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", NULL);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield number();
                }
                throw error("unexpected " + describe(pos) + ", expected a value");
            }
        };
    }

    private Map<String, Object> object(int depth) throws ParseException {
        checkDepth(depth);
        pos++; // '{'
        Map<String, Object> out = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return out;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("unexpected " + describe(pos) + ", expected a string key");
            }
            int keyStart = pos;
            String key = string();
            if (out.containsKey(key)) {
                throw new ParseException("duplicate key \"" + key + "\" in one object", keyStart, key, depth == 1);
            }
            skipWhitespace();
            expect(':');
            skipWhitespace();
            out.put(key, value(depth));
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == '}') {
                return out;
            }
            if (c != ',') {
                pos--;
                throw error("unexpected " + describe(pos) + ", expected ',' or '}' in an object");
            }
        }
    }

    private List<Object> array(int depth) throws ParseException {
        checkDepth(depth);
        pos++; // '['
        List<Object> out = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return out;
        }
        while (true) {
            skipWhitespace();
            out.add(value(depth));
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == ']') {
                return out;
            }
            if (c != ',') {
                pos--;
                throw error("unexpected " + describe(pos) + ", expected ',' or ']' in an array");
            }
        }
    }

    private String string() throws ParseException {
        int start = pos;
        pos++; // opening quote
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                throw new ParseException("unterminated string", start);
            }
            char c = text.charAt(pos++);
            if (c == '"') {
                return sb.toString();
            }
            if (c < 0x20) {
                throw new ParseException("unescaped control character U+" + String.format("%04X", (int) c) + " in a string", pos - 1);
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (pos >= text.length()) {
                throw new ParseException("unterminated string", start);
            }
            char e = text.charAt(pos++);
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    char u = hex4();
                    if (Character.isHighSurrogate(u)) {
                        if (pos + 1 < text.length() && text.charAt(pos) == '\\' && text.charAt(pos + 1) == 'u') {
                            pos += 2;
                            char low = hex4();
                            if (!Character.isLowSurrogate(low)) {
                                throw new ParseException("escaped high surrogate not followed by a low surrogate", pos - 12);
                            }
                            sb.append(u).append(low);
                        } else {
                            throw new ParseException("lone high surrogate escape", pos - 6);
                        }
                    } else if (Character.isLowSurrogate(u)) {
                        throw new ParseException("lone low surrogate escape", pos - 6);
                    } else {
                        sb.append(u);
                    }
                }
                default -> throw new ParseException("invalid escape '\\" + e + "'", pos - 2);
            }
        }
    }

    private char hex4() throws ParseException {
        if (pos + 4 > text.length()) {
            throw error("truncated \\u escape");
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(text.charAt(pos + i), 16);
            if (d < 0 || text.charAt(pos + i) > 'f') {
                throw new ParseException("invalid hex digit " + describe(pos + i) + " in a \\u escape", pos + i);
            }
            v = v * 16 + d;
        }
        pos += 4;
        return (char) v;
    }

    private Number number() throws ParseException {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
            if (isDigit(peek())) {
                throw new ParseException("leading zero in a number", start);
            }
        } else if (isDigit(peek())) {
            while (isDigit(peek())) {
                pos++;
            }
        } else {
            throw error("expected a digit, got " + describe(pos));
        }
        boolean integral = true;
        if (peek() == '.') {
            integral = false;
            pos++;
            if (!isDigit(peek())) {
                throw error("expected a digit after the decimal point, got " + describe(pos));
            }
            while (isDigit(peek())) {
                pos++;
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw error("expected a digit in the exponent, got " + describe(pos));
            }
            while (isDigit(peek())) {
                pos++;
            }
        }
        String t = text.substring(start, pos);
        Long value = null;
        if (integral) {
            try {
                value = Long.parseLong(t);
            } catch (NumberFormatException tooBig) {
                value = null;
            }
        }
        return new Number(t, integral, value);
    }

    private Object literal(String word, Object value) throws ParseException {
        if (!text.startsWith(word, pos)) {
            throw error("unexpected " + describe(pos) + ", expected a value");
        }
        pos += word.length();
        return value;
    }

    private void expect(char c) throws ParseException {
        if (peek() != c) {
            throw error("unexpected " + describe(pos) + ", expected '" + c + "'");
        }
        pos++;
    }

    private void checkDepth(int depth) throws ParseException {
        if (depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH + " levels");
        }
    }

    /** The character at the cursor, or 0 at the end (0 never matches anything the grammar expects). */
    private char peek() {
        return pos < text.length() ? text.charAt(pos) : 0;
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private String describe(int at) {
        if (at >= text.length()) {
            return "end of text";
        }
        char c = text.charAt(at);
        return c >= 0x20 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
    }

    private ParseException error(String message) {
        return new ParseException(message, pos);
    }

    // ------------------------------------------------------------------------------------------- writing

    /**
     * Appends {@code s} as a JSON string the way serde_json (the safetensors library) writes it, so headers
     * come out byte-identical: {@code "} and {@code \} escaped, the control characters with a short escape
     * as {@code \b \f \n \r \t} and the rest as {@code \}{@code u00xx} (lower-case hex), everything else,
     * including {@code /} and non-ASCII, as is.
     */
    public static void appendString(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append("\\u00").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
