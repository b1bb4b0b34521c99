package dev.inferj;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON reader for test data (RFC 8259). Objects become {@link LinkedHashMap}s
 * (key order kept), arrays {@link ArrayList}s, strings {@link String}s, {@code true}/{@code false}
 * {@link Boolean}s, {@code null} null; a number with neither fraction nor exponent that fits a
 * long becomes a {@link Long}, any other number a {@link Double}. As an extension, the
 * {@code NaN}, {@code Infinity} and {@code -Infinity} that Python's {@code json} module writes are
 * read as doubles. Errors are {@link IllegalArgumentException}s naming the offset.
 */
public final class Json {
    private static final int MAX_DEPTH = 512;

    private final String s;
    private final int n;
    private int pos;
    private final StringBuilder sb = new StringBuilder();

    private Json(String s) {
        this.s = s;
        this.n = s.length();
    }

    /** The value {@code text} holds (one value, surrounded by nothing but whitespace). */
    public static Object parse(String text) {
        Json p = new Json(text);
        p.skipWhitespace();
        Object v = p.value(0);
        p.skipWhitespace();
        if (p.pos != p.n) {
            throw p.error("unexpected " + p.describe() + " after the value");
        }
        return v;
    }

    /** {@link #parse} of a UTF-8 file. */
    public static Object parse(Path file) {
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Each non-blank line of a UTF-8 JSON Lines file, parsed. */
    public static List<Object> parseLines(Path file) {
        try {
            List<Object> out = new ArrayList<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    out.add(parse(line));
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Object value(int depth) {
        if (pos >= n) {
            throw error("unexpected end of input, expected a value");
        }
        char c = s.charAt(pos);
        return switch (c) {
            case '{' -> object(depth + 1);
            case '[' -> array(depth + 1);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            case 'N' -> literal("NaN", Double.NaN);
            case 'I' -> literal("Infinity", Double.POSITIVE_INFINITY);
            default -> {
                if (c == '-' || c >= '0' && c <= '9') {
                    yield number();
                }
                throw error("unexpected " + describe() + ", expected a value");
            }
        };
    }

    private Map<String, Object> object(int depth) {
        checkDepth(depth);
        pos++; // {
        Map<String, Object> map = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return map;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("unexpected " + describe() + ", expected a string key");
            }
            String key = string();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            map.put(key, value(depth));
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == '}') {
                return map;
            }
            if (c != ',') {
                pos--;
                throw error("unexpected " + describe() + ", expected ',' or '}'");
            }
        }
    }

    private List<Object> array(int depth) {
        checkDepth(depth);
        pos++; // [
        List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return list;
        }
        while (true) {
            skipWhitespace();
            list.add(value(depth));
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == ']') {
                return list;
            }
            if (c != ',') {
                pos--;
                throw error("unexpected " + describe() + ", expected ',' or ']'");
            }
        }
    }

    private String string() {
        pos++; // opening quote
        int start = pos;
        // fast path: no escapes
        while (pos < n) {
            char c = s.charAt(pos);
            if (c == '"') {
                return s.substring(start, pos++);
            }
            if (c == '\\') {
                break;
            }
            if (c < 0x20) {
                throw error("control character U+" + String.format("%04X", (int) c) + " in a string");
            }
            pos++;
        }
        sb.setLength(0);
        sb.append(s, start, pos);
        while (pos < n) {
            char c = s.charAt(pos++);
            if (c == '"') {
                return sb.toString();
            }
            if (c < 0x20) {
                pos--;
                throw error("control character U+" + String.format("%04X", (int) c) + " in a string");
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (pos >= n) {
                break;
            }
            char e = s.charAt(pos++);
            switch (e) {
                case '"' -> sb.append('"');
                case '\\' -> sb.append('\\');
                case '/' -> sb.append('/');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> sb.append(hex4());
                default -> {
                    pos--;
                    throw error("invalid escape \\" + e);
                }
            }
        }
        throw error("unterminated string starting at offset " + (start - 1));
    }

    private char hex4() {
        if (pos + 4 > n) {
            throw error("truncated \\u escape");
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(s.charAt(pos + i), 16);
            if (d < 0 || s.charAt(pos + i) > 'f') {
                throw error("invalid \\u escape");
            }
            v = v << 4 | d;
        }
        pos += 4;
        return (char) v; // surrogate pairs come as two escapes and are joined by appending both
    }

    private Object number() {
        int start = pos;
        boolean negative = peek() == '-';
        if (negative) {
            pos++;
            if (pos < n && s.charAt(pos) == 'I') {
                literal("Infinity", null);
                return Double.NEGATIVE_INFINITY;
            }
        }
        int intStart = pos;
        if (pos < n && s.charAt(pos) == '0') {
            pos++;
        } else if (pos < n && s.charAt(pos) >= '1' && s.charAt(pos) <= '9') {
            while (pos < n && isDigit(s.charAt(pos))) {
                pos++;
            }
        } else {
            throw error("invalid number");
        }
        int intEnd = pos;
        boolean integral = true;
        if (pos < n && s.charAt(pos) == '.') {
            integral = false;
            pos++;
            if (pos >= n || !isDigit(s.charAt(pos))) {
                throw error("invalid number: no digit after '.'");
            }
            while (pos < n && isDigit(s.charAt(pos))) {
                pos++;
            }
        }
        if (pos < n && (s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
            integral = false;
            pos++;
            if (pos < n && (s.charAt(pos) == '+' || s.charAt(pos) == '-')) {
                pos++;
            }
            if (pos >= n || !isDigit(s.charAt(pos))) {
                throw error("invalid number: no digit in the exponent");
            }
            while (pos < n && isDigit(s.charAt(pos))) {
                pos++;
            }
        }
        if (integral && intEnd - intStart <= 18) {
            long v = 0;
            for (int i = intStart; i < intEnd; i++) {
                v = v * 10 + (s.charAt(i) - '0');
            }
            return negative ? -v : v;
        }
        String text = s.substring(start, pos);
        if (integral) {
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException tooLarge) {
                return Double.parseDouble(text);
            }
        }
        return Double.parseDouble(text);
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private Object literal(String word, Object value) {
        if (!s.startsWith(word, pos)) {
            throw error("unexpected " + describe() + ", expected a value");
        }
        pos += word.length();
        return value;
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("unexpected " + describe() + ", expected '" + c + "'");
        }
        pos++;
    }

    private char peek() {
        if (pos >= n) {
            throw error("unexpected end of input");
        }
        return s.charAt(pos);
    }

    private void skipWhitespace() {
        while (pos < n) {
            char c = s.charAt(pos);
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                return;
            }
            pos++;
        }
    }

    private void checkDepth(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nested deeper than " + MAX_DEPTH);
        }
    }

    private String describe() {
        if (pos >= n) {
            return "end of input";
        }
        char c = s.charAt(pos);
        return c >= 0x20 && c < 0x7F ? "'" + c + "'" : String.format("U+%04X", (int) c);
    }

    private IllegalArgumentException error(String message) {
        return new IllegalArgumentException("JSON at offset " + pos + ": " + message);
    }
}
