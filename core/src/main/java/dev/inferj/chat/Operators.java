package dev.inferj.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Binary operators other than {@code and}/{@code or} (which the interpreter short-circuits).
 * Integers stay integers under {@code + - * // % **}; {@code /} always gives a float; {@code +}
 * with a string on either side concatenates, as in @huggingface/jinja; {@code ~} concatenates
 * anything; string and list repetition and string comparison work as in Python.
 */
final class Operators {
    private Operators() {
    }

    static Object binary(Interpreter in, String op, Object left, Object right) {
        return switch (op) {
            case "==" -> Values.equal(left, right);
            case "!=" -> !Values.equal(left, right);
            case "in" -> contains(right, left);
            case "not in" -> !contains(right, left);
            case "~" -> concat(in, Values.concat(left, in), Values.concat(right, in));
            case "+" -> add(in, left, right);
            case "<", ">", "<=", ">=" -> compare(op, left, right);
            default -> arithmetic(in, op, left, right);
        };
    }

    private static String concat(Interpreter in, String a, String b) {
        in.checkLength((long) a.length() + b.length());
        return in.produced(a.concat(b));
    }

    /** {@code item in container}: list membership, substring, dict key; nothing is in undefined. */
    static boolean contains(Object container, Object item) {
        return switch (container) {
            case Undefined u -> false;
            case List<?> list -> {
                for (Object x : list) {
                    if (Values.same(x, item)) {
                        yield true;
                    }
                }
                yield false;
            }
            case String s -> {
                if (!(item instanceof String sub)) {
                    throw new TemplateError("'in <string>' needs a string on the left, got " + Values.typeName(item));
                }
                yield s.contains(sub);
            }
            case Map<?, ?> map -> item instanceof String key && map.containsKey(key);
            case Namespace ns -> item instanceof String key && ns.attributes.containsKey(key);
            case null, default -> throw new TemplateError("cannot test membership in " + Values.typeName(container));
        };
    }

    private static TemplateError unsupported(String op, Object left, Object right) {
        return new TemplateError("cannot apply '" + op + "' to " + Values.typeName(left) + " and " + Values.typeName(right));
    }

    private static Object add(Interpreter in, Object left, Object right) {
        if (Values.isNoneOrUndefined(left) || Values.isNoneOrUndefined(right)) {
            throw unsupported("+", left, right);
        }
        if (left instanceof Long a && right instanceof Long b) {
            return Math.addExact(a, b);
        }
        if (Values.isNumber(left) && Values.isNumber(right)) {
            return ((Number) left).doubleValue() + ((Number) right).doubleValue();
        }
        if (left instanceof List<?> a && right instanceof List<?> b) {
            in.checkItems((long) a.size() + b.size());
            List<Object> joined = new ArrayList<>(a.size() + b.size());
            joined.addAll(a);
            joined.addAll(b);
            return joined;
        }
        if (left instanceof String || right instanceof String) {
            return concat(in, Values.concat(left, in), Values.concat(right, in));
        }
        throw unsupported("+", left, right);
    }

    private static Object compare(String op, Object left, Object right) {
        int c;
        if ((Values.isNumber(left) || left instanceof Boolean) && (Values.isNumber(right) || right instanceof Boolean)) {
            c = Values.compare(left, right, true);
        } else if (left instanceof String a && right instanceof String b) {
            c = a.compareTo(b);
        } else {
            throw unsupported(op, left, right);
        }
        return switch (op) {
            case "<" -> c < 0;
            case ">" -> c > 0;
            case "<=" -> c <= 0;
            default -> c >= 0;
        };
    }

    private static Object arithmetic(Interpreter in, String op, Object left, Object right) {
        if (op.equals("*")) {
            if (left instanceof String s && right instanceof Long n) {
                return repeat(in, s, n);
            }
            if (left instanceof Long n && right instanceof String s) {
                return repeat(in, s, n);
            }
            if (left instanceof List<?> list && right instanceof Long n) {
                return repeat(in, list, n);
            }
            if (left instanceof Long n && right instanceof List<?> list) {
                return repeat(in, list, n);
            }
        }
        if (!Values.isNumber(left) || !Values.isNumber(right)) {
            throw unsupported(op, left, right);
        }
        boolean integers = left instanceof Long && right instanceof Long;
        double a = ((Number) left).doubleValue();
        double b = ((Number) right).doubleValue();
        if ((op.equals("/") || op.equals("//") || op.equals("%")) && b == 0) {
            throw new TemplateError("division by zero");
        }
        return switch (op) {
            case "-" -> integers ? (Object) Math.subtractExact((Long) left, (Long) right) : (Object) (a - b);
            case "*" -> integers ? (Object) Math.multiplyExact((Long) left, (Long) right) : (Object) (a * b);
            case "/" -> a / b;
            case "//" -> integers ? (Object) Math.floorDiv((Long) left, (Long) right) : (Object) Math.floor(a / b);
            // The remainder takes the sign of the dividend, as in @huggingface/jinja (JavaScript's %).
            case "%" -> integers ? (Object) ((Long) left % (Long) right) : (Object) (a % b);
            case "**" -> power(left, right, integers, a, b);
            default -> throw new TemplateError("unknown operator '" + op + "'");
        };
    }

    private static Object power(Object left, Object right, boolean integers, double a, double b) {
        if (a == 0 && b < 0) {
            throw new TemplateError("0 cannot be raised to a negative power");
        }
        double result = Math.pow(a, b);
        if (!Double.isFinite(result)) {
            throw new TemplateError("power is not a finite number");
        }
        if (integers && b >= 0) {
            long base = (Long) left;
            long exponent = (Long) right;
            long r = 1;
            while (exponent > 0) {
                if ((exponent & 1) == 1) {
                    r = Math.multiplyExact(r, base);
                }
                exponent >>= 1;
                if (exponent > 0) {
                    base = Math.multiplyExact(base, base);
                }
            }
            return r;
        }
        return result;
    }

    private static String repeat(Interpreter in, String s, long n) {
        if (n <= 0 || s.isEmpty()) {
            return "";
        }
        in.checkLength(s.length() * Math.min(n, Interpreter.MAX_LENGTH + 1L));
        return in.produced(s.repeat((int) n));
    }

    private static List<Object> repeat(Interpreter in, List<?> list, long n) {
        List<Object> result = new ArrayList<>();
        if (n <= 0 || list.isEmpty()) {
            return result;
        }
        in.checkItems(list.size() * Math.min(n, Interpreter.MAX_ITEMS + 1L));
        for (long i = 0; i < n; i++) {
            result.addAll(list);
        }
        return result;
    }
}
