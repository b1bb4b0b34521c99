package dev.inferj.chat;

import dev.inferj.ChatMessage;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What template values are and how they behave. A value is one of: {@code null} (none),
 * {@link Undefined}, {@link String}, {@link Long} (integer), {@link Double} (float),
 * {@link Boolean}, {@link List} (list or tuple), {@link Map} with String keys (dict, insertion
 * ordered), {@link Namespace} or {@link TemplateFunction}.
 *
 * <p>Rendering, truthiness and concatenation follow @huggingface/jinja, the engine that rendered
 * the reference conversations: {@code true} renders as "true", none and undefined as nothing, a
 * float with no fraction as "2.0", a list or dict as JSON.
 */
final class Values {
    private Values() {
    }

    /** Deeper values are refused: a cycle (a namespace holding itself), or data nobody needs. */
    static final int MAX_DEPTH = 256;

    static boolean isUndefined(Object v) {
        return v == Undefined.INSTANCE;
    }

    static boolean isNoneOrUndefined(Object v) {
        return v == null || v == Undefined.INSTANCE;
    }

    static boolean isNumber(Object v) {
        return v instanceof Long || v instanceof Double;
    }

    static boolean isTruthy(Object v) {
        return switch (v) {
            case null -> false;
            case Undefined u -> false;
            case Boolean b -> b;
            case String s -> !s.isEmpty();
            case Long l -> l != 0;
            case Double d -> d != 0 && !d.isNaN();
            case List<?> l -> !l.isEmpty();
            case Map<?, ?> m -> !m.isEmpty();
            default -> true;
        };
    }

    /** The type's name in error messages. */
    static String typeName(Object v) {
        return switch (v) {
            case null -> "none";
            case Undefined u -> "undefined";
            case String s -> "string";
            case Long l -> "integer";
            case Double d -> "float";
            case Boolean b -> "boolean";
            case List<?> l -> "list";
            case Map<?, ?> m -> "dict";
            case Namespace n -> "namespace";
            case TemplateFunction f -> f.describe();
            default -> v.getClass().getSimpleName();
        };
    }

    /** How <code>{{ v }}</code> prints {@code v}. */
    static String render(Object v, Interpreter interpreter) {
        return switch (v) {
            case null -> "";
            case Undefined u -> "";
            case String s -> s;
            case Long l -> l.toString();
            case Double d -> formatFloat(d);
            case Boolean b -> b ? "true" : "false";
            case List<?> l -> JsonWriter.compact(v, false, interpreter);
            case Map<?, ?> m -> JsonWriter.compact(v, false, interpreter);
            case Namespace n -> JsonWriter.compact(v, false, interpreter);
            case TemplateFunction f -> f.describe();
            default -> String.valueOf(v);
        };
    }

    /**
     * How {@code ~}, and {@code +} with a string, turn {@code v} into text: like rendering, except
     * that a float shows no ".0" ("x" ~ 2.0 is "x2"), a list joins its items with commas, none is
     * "None" and undefined is empty (both are errors in @huggingface/jinja; this is Jinja2).
     */
    static String concat(Object v, Interpreter interpreter) {
        return switch (v) {
            case null -> "None";
            case Undefined u -> "";
            case Double d -> jsNumber(d);
            case List<?> list -> {
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < list.size(); i++) {
                    if (i > 0) {
                        sb.append(',');
                    }
                    Object item = list.get(i);
                    // As @huggingface/jinja, whose none and undefined both print "undefined" here.
                    sb.append(isNoneOrUndefined(item) ? "undefined" : render(item, interpreter));
                }
                yield sb.toString();
            }
            default -> render(v, interpreter);
        };
    }

    /** A float as Jinja/@huggingface/jinja print it: "2.0", "0.5", "-0.0", "1e+21". */
    static String formatFloat(double d) {
        if (d == 0) {
            return 1 / d < 0 ? "-0.0" : "0.0";
        }
        if (Double.isFinite(d) && d == Math.rint(d) && Math.abs(d) < 1e21) {
            return new BigDecimal(d).toPlainString() + ".0";
        }
        return jsNumber(d);
    }

    /**
     * A double as JavaScript's {@code Number.prototype.toString} writes it (and so JSON): the
     * shortest digits that read back to the same double, without exponent from 1e-7 up to 1e21.
     */
    static String jsNumber(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        if (d == 0) {
            return "0";
        }
        String sign = d < 0 ? "-" : "";
        // Double.toString gives the shortest uniquely identifying digits (JDK 19 and later).
        BigDecimal bd = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = bd.unscaledValue().toString();
        int k = digits.length();
        int n = k - bd.scale(); // value = 0.digits × 10^n
        StringBuilder sb = new StringBuilder(sign);
        if (k <= n && n <= 21) {
            sb.append(digits).repeat('0', n - k);
        } else if (0 < n && n <= 21) {
            sb.append(digits, 0, n).append('.').append(digits, n, k);
        } else if (-6 < n && n <= 0) {
            sb.append("0.").repeat('0', -n).append(digits);
        } else {
            int e = n - 1;
            sb.append(digits.charAt(0));
            if (k > 1) {
                sb.append('.').append(digits, 1, k);
            }
            sb.append('e').append(e < 0 ? '-' : '+').append(Math.abs(e));
        }
        return sb.toString();
    }

    private static boolean isNumberLike(Object v) {
        return v instanceof Long || v instanceof Double || v instanceof Boolean;
    }

    private static double toDouble(Object v) {
        return switch (v) {
            case Long l -> l;
            case Double d -> d;
            case Boolean b -> b ? 1 : 0;
            default -> throw new IllegalStateException();
        };
    }

    /**
     * {@code ==}: numbers and booleans by value ({@code 1 == 1.0 == true}), strings by content,
     * lists and dicts item by item; none and undefined equal each other and nothing else; a string
     * and a number or boolean as JavaScript compares them (see below).
     */
    static boolean equal(Object a, Object b) {
        return equal(a, b, true);
    }

    /** Equality without the string-to-number reading: for {@code in}, tests, {@code unique}, list methods. */
    static boolean same(Object a, Object b) {
        return equal(a, b, false);
    }

    private static boolean equal(Object a, Object b, boolean loose) {
        if (a == b) {
            return true;
        }
        boolean aMissing = isNoneOrUndefined(a);
        boolean bMissing = isNoneOrUndefined(b);
        if (aMissing || bMissing) {
            return aMissing && bMissing;
        }
        if (isNumberLike(a) && isNumberLike(b)) {
            if (a instanceof Long x && b instanceof Long y) {
                return x.longValue() == y.longValue();
            }
            return toDouble(a) == toDouble(b);
        }
        if (a instanceof String x && b instanceof String y) {
            return x.equals(y);
        }
        // As @huggingface/jinja (JavaScript's ==): a string equals a number or boolean when it reads
        // as that number, so "" == false and "1" == true. Templates test `system_message != false`
        // after setting it to a string or to false, and the reference renderings depend on this.
        if (loose && a instanceof String x && isNumberLike(b)) {
            return jsToNumber(x) == toDouble(b);
        }
        if (loose && b instanceof String y && isNumberLike(a)) {
            return jsToNumber(y) == toDouble(a);
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if (x.size() != y.size()) {
                return false;
            }
            for (int i = 0; i < x.size(); i++) {
                if (!equal(x.get(i), y.get(i), loose)) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
            if (x.size() != y.size()) {
                return false;
            }
            for (Map.Entry<?, ?> e : x.entrySet()) {
                if (!y.containsKey(e.getKey()) || !equal(e.getValue(), y.get(e.getKey()), loose)) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    private static final Pattern JS_DECIMAL =
            Pattern.compile("[+-]?(Infinity|([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?)");

    /** JavaScript's ToNumber of a string: blank is 0, a numeric literal its value, anything else NaN. */
    static double jsToNumber(String s) {
        String t = trim(s);
        if (t.isEmpty()) {
            return 0;
        }
        if (JS_DECIMAL.matcher(t).matches()) {
            if (t.endsWith("Infinity")) {
                return t.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
            }
            return Double.parseDouble(t);
        }
        if (t.length() > 2 && t.charAt(0) == '0') {
            int radix = switch (t.charAt(1)) {
                case 'x', 'X' -> 16;
                case 'o', 'O' -> 8;
                case 'b', 'B' -> 2;
                default -> 0;
            };
            if (radix != 0) {
                try {
                    return new BigInteger(t.substring(2), radix).doubleValue();
                } catch (NumberFormatException e) {
                    return Double.NaN;
                }
            }
        }
        return Double.NaN;
    }

    /**
     * Order for {@code sort} and {@code dictsort}: numbers (and booleans) by value, strings
     * lexicographically (ignoring case unless {@code caseSensitive}); other mixes are an error.
     */
    static int compare(Object a, Object b, boolean caseSensitive) {
        if (isNoneOrUndefined(a) && isNoneOrUndefined(b) && (a == b)) {
            return 0;
        }
        if (isNumberLike(a) && isNumberLike(b)) {
            if (a instanceof Long x && b instanceof Long y) {
                return Long.compare(x, y);
            }
            return Double.compare(toDouble(a), toDouble(b));
        }
        if (a instanceof String x && b instanceof String y) {
            return caseSensitive ? x.compareTo(y) : x.toLowerCase(Locale.ROOT).compareTo(y.toLowerCase(Locale.ROOT));
        }
        throw new TemplateError("cannot compare " + typeName(a) + " with " + typeName(b));
    }

    /** Whitespace as JavaScript's {@code trim} and regular expressions' {@code \s} know it. */
    static boolean isWhitespace(char c) {
        return switch (c) {
            case ' ', '\t', '\n', '\u000b', '\f', '\r', '\u00a0', '\u1680', '\u2028', '\u2029', '\u202f', '\u205f',
                 '\u3000', '\ufeff' -> true;
            default -> c >= '\u2000' && c <= '\u200a';
        };
    }

    static String trim(String s) {
        return trimEnd(trimStart(s));
    }

    static String trimStart(String s) {
        int i = 0;
        while (i < s.length() && isWhitespace(s.charAt(i))) {
            i++;
        }
        return s.substring(i);
    }

    static String trimEnd(String s) {
        int j = s.length();
        while (j > 0 && isWhitespace(s.charAt(j - 1))) {
            j--;
        }
        return s.substring(0, j);
    }

    /**
     * A caller's Java value as a template value: strings, booleans, numbers (integral types become
     * integers, others floats), maps (keys as strings), collections and arrays, {@link ChatMessage}s
     * and their tool calls, deep-copied so a render never changes the caller's data.
     *
     * @throws IllegalArgumentException for any other type, or data nested deeper than {@value MAX_DEPTH}
     */
    static Object fromJava(Object v) {
        return fromJava(v, 0);
    }

    private static Object fromJava(Object v, int depth) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("template context nested more than " + MAX_DEPTH + " levels deep (a cycle?)");
        }
        return switch (v) {
            case null -> null;
            case Undefined u -> u;
            case String s -> s;
            case Character c -> c.toString();
            case Boolean b -> b;
            case Long l -> l;
            case Integer i -> (long) i;
            case Short s -> (long) s;
            case Byte b -> (long) b;
            case Double d -> d;
            case Float f -> (double) f;
            case BigInteger b -> b.bitLength() < 64 ? (Object) b.longValue() : (Object) b.doubleValue();
            case BigDecimal b -> b.doubleValue();
            case Enum<?> e -> e.name();
            case ChatMessage m -> fromJava(messageMap(m), depth);
            case ChatMessage.ToolCall c -> fromJava(toolCallMap(c), depth);
            case Map<?, ?> m -> {
                LinkedHashMap<String, Object> copy = LinkedHashMap.newLinkedHashMap(m.size());
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    copy.put(String.valueOf(e.getKey()), fromJava(e.getValue(), depth + 1));
                }
                yield copy;
            }
            case Collection<?> c -> {
                ArrayList<Object> copy = new ArrayList<>(c.size());
                for (Iterator<?> it = c.iterator(); it.hasNext(); ) {
                    copy.add(fromJava(it.next(), depth + 1));
                }
                yield copy;
            }
            case Object[] array -> {
                ArrayList<Object> copy = new ArrayList<>(array.length);
                for (Object o : array) {
                    copy.add(fromJava(o, depth + 1));
                }
                yield copy;
            }
            default -> throw new IllegalArgumentException(
                    "a " + v.getClass().getName() + " cannot be passed to a chat template: use strings, numbers,"
                            + " booleans, maps, lists or ChatMessages");
        };
    }

    /**
     * A message as templates expect it: role, then name and tool_call_id when set, content, then
     * tool_calls when there are any, each {id, type: "function", function: {name, arguments}}.
     */
    static Map<String, Object> messageMap(ChatMessage m) {
        LinkedHashMap<String, Object> map = new LinkedHashMap<>();
        map.put("role", m.role());
        if (m.name() != null) {
            map.put("name", m.name());
        }
        if (m.toolCallId() != null) {
            map.put("tool_call_id", m.toolCallId());
        }
        map.put("content", m.content());
        if (!m.toolCalls().isEmpty()) {
            List<Object> calls = new ArrayList<>();
            for (ChatMessage.ToolCall c : m.toolCalls()) {
                calls.add(toolCallMap(c));
            }
            map.put("tool_calls", calls);
        }
        return map;
    }

    private static Map<String, Object> toolCallMap(ChatMessage.ToolCall c) {
        LinkedHashMap<String, Object> function = new LinkedHashMap<>();
        function.put("name", c.name());
        function.put("arguments", c.arguments());
        LinkedHashMap<String, Object> map = new LinkedHashMap<>();
        if (c.id() != null) {
            map.put("id", c.id());
        }
        map.put("type", "function");
        map.put("function", function);
        return map;
    }
}
