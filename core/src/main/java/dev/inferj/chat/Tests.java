package dev.inferj.chat;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The tests of {@code x is name} and of {@code select}/{@code selectattr}: defined, undefined,
 * none, boolean, true, false, string, number, integer, float, iterable, mapping, sequence,
 * callable, odd, even, divisibleby, lower, upper, equalto/eq/==, ne/!=, gt/&gt;, ge/&gt;=,
 * lt/&lt;, le/&lt;=, in, sameas.
 */
final class Tests {
    private Tests() {
    }

    static boolean apply(Interpreter in, String name, Object value, TemplateFunction.Arguments args) {
        Object other = args.positional(0);
        return switch (name) {
            case "defined" -> !Values.isUndefined(value);
            case "undefined" -> Values.isUndefined(value);
            case "none" -> value == null;
            case "boolean" -> value instanceof Boolean;
            case "true" -> Boolean.TRUE.equals(value);
            case "false" -> Boolean.FALSE.equals(value);
            case "string" -> value instanceof String;
            case "number" -> Values.isNumber(value);
            case "integer" -> value instanceof Long;
            case "float" -> value instanceof Double;
            // As @huggingface/jinja: lists and strings; a dict is a mapping but not "iterable".
            case "iterable" -> value instanceof List<?> || value instanceof String;
            case "mapping" -> value instanceof Map<?, ?>;
            case "sequence" -> value instanceof List<?> || value instanceof Map<?, ?> || value instanceof String;
            case "callable" -> value instanceof TemplateFunction;
            case "odd" -> integer(value, name) % 2 != 0;
            case "even" -> integer(value, name) % 2 == 0;
            case "divisibleby" -> {
                long d = integer(other, "divisibleby argument");
                if (d == 0) {
                    throw new TemplateError("division by zero");
                }
                yield integer(value, name) % d == 0;
            }
            case "lower" -> value instanceof String s && s.equals(s.toLowerCase(Locale.ROOT));
            case "upper" -> value instanceof String s && s.equals(s.toUpperCase(Locale.ROOT));
            case "equalto", "eq", "==" -> Values.same(value, other);
            case "ne", "!=" -> !Values.same(value, other);
            case "gt", ">", "greaterthan" -> (Boolean) Operators.binary(in, ">", value, other);
            case "ge", ">=" -> (Boolean) Operators.binary(in, ">=", value, other);
            case "lt", "<", "lessthan" -> (Boolean) Operators.binary(in, "<", value, other);
            case "le", "<=" -> (Boolean) Operators.binary(in, "<=", value, other);
            case "in" -> Operators.contains(other, value);
            case "sameas" -> value == other || (value != null && !(value instanceof List<?>) && !(value instanceof Map<?, ?>)
                    && value.getClass() == (other == null ? null : other.getClass()) && value.equals(other));
            case "escaped" -> false;
            default -> throw new TemplateError("unknown test '" + name + "'");
        };
    }

    private static long integer(Object v, String what) {
        if (v instanceof Long l) {
            return l;
        }
        throw new TemplateError(what + " needs an integer, got " + Values.typeName(v));
    }
}
