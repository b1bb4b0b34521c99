package dev.inferj;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Checks a JSON value (as {@link Json} reads it) against a JSON Schema, for the keywords the
 * structured-output tests use, written from the JSON Schema specification independently of the
 * grammar that produced the value. Returns null when valid, else what is wrong and where.
 */
final class SchemaValidator {
    private final Map<String, Object> root;

    private SchemaValidator(Map<String, Object> root) {
        this.root = root;
    }

    @SuppressWarnings("unchecked")
    static String check(Object value, Object schema) {
        return new SchemaValidator((Map<String, Object>) schema).check(value, schema, "$");
    }

    @SuppressWarnings("unchecked")
    private String check(Object v, Object schemaObject, String at) {
        if (schemaObject instanceof Boolean b) {
            return b ? null : at + ": false schema";
        }
        Map<String, Object> s = (Map<String, Object>) schemaObject;
        if (s.get("$ref") instanceof String ref) {
            String[] parts = ref.substring(2).split("/");
            return check(v, ((Map<String, Object>) root.get(parts[0])).get(parts[1]), at);
        }
        if (s.containsKey("const") && !jsonEquals(v, s.get("const"))) {
            return at + ": not the const " + s.get("const");
        }
        if (s.get("enum") instanceof List<?> options && options.stream().noneMatch(o -> jsonEquals(v, o))) {
            return at + ": not one of " + options;
        }
        if (s.get("anyOf") instanceof List<?> subs && subs.stream().allMatch(sub -> check(v, sub, at) != null)) {
            return at + ": matches none of anyOf";
        }
        if (s.get("oneOf") instanceof List<?> subs && subs.stream().filter(sub -> check(v, sub, at) == null).count() != 1) {
            return at + ": does not match exactly one of oneOf";
        }
        Object type = s.get("type");
        if (type != null) {
            List<?> types = type instanceof List<?> l ? l : List.of(type);
            if (types.stream().noneMatch(t -> isType(v, (String) t))) {
                return at + ": " + v + " is not of type " + type;
            }
        }
        if (v instanceof String str) {
            int length = str.codePointCount(0, str.length());
            if (s.get("minLength") instanceof Long min && length < min) {
                return at + ": shorter than " + min;
            }
            if (s.get("maxLength") instanceof Long max && length > max) {
                return at + ": longer than " + max;
            }
            if (s.get("pattern") instanceof String p && !Pattern.compile(p).matcher(str).find()) {
                return at + ": " + str + " does not match " + p;
            }
        }
        if (v instanceof Number n) {
            double d = n.doubleValue();
            if (s.get("minimum") instanceof Number m && d < m.doubleValue()
                    || s.get("maximum") instanceof Number m2 && d > m2.doubleValue()
                    || s.get("exclusiveMinimum") instanceof Number m3 && d <= m3.doubleValue()
                    || s.get("exclusiveMaximum") instanceof Number m4 && d >= m4.doubleValue()) {
                return at + ": " + n + " is out of bounds";
            }
        }
        if (v instanceof List<?> items) {
            if (s.get("minItems") instanceof Long min && items.size() < min) {
                return at + ": fewer than " + min + " items";
            }
            if (s.get("maxItems") instanceof Long max && items.size() > max) {
                return at + ": more than " + max + " items";
            }
            if (s.containsKey("items")) {
                for (int i = 0; i < items.size(); i++) {
                    String e = check(items.get(i), s.get("items"), at + "[" + i + "]");
                    if (e != null) {
                        return e;
                    }
                }
            }
        }
        if (v instanceof Map<?, ?> object) {
            if (s.get("required") instanceof List<?> required) {
                for (Object r : required) {
                    if (!object.containsKey(r)) {
                        return at + ": required property " + r + " is missing";
                    }
                }
            }
            if (s.get("properties") instanceof Map<?, ?> props) {
                for (Map.Entry<?, ?> e : object.entrySet()) {
                    if (props.containsKey(e.getKey())) {
                        String err = check(e.getValue(), props.get(e.getKey()), at + "." + e.getKey());
                        if (err != null) {
                            return err;
                        }
                    } else if (Boolean.FALSE.equals(s.get("additionalProperties"))) {
                        return at + ": property " + e.getKey() + " is not allowed";
                    }
                }
            }
        }
        return null;
    }

    private static boolean isType(Object v, String type) {
        return switch (type) {
            case "string" -> v instanceof String;
            case "integer" -> v instanceof Long || v instanceof Double d && d == Math.rint(d);
            case "number" -> v instanceof Number;
            case "boolean" -> v instanceof Boolean;
            case "null" -> v == null;
            case "object" -> v instanceof Map;
            case "array" -> v instanceof List;
            default -> false;
        };
    }

    private static boolean jsonEquals(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) {
            return x.doubleValue() == y.doubleValue();
        }
        return a == null ? b == null : a.equals(b);
    }
}
