package dev.inferj.chat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * JSON text → the values templates read: for the {@code from_json} filter (tool call arguments
 * that arrive as JSON text) and for callers that keep conversations or tool definitions as JSON
 * (the {@code inferj template} command). Strict RFC 8259. Objects become {@link LinkedHashMap}s
 * in key order, arrays {@link ArrayList}s, {@code null} null; integers that fit a long are
 * {@link Long}s, other numbers {@link Double}s. Nesting is limited to the depth templates accept.
 */
public final class JsonReader {
    private final String s;
    private int pos;

    private JsonReader(String s) {
        this.s = s;
    }

    /**
     * The one JSON value {@code text} holds, surrounded by nothing but whitespace.
     *
     * @throws IllegalArgumentException naming what is wrong and the offset (in UTF-16 code units)
     */
    public static Object parse(String text) {
        JsonReader r = new JsonReader(text);
        r.whitespace();
        Object v = r.value(0);
        r.whitespace();
        if (r.pos != text.length()) {
            throw r.error("unexpected text after the JSON value");
        }
        return v;
    }

    /** {@link #parse} for the {@code from_json} filter: a malformed text is the template's error. */
    static Object read(String text) {
        try {
            return parse(text);
        } catch (IllegalArgumentException e) {
            throw new TemplateError("from_json: " + e.getMessage());
        }
    }

    private IllegalArgumentException error(String message) {
        return new IllegalArgumentException(message + " at offset " + pos);
    }

    private void whitespace() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private Object value(int depth) {
        if (depth > Values.MAX_DEPTH) {
            throw error("nested too deeply");
        }
        if (pos >= s.length()) {
            throw error("unexpected end of JSON");
        }
        char c = s.charAt(pos);
        switch (c) {
            case '{' -> {
                pos++;
                LinkedHashMap<String, Object> map = new LinkedHashMap<>();
                whitespace();
                if (pos < s.length() && s.charAt(pos) == '}') {
                    pos++;
                    return map;
                }
                while (true) {
                    whitespace();
                    if (pos >= s.length() || s.charAt(pos) != '"') {
                        throw error("expected a string key");
                    }
                    String key = string();
                    whitespace();
                    expect(':');
                    whitespace();
                    map.put(key, value(depth + 1));
                    whitespace();
                    if (pos < s.length() && s.charAt(pos) == ',') {
                        pos++;
                        continue;
                    }
                    expect('}');
                    return map;
                }
            }
            case '[' -> {
                pos++;
                List<Object> list = new ArrayList<>();
                whitespace();
                if (pos < s.length() && s.charAt(pos) == ']') {
                    pos++;
                    return list;
                }
                while (true) {
                    whitespace();
                    list.add(value(depth + 1));
                    whitespace();
                    if (pos < s.length() && s.charAt(pos) == ',') {
                        pos++;
                        continue;
                    }
                    expect(']');
                    return list;
                }
            }
            case '"' -> {
                return string();
            }
            case 't' -> {
                literal("true");
                return Boolean.TRUE;
            }
            case 'f' -> {
                literal("false");
                return Boolean.FALSE;
            }
            case 'n' -> {
                literal("null");
                return null;
            }
            default -> {
                return number();
            }
        }
    }

    private void expect(char c) {
        if (pos >= s.length() || s.charAt(pos) != c) {
            throw error("expected '" + c + "'");
        }
        pos++;
    }

    private void literal(String word) {
        if (!s.startsWith(word, pos)) {
            throw error("unexpected character");
        }
        pos += word.length();
    }

    private String string() {
        pos++;
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= s.length()) {
                throw error("string is never closed");
            }
            char c = s.charAt(pos++);
            if (c == '"') {
                return sb.toString();
            }
            if (c < 0x20) {
                throw error("control character in string");
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (pos >= s.length()) {
                throw error("string is never closed");
            }
            char e = s.charAt(pos++);
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    if (pos + 4 > s.length()) {
                        throw error("bad \\u escape");
                    }
                    try {
                        sb.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
                    } catch (NumberFormatException ex) {
                        throw error("bad \\u escape");
                    }
                    pos += 4;
                }
                default -> throw error("bad escape \\" + e);
            }
        }
    }

    private Object number() {
        int start = pos;
        if (pos < s.length() && s.charAt(pos) == '-') {
            pos++;
        }
        int digits = pos;
        while (pos < s.length() && Character.isDigit(s.charAt(pos)) && s.charAt(pos) < 128) {
            pos++;
        }
        if (pos == digits || (s.charAt(digits) == '0' && pos - digits > 1)) {
            throw error("bad number");
        }
        boolean integral = true;
        if (pos < s.length() && s.charAt(pos) == '.') {
            integral = false;
            pos++;
            int frac = pos;
            while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') {
                pos++;
            }
            if (pos == frac) {
                throw error("bad number");
            }
        }
        if (pos < s.length() && (s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
            integral = false;
            pos++;
            if (pos < s.length() && (s.charAt(pos) == '+' || s.charAt(pos) == '-')) {
                pos++;
            }
            int exp = pos;
            while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') {
                pos++;
            }
            if (pos == exp) {
                throw error("bad number");
            }
        }
        String text = s.substring(start, pos);
        if (integral) {
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException e) {
                // too large for a long: a float, as in JavaScript
            }
        }
        return Double.parseDouble(text);
    }
}
