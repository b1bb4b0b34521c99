package dev.inferj.grammar;

import dev.inferj.GrammarException;
import dev.inferj.chat.JsonReader;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A JSON Schema as a GBNF grammar whose sentences are compact JSON documents (no whitespace) that
 * validate against it. Supported: {@code type} (one or a list), {@code properties} with
 * {@code required} (in the declared order, the optional ones free to appear or not),
 * {@code items} with {@code minItems}/{@code maxItems}, strings with {@code minLength}/
 * {@code maxLength}/{@code pattern} (a regular-expression subset), {@code enum}, {@code const},
 * integers and numbers with {@code minimum}/{@code maximum} (and the exclusive forms), booleans,
 * null, {@code anyOf}/{@code oneOf}, and {@code $ref} to local {@code $defs}/{@code definitions}.
 * Any other keyword that constrains a value is refused, never ignored.
 */
public final class JsonSchemaGrammar {
    /** Keywords that only annotate. */
    private static final Set<String> ANNOTATIONS = Set.of("$schema", "$id", "$comment", "title", "description",
            "examples", "default", "$defs", "definitions", "deprecated", "readOnly", "writeOnly");
    /** Integers without a bound in the schema stay within 15 digits. */
    private static final long LIMIT = 999_999_999_999_999L;
    /** One character of a string's value: plain, or escaped (no surrogate escapes: each unit is one code point). */
    private static final String CHAR = "[^\"\\\\\\x00-\\x1f] | \"\\\\\" ([\"\\\\/bfnrt] | \"u\" ([0-9a-cA-CeEfF] [0-9a-fA-F]{3} | [dD] [0-7] [0-9a-fA-F]{2}))";

    private final Map<String, Object> root;
    /** The helper rules, shared by the schemas of one {@link #toGbnfRules} call. */
    private final Map<String, String> rules;
    private final Map<String, String> refRules = new LinkedHashMap<>();
    private int anonymous;

    private JsonSchemaGrammar(Map<String, Object> root, Map<String, String> rules, int anonymous) {
        this.root = root;
        this.rules = rules;
        this.anonymous = anonymous;
    }

    /**
     * The GBNF text of {@code schemaJson}.
     *
     * @throws GrammarException when the schema is not JSON, or uses what cannot be honoured
     */
    public static String toGbnf(String schemaJson) {
        return toGbnfRules(List.of(schemaJson), List.of("root"));
    }

    /**
     * GBNF rules for several schemas in one grammar: rule {@code names.get(i)} accepts the documents schema
     * {@code i} accepts; the helper rules they need follow, named apart.
     *
     * @throws GrammarException when a schema is not JSON, or uses what cannot be honoured
     */
    public static String toGbnfRules(List<String> schemasJson, List<String> names) {
        Map<String, String> rules = new LinkedHashMap<>();
        StringBuilder out = new StringBuilder();
        int anonymous = 0;
        for (int i = 0; i < schemasJson.size(); i++) {
            Object schema;
            try {
                schema = JsonReader.parse(schemasJson.get(i));
            } catch (IllegalArgumentException e) {
                throw new GrammarException("JSON schema: " + e.getMessage());
            }
            Map<String, Object> top = schema instanceof Map<?, ?> m ? cast(m) : Map.of();
            JsonSchemaGrammar g = new JsonSchemaGrammar(top, rules, anonymous);
            out.append(names.get(i)).append(" ::= ").append(g.value(schema, names.get(i))).append('\n');
            anonymous = g.anonymous;
        }
        rules.forEach((name, rule) -> out.append(name).append(" ::= ").append(rule).append('\n'));
        return out.toString();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Map<?, ?> m) {
        return (Map<String, Object>) m;
    }

    /** A GBNF expression for the values {@code schema} accepts; {@code where} names it in errors. */
    private String value(Object schema, String where) {
        if (schema instanceof Boolean b) {
            if (!b) {
                throw new GrammarException("JSON schema at " + where + ": false accepts nothing");
            }
            return ref("value", CHAR_RULES);
        }
        if (!(schema instanceof Map<?, ?> raw)) {
            throw new GrammarException("JSON schema at " + where + ": a schema is an object or a boolean");
        }
        Map<String, Object> s = cast(raw);
        for (String key : s.keySet()) {
            if (key.equals("format") && NUMBER_FORMATS.contains(String.valueOf(s.get(key)))) {
                continue; // the width schema generators note on numbers (int32, double...): nothing to constrain
            }
            if (!ANNOTATIONS.contains(key) && !HANDLED.contains(key)) {
                throw new GrammarException("JSON schema at " + where + ": keyword " + key
                        + (key.equals("format") ? " " + s.get(key) : "") + " is not supported");
            }
        }
        Set<String> constraining = new java.util.TreeSet<>(s.keySet());
        constraining.removeAll(ANNOTATIONS);
        constraining.remove("format");
        if (s.containsKey("$ref")) {
            only(constraining, Set.of("$ref"), where);
            return definition(String.valueOf(s.get("$ref")), where);
        }
        if (s.containsKey("const") || s.containsKey("enum")) {
            only(constraining, Set.of("const", "enum", "type"), where);
            List<Object> values = s.containsKey("const") ? List.of(nullable(s.get("const"))) : list(s.get("enum"), where + "/enum");
            List<String> options = new ArrayList<>();
            for (Object v : values) {
                if (s.containsKey("const") && s.containsKey("enum") && !list(s.get("enum"), where).contains(v)) {
                    continue;
                }
                if (!s.containsKey("type") || typesOf(s.get("type")).stream().anyMatch(t -> hasType(v, t))) {
                    options.add(literal(json(v == NULL ? null : v)));
                }
            }
            if (options.isEmpty()) {
                throw new GrammarException("JSON schema at " + where + ": no value of enum/const has the schema's type");
            }
            return group(options);
        }
        for (String key : List.of("anyOf", "oneOf", "allOf")) {
            if (s.containsKey(key)) {
                only(constraining, Set.of(key), where);
                List<Object> subs = list(s.get(key), where + "/" + key);
                if (key.equals("allOf")) {
                    if (subs.size() != 1) {
                        throw new GrammarException("JSON schema at " + where + ": allOf with " + subs.size()
                                + " schemas is not supported");
                    }
                    return value(subs.get(0), where + "/allOf/0");
                }
                if (key.equals("oneOf")) {
                    requireDisjoint(subs, where);
                }
                List<String> options = new ArrayList<>();
                for (int i = 0; i < subs.size(); i++) {
                    options.add(value(subs.get(i), where + "/" + key + "/" + i));
                }
                return group(options);
            }
        }
        Object type = s.get("type");
        if (type instanceof List<?> types) {
            List<String> options = new ArrayList<>();
            for (Object t : types) {
                options.add(typed(String.valueOf(t), s, where));
            }
            return group(options);
        }
        if (type == null) {
            if (s.containsKey("properties") || s.containsKey("required")) {
                return typed("object", s, where);
            }
            if (s.containsKey("items") || s.containsKey("minItems") || s.containsKey("maxItems")) {
                return typed("array", s, where);
            }
            if (!constraining.isEmpty()) {
                throw new GrammarException("JSON schema at " + where + ": " + constraining
                        + " without a type is not supported: give the type");
            }
            return ref("value", CHAR_RULES);
        }
        return typed(String.valueOf(type), s, where);
    }

    /** A JSON null read from a schema, in a list that cannot hold null. */
    private static final Object NULL = new Object();

    private static Object nullable(Object v) {
        return v == null ? NULL : v;
    }

    private static void only(Set<String> present, Set<String> allowed, String where) {
        for (String key : present) {
            if (!allowed.contains(key)) {
                throw new GrammarException("JSON schema at " + where + ": keyword " + key + " together with "
                        + allowed + " is not supported");
            }
        }
    }

    private static List<String> typesOf(Object type) {
        return type instanceof List<?> l ? l.stream().map(String::valueOf).toList() : List.of(String.valueOf(type));
    }

    private static boolean hasType(Object v, String type) {
        return switch (type) {
            case "string" -> v instanceof String;
            case "integer" -> v instanceof Long;
            case "number" -> v instanceof Long || v instanceof Double;
            case "boolean" -> v instanceof Boolean;
            case "null" -> v == NULL || v == null;
            case "object" -> v instanceof Map;
            case "array" -> v instanceof List;
            default -> false;
        };
    }

    /**
     * oneOf needs exactly one branch to match: supported when the branches' JSON types cannot overlap
     * (each branch with a type, const or enum; integer counts as a number).
     */
    private static void requireDisjoint(List<Object> branches, String where) {
        List<Set<String>> kinds = new ArrayList<>();
        for (Object b : branches) {
            Set<String> k = new java.util.HashSet<>();
            if (b instanceof Map<?, ?> m && m.get("type") != null) {
                typesOf(m.get("type")).forEach(t -> k.add(t.equals("integer") ? "number" : t));
            } else if (b instanceof Map<?, ?> m && (m.containsKey("const") || m.containsKey("enum"))) {
                List<Object> values = m.containsKey("const") ? java.util.Collections.singletonList(m.get("const"))
                        : new ArrayList<>((List<?>) m.get("enum"));
                for (Object v : values) {
                    for (String t : List.of("string", "number", "boolean", "null", "object", "array")) {
                        if (hasType(v, t)) {
                            k.add(t);
                        }
                    }
                }
            } else {
                throw new GrammarException("JSON schema at " + where + ": oneOf is supported when each branch has a type,"
                        + " const or enum, so that no value can match two");
            }
            for (Set<String> other : kinds) {
                if (other.stream().anyMatch(k::contains)) {
                    throw new GrammarException("JSON schema at " + where + ": oneOf branches of the same type " + other
                            + " are not supported (a value could match two); use anyOf if that is meant");
                }
            }
            kinds.add(k);
        }
    }

    /** Formats of numbers that schema generators (OpenAPI, Jackson, Spring AI) write; they constrain nothing JSON can tell. */
    private static final Set<String> NUMBER_FORMATS = Set.of("int32", "int64", "float", "double");
    private static final Set<String> HANDLED = Set.of("type", "properties", "required", "items", "minItems", "maxItems",
            "minLength", "maxLength", "pattern", "enum", "const", "minimum", "maximum", "exclusiveMinimum",
            "exclusiveMaximum", "anyOf", "oneOf", "allOf", "$ref", "additionalProperties");

    private String typed(String type, Map<String, Object> s, String where) {
        return switch (type) {
            case "string" -> string(s, where);
            case "integer" -> integer(s, where);
            case "number" -> number(s, where);
            case "boolean" -> "(\"true\" | \"false\")";
            case "null" -> "\"null\"";
            case "object" -> object(s, where);
            case "array" -> array(s, where);
            default -> throw new GrammarException("JSON schema at " + where + ": unknown type " + type);
        };
    }

    private String string(Map<String, Object> s, String where) {
        if (s.containsKey("pattern")) {
            if (s.containsKey("minLength") || s.containsKey("maxLength")) {
                throw new GrammarException("JSON schema at " + where + ": pattern together with minLength/maxLength is not supported");
            }
            return "\"\\\"\" " + RegexGrammar.toGbnf(String.valueOf(s.get("pattern")), where) + " \"\\\"\"";
        }
        long min = count(s, "minLength", 0, where);
        long max = count(s, "maxLength", -1, where);
        String chars = ref("char", CHAR_RULES) + repeat(min, max, where);
        return "\"\\\"\" " + chars + " \"\\\"\"";
    }

    private String integer(Map<String, Object> s, String where) {
        long[] range = integerRange(s, where);
        return IntegerRanges.toGbnf(range[0], range[1]);
    }

    /** The integers in the schema's bounds, within +-{@link #LIMIT}. */
    private static long[] integerRange(Map<String, Object> s, String where) {
        BigDecimal lo = bound(s, "minimum", where);
        BigDecimal exLo = bound(s, "exclusiveMinimum", where);
        BigDecimal hi = bound(s, "maximum", where);
        BigDecimal exHi = bound(s, "exclusiveMaximum", where);
        long low = -LIMIT;
        long high = LIMIT;
        if (lo != null) {
            low = Math.max(low, ceil(lo, where));
        }
        if (exLo != null) { // the next whole number above it
            low = Math.max(low, ceil(exLo.setScale(0, java.math.RoundingMode.FLOOR).add(BigDecimal.ONE), where));
        }
        if (hi != null) {
            high = Math.min(high, floor(hi, where));
        }
        if (exHi != null) { // the whole number below it
            high = Math.min(high, floor(exHi.setScale(0, java.math.RoundingMode.CEILING).subtract(BigDecimal.ONE), where));
        }
        if (low > high) {
            throw new GrammarException("JSON schema at " + where + ": no integer lies within its bounds");
        }
        return new long[] {low, high};
    }

    private String number(Map<String, Object> s, String where) {
        boolean bounded = s.containsKey("minimum") || s.containsKey("maximum") || s.containsKey("exclusiveMinimum")
                || s.containsKey("exclusiveMaximum");
        if (!bounded) {
            return "(\"-\"? (\"0\" | [1-9] [0-9]{0,15}) (\".\" [0-9]{1,15})? ([eE] [-+]? [0-9]{1,3})?)";
        }
        // whole numbers in the bounds, and fractions after integer parts i with [i-1, i+1] inside them
        long[] range = integerRange(s, where);
        String whole = IntegerRanges.toGbnf(range[0], range[1]);
        if (range[1] - range[0] < 2) {
            return whole;
        }
        return "(" + whole + " | " + IntegerRanges.toGbnf(range[0] + 1, range[1] - 1) + " \".\" [0-9]{1,15})";
    }

    private String object(Map<String, Object> s, String where) {
        if (!s.containsKey("properties")) {
            if (s.get("required") instanceof List<?> names && !names.isEmpty()) {
                throw new GrammarException("JSON schema at " + where + ": required properties need their schemas in properties");
            }
            Object extra = s.get("additionalProperties");
            if (Boolean.FALSE.equals(extra)) {
                return "\"{\" \"}\"";
            }
            if (extra instanceof Map<?, ?>) {
                throw new GrammarException("JSON schema at " + where + ": additionalProperties with a schema is not supported");
            }
            return ref("object", CHAR_RULES);
        }
        if (!(s.get("properties") instanceof Map<?, ?> rawProps)) {
            throw new GrammarException("JSON schema at " + where + ": properties must be an object");
        }
        Map<String, Object> props = cast(rawProps);
        Object requiredList = s.getOrDefault("required", List.of());
        if (!(requiredList instanceof List<?> requiredNames)) {
            throw new GrammarException("JSON schema at " + where + ": required must be an array");
        }
        Set<Object> required = Set.copyOf(requiredNames);
        for (Object r : required) {
            if (!props.containsKey(String.valueOf(r))) {
                throw new GrammarException("JSON schema at " + where + ": required property " + r + " has no schema in properties");
            }
        }
        List<String> names = new ArrayList<>(props.keySet());
        List<String> members = new ArrayList<>();
        for (String name : names) {
            members.add(literal(json(name)) + " \":\" " + value(props.get(name), where + "/properties/" + name));
        }
        // rest(i, comma): properties i.. with a comma before the first one written when 'comma'
        String base = "obj" + (anonymous++);
        for (int i = names.size() - 1; i >= 0; i--) {
            for (int comma = 0; comma < 2; comma++) {
                String here = (comma == 1 ? "\",\" " : "") + members.get(i) + " " + rest(base, i + 1, 1, names.size());
                String body = required.contains(names.get(i)) ? here : here + " | " + rest(base, i + 1, comma, names.size());
                rules.put(base + "-" + i + "-" + comma, body);
            }
        }
        return "\"{\" " + rest(base, 0, 0, names.size()) + " \"}\"";
    }

    private static String rest(String base, int i, int comma, int n) {
        return i == n ? "\"\"" : base + "-" + i + "-" + comma;
    }

    private String array(Map<String, Object> s, String where) {
        String item = s.containsKey("items") ? value(s.get("items"), where + "/items") : ref("value", CHAR_RULES);
        long min = count(s, "minItems", 0, where);
        long max = count(s, "maxItems", -1, where);
        if (max >= 0 && max < min) {
            throw new GrammarException("JSON schema at " + where + ": maxItems " + max + " is below minItems " + min);
        }
        String name = "item" + (anonymous++);
        rules.put(name, item);
        if (max == 0) {
            return "\"[\" \"]\"";
        }
        String more = "(\",\" " + name + ")" + repeat(Math.max(0, min - 1), max < 0 ? -1 : max - 1, where);
        String items = name + " " + more;
        return "\"[\" " + (min == 0 ? "(" + items + ")?" : items) + " \"]\"";
    }

    private String definition(String ref, String where) {
        String name;
        if (ref.startsWith("#/$defs/")) {
            name = ref.substring("#/$defs/".length());
        } else if (ref.startsWith("#/definitions/")) {
            name = ref.substring("#/definitions/".length());
        } else {
            throw new GrammarException("JSON schema at " + where + ": only local $ref (#/$defs/NAME) is supported, not " + ref);
        }
        String rule = refRules.get(ref);
        if (rule != null) {
            return rule;
        }
        Object defs = root.get(ref.startsWith("#/$defs/") ? "$defs" : "definitions");
        if (!(defs instanceof Map<?, ?> m) || !m.containsKey(name)) {
            throw new GrammarException("JSON schema at " + where + ": $ref " + ref + " names no definition");
        }
        rule = "def-" + name.replaceAll("[^a-zA-Z0-9]", "-") + "-" + (anonymous++);
        refRules.put(ref, rule);
        rules.put(rule, ""); // taken, so that a recursive reference finds it
        rules.put(rule, value(m.get(name), ref));
        return rule;
    }

    /** Helper rules for generic JSON values, added once when used. */
    private static final Map<String, String> CHAR_RULES = Map.of(
            "char", CHAR,
            "string", "\"\\\"\" char* \"\\\"\"",
            "number", "\"-\"? (\"0\" | [1-9] [0-9]{0,15}) (\".\" [0-9]{1,15})? ([eE] [-+]? [0-9]{1,3})?",
            "object", "\"{\" (string \":\" value (\",\" string \":\" value)*)? \"}\"",
            "array", "\"[\" (value (\",\" value)*)? \"]\"",
            "value", "object | array | string | number | \"true\" | \"false\" | \"null\"");

    private String ref(String name, Map<String, String> library) {
        if (!rules.containsKey(name)) {
            rules.put(name, library.get(name));
            for (String dependency : List.of("char", "string", "number", "object", "array", "value")) {
                if (!dependency.equals(name) && library.get(name).matches(".*\\b" + dependency + "\\b.*")) {
                    ref(dependency, library);
                }
            }
        }
        return name;
    }

    private static String repeat(long min, long max, String where) {
        if (max >= 0 && max < min) {
            throw new GrammarException("JSON schema at " + where + ": a maximum count below the minimum");
        }
        return max < 0 ? (min == 0 ? "*" : "{" + min + ",}") : "{" + min + "," + max + "}";
    }

    private static long count(Map<String, Object> s, String key, long fallback, String where) {
        Object v = s.get(key);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Long n) || n < 0 || n > 10_000) {
            throw new GrammarException("JSON schema at " + where + ": " + key + " must be an integer in [0, 10000], was " + v);
        }
        return n;
    }

    private static BigDecimal bound(Map<String, Object> s, String key, String where) {
        Object v = s.get(key);
        if (v == null) {
            return null;
        }
        if (v instanceof Long l) {
            return BigDecimal.valueOf(l);
        }
        if (v instanceof Double d && Double.isFinite(d)) {
            return BigDecimal.valueOf(d);
        }
        throw new GrammarException("JSON schema at " + where + ": " + key + " must be a number, was " + v);
    }

    /** The lowest whole number at or above {@code v}, raised to -{@link #LIMIT} (a narrower range stays valid). */
    private static long ceil(BigDecimal v, String where) {
        BigDecimal c = v.setScale(0, java.math.RoundingMode.CEILING);
        if (c.compareTo(BigDecimal.valueOf(LIMIT)) > 0) {
            throw new GrammarException("JSON schema at " + where + ": a lower bound of " + v + " is beyond the 15-digit numbers supported");
        }
        return c.max(BigDecimal.valueOf(-LIMIT)).longValueExact();
    }

    /** The highest whole number at or below {@code v}, lowered to {@link #LIMIT}. */
    private static long floor(BigDecimal v, String where) {
        BigDecimal f = v.setScale(0, java.math.RoundingMode.FLOOR);
        if (f.compareTo(BigDecimal.valueOf(-LIMIT)) < 0) {
            throw new GrammarException("JSON schema at " + where + ": an upper bound of " + v + " is beyond the 15-digit numbers supported");
        }
        return f.min(BigDecimal.valueOf(LIMIT)).longValueExact();
    }

    private static List<Object> list(Object v, String where) {
        if (!(v instanceof List<?> l) || l.isEmpty()) {
            throw new GrammarException("JSON schema at " + where + ": expected a non-empty array");
        }
        return new ArrayList<>(l);
    }

    private static String group(List<String> options) {
        return options.size() == 1 ? options.get(0) : "(" + String.join(" | ", options) + ")";
    }

    /** A GBNF string literal of {@code text}. */
    static String literal(String text) {
        return quoted(text, "\\x%02x");
    }

    /**
     * {@code text} in double quotes: quotes, backslashes, newlines, returns and tabs escaped as JSON and
     * GBNF both write them, other control characters in {@code controlFormat}.
     */
    private static String quoted(String text, String controlFormat) {
        StringBuilder b = new StringBuilder("\"");
        text.codePoints().forEach(c -> {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format(controlFormat, c));
                    } else {
                        b.appendCodePoint(c);
                    }
                }
            }
        });
        return b.append('"').toString();
    }

    /** Compact JSON of a value read by {@link JsonReader}. */
    static String json(Object v) {
        return switch (v) {
            case null -> "null";
            case Boolean b -> b.toString();
            case Long l -> l.toString();
            case Double d -> BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
            case String s -> quoted(s, "\\u%04x");
            case List<?> l -> {
                List<String> items = new ArrayList<>();
                l.forEach(x -> items.add(json(x)));
                yield "[" + String.join(",", items) + "]";
            }
            case Map<?, ?> m -> {
                List<String> items = new ArrayList<>();
                m.forEach((k, x) -> items.add(json(String.valueOf(k)) + ":" + json(x)));
                yield "{" + String.join(",", items) + "}";
            }
            default -> throw new GrammarException("JSON schema: cannot write " + v + " as JSON");
        };
    }
}
