package dev.inferj.chat;

import java.time.LocalDateTime;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The global functions every template sees: {@code range}, {@code namespace}, {@code dict},
 * {@code raise_exception} and {@code strftime_now}.
 */
final class Builtins {
    private Builtins() {
    }

    /** A built-in function: a name for messages and what it does. */
    record Function(String name, Body body) implements TemplateFunction {
        @FunctionalInterface
        interface Body {
            Object call(Interpreter interpreter, Arguments arguments, Scope caller);
        }

        @Override
        public Object call(Interpreter interpreter, Arguments arguments, Scope caller) {
            return body.call(interpreter, arguments, caller);
        }

        @Override
        public String describe() {
            return "function '" + name + "'";
        }
    }

    /** The outermost scope; nothing writes to it (a template's top-level {@code set} goes to the scope below). */
    static final Scope GLOBALS = globals();

    private static Scope globals() {
        Scope g = new Scope(null);
        for (Function f : List.of(
                new Function("range", Builtins::range),
                new Function("namespace", Builtins::namespace),
                new Function("dict", Builtins::dict),
                new Function("raise_exception", Builtins::raiseException),
                new Function("strftime_now", (in, args, caller) -> {
                    Object format = args.get(0, "format");
                    if (!(format instanceof String s)) {
                        throw new TemplateError("strftime_now needs a format string, got " + Values.typeName(format));
                    }
                    return in.produced(strftime(in.now(), s));
                }))) {
            g.set(f.name(), f);
        }
        return g;
    }

    private static Object raiseException(Interpreter in, TemplateFunction.Arguments args, Scope caller) {
        Object message = args.get(0, "message");
        throw new TemplateError(Values.concat(message, in), -1, true);
    }

    private static long integerArgument(Object v, String what) {
        return switch (v) {
            case Long l -> l;
            case Boolean b -> b ? 1 : 0;
            case null, default -> throw new TemplateError(what + " must be an integer, got " + Values.typeName(v));
        };
    }

    private static Object range(Interpreter in, TemplateFunction.Arguments args, Scope caller) {
        List<Object> p = args.positional();
        if (p.isEmpty() || p.size() > 3) {
            throw new TemplateError("range expects 1 to 3 integer arguments, got " + p.size());
        }
        long start = 0;
        long stop;
        long step = 1;
        if (p.size() == 1) {
            stop = integerArgument(p.get(0), "range stop");
        } else {
            start = integerArgument(p.get(0), "range start");
            stop = integerArgument(p.get(1), "range stop");
            if (p.size() == 3) {
                step = integerArgument(p.get(2), "range step");
            }
        }
        if (step == 0) {
            throw new TemplateError("range step must not be zero");
        }
        // Exact arithmetic: an overflow is an "integer overflow" error, never a negative count.
        long count = step > 0 ? (stop > start ? Math.ceilDiv(Math.subtractExact(stop, start), step) : 0)
                : (start > stop ? Math.ceilDiv(Math.subtractExact(start, stop), Math.negateExact(step)) : 0);
        in.checkItems(count);
        List<Object> values = new ArrayList<>((int) count);
        for (long i = 0, v = start; i < count; i++, v += step) {
            values.add(v);
        }
        return values;
    }

    private static Object namespace(Interpreter in, TemplateFunction.Arguments args, Scope caller) {
        Namespace ns = new Namespace();
        List<Object> p = args.positional();
        if (p.size() > 1) {
            throw new TemplateError("namespace takes at most one positional argument, got " + p.size());
        }
        if (p.size() == 1) {
            copyPairs(p.getFirst(), ns.attributes, "namespace");
        }
        ns.attributes.putAll(args.keyword());
        return ns;
    }

    private static Object dict(Interpreter in, TemplateFunction.Arguments args, Scope caller) {
        LinkedHashMap<String, Object> map = new LinkedHashMap<>();
        List<Object> p = args.positional();
        if (p.size() > 1) {
            throw new TemplateError("dict takes at most one positional argument, got " + p.size());
        }
        if (p.size() == 1) {
            copyPairs(p.getFirst(), map, "dict");
        }
        map.putAll(args.keyword());
        return map;
    }

    /** A dict, or a list of [key, value] pairs, into {@code target}. */
    private static void copyPairs(Object source, Map<String, Object> target, String function) {
        switch (source) {
            case Map<?, ?> m -> m.forEach((k, v) -> target.put((String) k, v));
            case Namespace ns -> target.putAll(ns.attributes);
            case List<?> pairs -> {
                for (Object pair : pairs) {
                    if (!(pair instanceof List<?> kv) || kv.size() != 2 || !(kv.get(0) instanceof String key)) {
                        throw new TemplateError(function + " expects [key, value] pairs with string keys");
                    }
                    target.put(key, kv.get(1));
                }
            }
            case null, default -> throw new TemplateError(function + " expects a dict or a list of pairs, got " + Values.typeName(source));
        }
    }

    /**
     * Python's {@code strftime} for the directives templates use (English names): %a %A %b %B %d
     * %-d %e %H %-H %I %j %m %-m %M %p %S %y %Y %%; any other directive is left as written.
     */
    static String strftime(LocalDateTime t, String format) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 >= format.length()) {
                sb.append(c);
                continue;
            }
            char d = format.charAt(i + 1);
            boolean unpadded = d == '-' && i + 2 < format.length();
            if (unpadded) {
                d = format.charAt(i + 2);
            }
            String value = switch (d) {
                case 'a' -> t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
                case 'A' -> t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
                case 'b', 'h' -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
                case 'B' -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
                case 'd' -> pad(t.getDayOfMonth(), 2, unpadded);
                case 'e' -> String.format(Locale.ROOT, "%2d", t.getDayOfMonth());
                case 'H' -> pad(t.getHour(), 2, unpadded);
                case 'I' -> pad(t.getHour() % 12 == 0 ? 12 : t.getHour() % 12, 2, unpadded);
                case 'j' -> pad(t.getDayOfYear(), 3, unpadded);
                case 'm' -> pad(t.getMonthValue(), 2, unpadded);
                case 'M' -> pad(t.getMinute(), 2, unpadded);
                case 'p' -> t.getHour() < 12 ? "AM" : "PM";
                case 'S' -> pad(t.getSecond(), 2, unpadded);
                case 'y' -> pad(t.getYear() % 100, 2, unpadded);
                case 'Y' -> Integer.toString(t.getYear());
                case '%' -> unpadded ? null : "%";
                default -> null;
            };
            if (value == null) {
                sb.append(c);
                continue;
            }
            sb.append(value);
            i += unpadded ? 2 : 1;
        }
        return sb.toString();
    }

    private static String pad(int value, int width, boolean unpadded) {
        String s = Integer.toString(value);
        return unpadded || s.length() >= width ? s : "0".repeat(width - s.length()) + s;
    }
}
