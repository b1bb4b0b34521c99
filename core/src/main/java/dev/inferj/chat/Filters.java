package dev.inferj.chat;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The filters of {@code value | name(arguments)}: Jinja's built-ins that chat templates use —
 * tojson, string, length/count, list, first, last, reverse, sort, join, unique, upper, lower,
 * title, capitalize, trim, indent, replace, int, float, abs, round, default/d, items, dictsort,
 * selectattr, rejectattr, select, reject, map, batch, sum, min, max, format, escape/e, attr,
 * wordcount, center, safe, bool — plus {@code from_json}, which some templates expect for tool
 * call arguments given as JSON text.
 */
final class Filters {
    private Filters() {
    }

    static Object apply(Interpreter in, String name, Object value, TemplateFunction.Arguments args, Scope scope) {
        return switch (name) {
            case "safe" -> value;
            case "tojson" -> tojson(in, value, args);
            case "from_json" -> value instanceof String s ? JsonReader.read(s) : value;
            case "string" -> in.produced(value == null ? "None" : Values.render(value, in));
            case "length", "count" -> length(value, name);
            case "list" -> new ArrayList<>(switch (value) {
                case List<?> l -> l;
                case String _, Map<?, ?> _, Undefined _ -> in.iterationItems(value);
                case null, default -> throw wrongType(name, value);
            });
            case "first", "last" -> firstOrLast(value, name.equals("first"), name);
            case "reverse" -> switch (value) {
                case List<?> l -> {
                    List<Object> copy = new ArrayList<>(l);
                    Collections.reverse(copy);
                    yield copy;
                }
                case String s -> new StringBuilder(s).reverse().toString();
                case null, default -> throw wrongType(name, value);
            };
            case "sort" -> sort(list(value, name), args);
            case "join" -> join(in, value, args);
            case "unique" -> unique(list(value, name), args);
            case "upper" -> in.produced(string(in, value, name).toUpperCase(Locale.ROOT));
            case "lower" -> in.produced(string(in, value, name).toLowerCase(Locale.ROOT));
            case "title" -> Methods.title(string(in, value, name));
            case "capitalize" -> Methods.capitalize(string(in, value, name));
            case "trim" -> Methods.strip(string(in, value, name), args.get(0, "chars"), true, true);
            case "indent" -> indent(in, string(in, value, name), args);
            case "replace" -> {
                Object count = args.get(2, "count");
                yield Methods.replace(in, string(in, value, name), string(in, args.get(0, "old"), "replace"),
                        string(in, args.get(1, "new"), "replace"), count instanceof Long c ? c : -1);
            }
            case "int" -> toInteger(value, args.get(0, "default"));
            case "float" -> toFloat(value, args.get(0, "default"));
            case "abs" -> switch (value) {
                case Long l -> Math.absExact(l);
                case Double d -> Math.abs(d);
                case null, default -> throw wrongType(name, value);
            };
            case "round" -> round(value, args);
            case "default", "d" -> {
                Object fallback = args.get(0, "default_value");
                boolean ifFalsy = Values.isTruthy(args.get(1, "boolean"));
                yield Values.isUndefined(value) || (ifFalsy && !Values.isTruthy(value))
                        ? (Values.isUndefined(fallback) && args.positional().isEmpty() ? "" : fallback)
                        : value;
            }
            case "items" -> switch (value) {
                case Map<?, ?> m -> items(m);
                case Namespace ns -> items(ns.attributes);
                case Undefined u -> new ArrayList<>();
                case null, default -> throw wrongType(name, value);
            };
            case "dictsort" -> dictsort(value, args);
            case "selectattr", "rejectattr" -> selectAttribute(in, list(value, name), args, name.equals("selectattr"));
            case "select", "reject" -> select(in, list(value, name), args, name.equals("select"));
            case "map" -> map(in, list(value, name), args, scope);
            case "batch" -> batch(in, list(value, name), args);
            case "sum" -> sum(list(value, name), args);
            case "min", "max" -> minMax(list(value, name), args, name.equals("max"));
            case "format" -> in.produced(printf(in, string(in, value, name), args));
            case "escape", "e" -> escape(value == null ? "None" : Values.render(value, in));
            case "bool" -> Values.isTruthy(value);
            case "attr" -> Methods.attribute(value, string(in, args.get(0, "name"), name));
            case "wordcount" -> {
                Matcher m = WORD.matcher(string(in, value, name));
                long count = 0;
                while (m.find()) {
                    count++;
                }
                yield count;
            }
            case "center" -> {
                String s = string(in, value, name);
                long width = args.get(0, "width") instanceof Long w ? w : 80;
                in.checkLength(width);
                if (s.length() >= width) {
                    yield s;
                }
                int total = (int) width - s.length();
                int left = total / 2 + (total & (int) width & 1);
                yield " ".repeat(left) + s + " ".repeat(total - left);
            }
            default -> throw new TemplateError("unknown filter '" + name + "'");
        };
    }

    private static final Pattern WORD = Pattern.compile("\\w+", Pattern.UNICODE_CHARACTER_CLASS);

    private static TemplateError wrongType(String filter, Object value) {
        return new TemplateError("filter '" + filter + "' cannot be applied to " + Values.typeName(value));
    }

    /** A string operand; numbers and booleans as they print, undefined as empty. */
    private static String string(Interpreter in, Object value, String filter) {
        return switch (value) {
            case String s -> s;
            case Undefined u -> "";
            case Long l -> Values.render(l, in);
            case Double d -> Values.render(d, in);
            case Boolean b -> Values.render(b, in);
            case null, default -> throw wrongType(filter, value);
        };
    }

    private static List<?> list(Object value, String filter) {
        return switch (value) {
            case List<?> l -> l;
            case Undefined u -> List.of();
            case null, default -> throw wrongType(filter, value);
        };
    }

    private static Object length(Object value, String filter) {
        return switch (value) {
            case String s -> (long) s.length();
            case List<?> l -> (long) l.size();
            case Map<?, ?> m -> (long) m.size();
            case Namespace ns -> (long) ns.attributes.size();
            case Undefined u -> 0L;
            case null, default -> throw wrongType(filter, value);
        };
    }

    private static Object firstOrLast(Object value, boolean first, String filter) {
        return switch (value) {
            case List<?> l -> l.isEmpty() ? Undefined.INSTANCE : l.get(first ? 0 : l.size() - 1);
            case String s -> {
                if (s.isEmpty()) {
                    yield Undefined.INSTANCE;
                }
                int cp = first ? s.codePointAt(0) : s.codePointBefore(s.length());
                yield Character.toString(cp);
            }
            case Undefined u -> Undefined.INSTANCE;
            case null, default -> throw wrongType(filter, value);
        };
    }

    static List<Object> items(Map<?, ?> m) {
        List<Object> pairs = new ArrayList<>(m.size());
        for (Map.Entry<?, ?> e : m.entrySet()) {
            List<Object> pair = new ArrayList<>(2);
            pair.add(e.getKey());
            pair.add(e.getValue());
            pairs.add(pair);
        }
        return pairs;
    }

    /** The value at a dotted path ("function.name", "items.0") inside dicts, namespaces and lists. */
    static Object attributePath(Object item, Object path) {
        String p = switch (path) {
            case String s -> s;
            case Long l -> l.toString();
            case null, default -> throw new TemplateError("attribute must be a string, got " + Values.typeName(path));
        };
        Object value = item;
        for (String part : p.split("\\.", -1)) {
            value = switch (value) {
                case Map<?, ?> m -> m.containsKey(part) ? m.get(part) : Undefined.INSTANCE;
                case Namespace ns -> ns.attributes.containsKey(part) ? ns.attributes.get(part) : Undefined.INSTANCE;
                case List<?> l -> {
                    try {
                        int i = Integer.parseInt(part);
                        yield i >= 0 && i < l.size() ? l.get(i) : Undefined.INSTANCE;
                    } catch (NumberFormatException e) {
                        yield Undefined.INSTANCE;
                    }
                }
                case null, default -> Undefined.INSTANCE;
            };
            if (Values.isUndefined(value)) {
                return value;
            }
        }
        return value;
    }

    private static Object tojson(Interpreter in, Object value, TemplateFunction.Arguments args) {
        Object indent = args.get(0, "indent");
        if (!(indent instanceof Long) && !Values.isNoneOrUndefined(indent)) {
            throw new TemplateError("tojson indent must be an integer, got " + Values.typeName(indent));
        }
        Object separators = args.keyword().getOrDefault("separators", null);
        String itemSeparator = null;
        String keySeparator = null;
        if (separators != null && !Values.isUndefined(separators)) {
            if (!(separators instanceof List<?> pair) || pair.size() != 2 || !(pair.get(0) instanceof String a)
                    || !(pair.get(1) instanceof String b)) {
                throw new TemplateError("tojson separators must be a pair of strings");
            }
            itemSeparator = a;
            keySeparator = b;
        }
        int width = indent instanceof Long l ? (int) Math.min(l, 64) : 0;
        return in.produced(new JsonWriter(width, itemSeparator, keySeparator,
                Values.isTruthy(args.keyword().get("sort_keys")), Values.isTruthy(args.keyword().get("ensure_ascii")),
                true, in).write(value));
    }

    private static Object sort(List<?> list, TemplateFunction.Arguments args) {
        boolean reverse = Values.isTruthy(args.get(0, "reverse"));
        boolean caseSensitive = Values.isTruthy(args.get(1, "case_sensitive"));
        Object attribute = args.get(2, "attribute");
        List<Object> sorted = new ArrayList<>(list);
        Comparator<Object> order = (a, b) -> {
            Object x = Values.isNoneOrUndefined(attribute) ? a : attributePath(a, attribute);
            Object y = Values.isNoneOrUndefined(attribute) ? b : attributePath(b, attribute);
            return Values.compare(x, y, caseSensitive);
        };
        sorted.sort(reverse ? order.reversed() : order);
        return sorted;
    }

    private static Object join(Interpreter in, Object value, TemplateFunction.Arguments args) {
        Object sep = args.get(0, "d");
        String separator = Values.isUndefined(sep) ? "" : string(in, sep, "join");
        Object attribute = args.get(1, "attribute");
        List<?> items = switch (value) {
            case List<?> l -> l;
            case String s -> in.iterationItems(s);
            case Undefined u -> List.of();
            case null, default -> throw wrongType("join", value);
        };
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) {
                sb.append(separator);
            }
            Object item = Values.isNoneOrUndefined(attribute) ? items.get(i) : attributePath(items.get(i), attribute);
            // As JavaScript's Array.join: none and undefined items are empty.
            if (!Values.isNoneOrUndefined(item)) {
                sb.append(Values.concat(item, in));
            }
            in.checkLength(sb.length());
        }
        return in.produced(sb.toString());
    }

    private static Object unique(List<?> list, TemplateFunction.Arguments args) {
        Object attribute = args.get(1, "attribute");
        List<Object> kept = new ArrayList<>();
        List<Object> keys = new ArrayList<>();
        for (Object item : list) {
            Object key = Values.isNoneOrUndefined(attribute) ? item : attributePath(item, attribute);
            boolean seen = false;
            for (Object k : keys) {
                if (Values.same(k, key)) {
                    seen = true;
                    break;
                }
            }
            if (!seen) {
                keys.add(key);
                kept.add(item);
            }
        }
        return kept;
    }

    private static String indent(Interpreter in, String s, TemplateFunction.Arguments args) {
        Object width = args.get(0, "width");
        String pad = switch (width) {
            case Undefined u -> "    ";
            case Long l -> {
                in.checkLength(l);
                yield " ".repeat((int) Math.max(0, l));
            }
            case String p -> p;
            case null, default -> throw new TemplateError("indent width must be an integer or a string, got " + Values.typeName(width));
        };
        boolean first = Values.isTruthy(args.get(1, "first"));
        boolean blank = Values.isTruthy(args.get(2, "blank"));
        String[] lines = s.split("\n", -1);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines.length; i++) {
            if (i > 0) {
                sb.append('\n');
            }
            if ((i > 0 || first) && (blank || !lines[i].isEmpty())) {
                sb.append(pad);
            }
            sb.append(lines[i]);
            in.checkLength(sb.length());
        }
        return in.produced(sb.toString());
    }

    private static final Pattern INTEGER_PREFIX = Pattern.compile("^[+-]?[0-9]+");
    private static final Pattern FLOAT_PREFIX =
            Pattern.compile("^[+-]?(Infinity|([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?)");

    /** {@code int}: a string's leading integer (as JavaScript's parseInt), a float truncated, else the default. */
    private static Object toInteger(Object value, Object fallback) {
        Object otherwise = Values.isUndefined(fallback) ? (Object) 0L : fallback;
        return switch (value) {
            case Long l -> l;
            case Double d -> Double.isFinite(d) ? (Object) (long) (double) d : otherwise;
            case Boolean b -> b ? 1L : 0L;
            case String s -> {
                Matcher m = INTEGER_PREFIX.matcher(Values.trimStart(s));
                if (!m.find()) {
                    yield otherwise;
                }
                try {
                    yield Long.parseLong(m.group());
                } catch (NumberFormatException e) {
                    yield otherwise;
                }
            }
            case null, default -> otherwise;
        };
    }

    /** {@code float}: a string's leading number (as JavaScript's parseFloat), else the default. */
    private static Object toFloat(Object value, Object fallback) {
        Object otherwise = Values.isUndefined(fallback) ? (Object) 0.0 : fallback;
        return switch (value) {
            case Long l -> (double) l;
            case Double d -> d;
            case Boolean b -> b ? 1.0 : 0.0;
            case String s -> {
                Matcher m = FLOAT_PREFIX.matcher(Values.trimStart(s));
                if (!m.find()) {
                    yield otherwise;
                }
                String number = m.group();
                yield number.endsWith("Infinity") ? (number.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY)
                        : Double.parseDouble(number);
            }
            case null, default -> otherwise;
        };
    }

    private static Object round(Object value, TemplateFunction.Arguments args) {
        if (!Values.isNumber(value)) {
            throw wrongType("round", value);
        }
        double d = ((Number) value).doubleValue();
        if (!Double.isFinite(d)) {
            return d;
        }
        Object precision = args.get(0, "precision");
        int digits = precision instanceof Long p ? (int) Math.max(-20, Math.min(20, p)) : 0;
        Object method = args.get(1, "method");
        RoundingMode mode = switch (Values.isUndefined(method) ? "common" : String.valueOf(method)) {
            case "common" -> RoundingMode.HALF_EVEN; // Python's round(), on the exact binary value
            case "ceil" -> RoundingMode.CEILING;
            case "floor" -> RoundingMode.FLOOR;
            default -> throw new TemplateError("round method must be 'common', 'ceil' or 'floor'");
        };
        return new BigDecimal(d).setScale(digits, mode).doubleValue();
    }

    private static Object dictsort(Object value, TemplateFunction.Arguments args) {
        Map<?, ?> map = switch (value) {
            case Map<?, ?> m -> m;
            case Namespace ns -> ns.attributes;
            case null, default -> throw wrongType("dictsort", value);
        };
        boolean caseSensitive = Values.isTruthy(args.get(0, "case_sensitive"));
        Object by = args.get(1, "by");
        int index = switch (Values.isUndefined(by) ? "key" : String.valueOf(by)) {
            case "key" -> 0;
            case "value" -> 1;
            default -> throw new TemplateError("dictsort 'by' must be 'key' or 'value'");
        };
        boolean reverse = Values.isTruthy(args.get(2, "reverse"));
        List<Object> pairs = items(map);
        Comparator<Object> order = (a, b) -> Values.compare(((List<?>) a).get(index), ((List<?>) b).get(index), caseSensitive);
        pairs.sort(reverse ? order.reversed() : order);
        return pairs;
    }

    private static boolean passes(Interpreter in, Object value, List<Object> testAndArguments, int testIndex) {
        if (testAndArguments.size() <= testIndex) {
            return Values.isTruthy(value);
        }
        Object test = testAndArguments.get(testIndex);
        if (!(test instanceof String name)) {
            throw new TemplateError("test name must be a string, got " + Values.typeName(test));
        }
        List<Object> rest = testAndArguments.subList(testIndex + 1, testAndArguments.size());
        return Tests.apply(in, name, value, new TemplateFunction.Arguments(rest, Map.of()));
    }

    private static Object selectAttribute(Interpreter in, List<?> list, TemplateFunction.Arguments args, boolean select) {
        List<Object> p = args.positional();
        if (p.isEmpty()) {
            throw new TemplateError((select ? "selectattr" : "rejectattr") + " needs an attribute name");
        }
        List<Object> kept = new ArrayList<>();
        for (Object item : list) {
            if (passes(in, attributePath(item, p.getFirst()), p, 1) == select) {
                kept.add(item);
            }
        }
        return kept;
    }

    private static Object select(Interpreter in, List<?> list, TemplateFunction.Arguments args, boolean select) {
        List<Object> kept = new ArrayList<>();
        for (Object item : list) {
            if (passes(in, item, args.positional(), 0) == select) {
                kept.add(item);
            }
        }
        return kept;
    }

    private static Object map(Interpreter in, List<?> list, TemplateFunction.Arguments args, Scope scope) {
        List<Object> mapped = new ArrayList<>(list.size());
        if (args.keyword().containsKey("attribute")) {
            Object attribute = args.keyword().get("attribute");
            boolean hasDefault = args.keyword().containsKey("default");
            for (Object item : list) {
                Object v = attributePath(item, attribute);
                mapped.add(Values.isUndefined(v) && hasDefault ? args.keyword().get("default") : v);
            }
            return mapped;
        }
        if (args.positional().isEmpty() || !(args.positional().getFirst() instanceof String filter)) {
            throw new TemplateError("map needs attribute=... or a filter name");
        }
        TemplateFunction.Arguments rest = new TemplateFunction.Arguments(
                args.positional().subList(1, args.positional().size()), args.keyword());
        for (Object item : list) {
            mapped.add(apply(in, filter, item, rest, scope));
        }
        return mapped;
    }

    private static Object batch(Interpreter in, List<?> list, TemplateFunction.Arguments args) {
        Object size = args.get(0, "linecount");
        if (!(size instanceof Long n) || n <= 0) {
            throw new TemplateError("batch size must be a positive integer, got " + Values.typeName(size));
        }
        boolean fill = args.positional().size() > 1 || args.keyword().containsKey("fill_with");
        Object filler = args.get(1, "fill_with");
        List<Object> batches = new ArrayList<>();
        List<Object> current = new ArrayList<>();
        for (Object item : list) {
            current.add(item);
            if (current.size() == n) {
                batches.add(current);
                current = new ArrayList<>();
            }
        }
        if (!current.isEmpty()) {
            if (fill) {
                in.checkItems(n);
                while (current.size() < n) {
                    current.add(filler);
                }
            }
            batches.add(current);
        }
        return batches;
    }

    private static Object sum(List<?> list, TemplateFunction.Arguments args) {
        Object attribute = args.get(0, "attribute");
        Object total = args.get(1, "start");
        if (Values.isUndefined(total)) {
            total = 0L;
        }
        for (Object item : list) {
            Object v = Values.isNoneOrUndefined(attribute) ? item : attributePath(item, attribute);
            if (!Values.isNumber(v) || !Values.isNumber(total)) {
                throw new TemplateError("sum needs numbers, got " + Values.typeName(v));
            }
            total = total instanceof Long a && v instanceof Long b ? (Object) Math.addExact(a, b)
                    : (Object) (((Number) total).doubleValue() + ((Number) v).doubleValue());
        }
        return total;
    }

    private static Object minMax(List<?> list, TemplateFunction.Arguments args, boolean max) {
        boolean caseSensitive = Values.isTruthy(args.get(0, "case_sensitive"));
        Object attribute = args.get(1, "attribute");
        Object best = Undefined.INSTANCE;
        Object bestKey = null;
        for (Object item : list) {
            Object key = Values.isNoneOrUndefined(attribute) ? item : attributePath(item, attribute);
            if (Values.isUndefined(best)) {
                best = item;
                bestKey = key;
                continue;
            }
            int c = Values.compare(key, bestKey, caseSensitive);
            if (max ? c > 0 : c < 0) {
                best = item;
                bestKey = key;
            }
        }
        return best;
    }

    /** Python's {@code %} formatting as the {@code format} filter uses it: %s %r %d %i %f %x %%. */
    private static String printf(Interpreter in, String format, TemplateFunction.Arguments args) {
        StringBuilder sb = new StringBuilder();
        int next = 0;
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 >= format.length()) {
                sb.append(c);
                continue;
            }
            char d = format.charAt(++i);
            if (d == '%') {
                sb.append('%');
                continue;
            }
            Object v = args.positional(next++);
            switch (d) {
                case 's', 'r' -> sb.append(v == null ? "None" : Values.render(v, in));
                case 'd', 'i' -> sb.append(toInteger(v, 0L));
                case 'f' -> sb.append(String.format(Locale.ROOT, "%f", ((Number) toFloat(v, 0.0)).doubleValue()));
                case 'x' -> sb.append(Long.toHexString((Long) toInteger(v, 0L)));
                default -> throw new TemplateError("unsupported format directive %" + d);
            }
            in.checkLength(sb.length());
        }
        return sb.toString();
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&#34;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }
}
