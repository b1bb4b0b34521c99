package dev.inferj.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Template values as JSON, for {@code tojson} and for printing lists and dicts. The layout is
 * Python's {@code json.dumps} with {@code ensure_ascii=False} as transformers calls it (separators
 * ", " and ": ", or "," and ": " with an indent), numbers as JavaScript writes them (a float with no
 * fraction has none: 2.0 is "2"), as @huggingface/jinja does.
 */
final class JsonWriter {
    private final String indent;        // null: one line
    private final String itemSeparator;
    private final String keySeparator;
    private final boolean sortKeys;
    private final boolean ensureAscii;
    private final boolean undefinedAsNull;
    private final Interpreter interpreter;
    private final StringBuilder out = new StringBuilder();

    JsonWriter(int indent, String itemSeparator, String keySeparator, boolean sortKeys, boolean ensureAscii,
               boolean undefinedAsNull, Interpreter interpreter) {
        this.indent = indent > 0 ? " ".repeat(indent) : null;
        this.itemSeparator = itemSeparator != null ? itemSeparator : this.indent != null ? "," : ", ";
        this.keySeparator = keySeparator != null ? keySeparator : ": ";
        this.sortKeys = sortKeys;
        this.ensureAscii = ensureAscii;
        this.undefinedAsNull = undefinedAsNull;
        this.interpreter = interpreter;
    }

    /** One-line JSON; undefined is written "null" for {@code tojson}, "undefined" when printing. */
    static String compact(Object value, boolean undefinedAsNull, Interpreter interpreter) {
        return new JsonWriter(0, null, null, false, false, undefinedAsNull, interpreter).write(value);
    }

    String write(Object value) {
        value(value, 0);
        return out.toString();
    }

    private void value(Object v, int depth) {
        if (depth > Values.MAX_DEPTH) {
            throw new TemplateError("value nested more than " + Values.MAX_DEPTH + " levels deep (a namespace holding itself?)");
        }
        if (interpreter != null) {
            interpreter.checkLength(out.length());
        }
        switch (v) {
            case null -> out.append("null");
            case Undefined u -> out.append(undefinedAsNull ? "null" : "undefined");
            case Boolean b -> out.append(b);
            case Long l -> out.append(l);
            case Double d -> out.append(Double.isFinite(d) ? Values.jsNumber(d) : "null");
            case String s -> string(s);
            case List<?> list -> {
                if (list.isEmpty()) {
                    out.append("[]");
                    return;
                }
                out.append('[');
                for (int i = 0; i < list.size(); i++) {
                    if (i > 0) {
                        out.append(itemSeparator);
                    }
                    newline(depth + 1);
                    value(list.get(i), depth + 1);
                }
                newline(depth);
                out.append(']');
            }
            case Map<?, ?> map -> object(map, depth);
            case Namespace ns -> object(ns.attributes, depth);
            default -> throw new TemplateError("cannot convert " + Values.typeName(v) + " to JSON");
        }
    }

    private void object(Map<?, ?> map, int depth) {
        if (map.isEmpty()) {
            out.append("{}");
            return;
        }
        List<Map.Entry<?, ?>> entries = new ArrayList<>(map.entrySet());
        if (sortKeys) {
            entries.sort((a, b) -> String.valueOf(a.getKey()).compareTo(String.valueOf(b.getKey())));
        }
        out.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : entries) {
            if (!first) {
                out.append(itemSeparator);
            }
            first = false;
            newline(depth + 1);
            string(String.valueOf(e.getKey()));
            out.append(keySeparator);
            value(e.getValue(), depth + 1);
        }
        newline(depth);
        out.append('}');
    }

    private void newline(int depth) {
        if (indent != null) {
            out.append('\n').repeat(indent, depth);
        }
    }

    /** A JSON string as JavaScript's JSON.stringify writes it; with ensureAscii, \\uXXXX from U+007F up. */
    private void string(String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    boolean loneSurrogate = Character.isHighSurrogate(c)
                            ? !(i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1)))
                            : Character.isLowSurrogate(c) && !(i > 0 && Character.isHighSurrogate(s.charAt(i - 1)));
                    if (c < 0x20 || loneSurrogate || (ensureAscii && c >= 0x7f)) {
                        out.append("\\u");
                        String hex = Integer.toHexString(c);
                        out.repeat('0', 4 - hex.length()).append(hex);
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
