package dev.inferj.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Attribute and subscript access ({@code message.role}, {@code messages[0]}, {@code text.split})
 * and the Python methods of strings, dicts and lists that templates call. A missing attribute or
 * an index out of range is undefined, never an error.
 */
final class Methods {
    private Methods() {
    }

    private static final Set<String> STRING_METHODS = Set.of("upper", "lower", "strip", "lstrip", "rstrip", "title",
            "capitalize", "startswith", "endswith", "split", "rsplit", "splitlines", "replace", "find", "rfind", "index",
            "count", "format", "join", "isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower");
    private static final Set<String> DICT_METHODS = Set.of("get", "items", "keys", "values", "dictsort");
    private static final Set<String> LIST_METHODS = Set.of("append", "pop", "index", "count");

    /** A method of a value, bound to it: {@code text.split} before the call. */
    record BoundMethod(Object self, String name) implements TemplateFunction {
        @Override
        public Object call(Interpreter interpreter, Arguments arguments, Scope caller) {
            return switch (self) {
                case String s -> stringMethod(interpreter, s, name, arguments);
                case Map<?, ?> m -> dictMethod(interpreter, m, name, arguments, caller);
                case List<?> l -> {
                    try {
                        yield listMethod(interpreter, l, name, arguments);
                    } catch (UnsupportedOperationException e) {
                        throw new TemplateError("this list cannot be changed");
                    }
                }
                default -> throw new IllegalStateException();
            };
        }

        @Override
        public String describe() {
            return "method '" + name + "' of " + Values.typeName(self);
        }
    }

    static Object attribute(Object object, String name) {
        return switch (object) {
            case Map<?, ?> m -> {
                Object value = m.get(name);
                if (value != null || m.containsKey(name)) {
                    yield value;
                }
                yield DICT_METHODS.contains(name) ? new BoundMethod(m, name) : Undefined.INSTANCE;
            }
            case Namespace ns -> ns.attributes.containsKey(name) ? ns.attributes.get(name) : Undefined.INSTANCE;
            case String s -> name.equals("length") ? (Object) (long) s.length()
                    : STRING_METHODS.contains(name) ? new BoundMethod(s, name) : Undefined.INSTANCE;
            case List<?> l -> name.equals("length") ? (Object) (long) l.size()
                    : LIST_METHODS.contains(name) ? new BoundMethod(l, name) : Undefined.INSTANCE;
            case null, default -> Undefined.INSTANCE;
        };
    }

    static Object item(Object object, Object key) {
        if (key instanceof String name) {
            return attribute(object, name);
        }
        if (key instanceof Long || key instanceof Boolean) {
            long index = key instanceof Long l ? l : ((Boolean) key ? 1 : 0);
            switch (object) {
                case List<?> list -> {
                    long i = index < 0 ? index + list.size() : index;
                    return i >= 0 && i < list.size() ? list.get((int) i) : Undefined.INSTANCE;
                }
                case String s -> {
                    long i = index < 0 ? index + s.length() : index;
                    return i >= 0 && i < s.length() ? String.valueOf(s.charAt((int) i)) : Undefined.INSTANCE;
                }
                case null, default -> {
                    return Undefined.INSTANCE;
                }
            }
        }
        if (Values.isNoneOrUndefined(key) || Values.isNoneOrUndefined(object) || object instanceof Map<?, ?>) {
            return Undefined.INSTANCE;
        }
        throw new TemplateError("cannot index " + Values.typeName(object) + " with " + Values.typeName(key));
    }

    // ---- strings

    private static String stringArgument(Object v, String what) {
        if (v instanceof String s) {
            return s;
        }
        throw new TemplateError(what + " must be a string, got " + Values.typeName(v));
    }

    private static long integerArgument(Object v, long missing, String what) {
        return switch (v) {
            case Undefined u -> missing;
            case null -> missing;
            case Long l -> l;
            default -> throw new TemplateError(what + " must be an integer, got " + Values.typeName(v));
        };
    }

    private static Object stringMethod(Interpreter in, String s, String name, TemplateFunction.Arguments args) {
        return switch (name) {
            case "upper" -> in.produced(s.toUpperCase(Locale.ROOT));
            case "lower" -> in.produced(s.toLowerCase(Locale.ROOT));
            case "strip" -> strip(s, args.get(0, "chars"), true, true);
            case "lstrip" -> strip(s, args.get(0, "chars"), true, false);
            case "rstrip" -> strip(s, args.get(0, "chars"), false, true);
            case "title" -> in.produced(title(s));
            case "capitalize" -> in.produced(capitalize(s));
            case "startswith", "endswith" -> {
                Object affix = args.get(0, name.equals("startswith") ? "prefix" : "suffix");
                List<?> options = affix instanceof List<?> l ? l : List.of(stringArgument(affix, name + " argument"));
                boolean found = false;
                for (Object o : options) {
                    String a = stringArgument(o, name + " argument");
                    found |= name.equals("startswith") ? s.startsWith(a) : s.endsWith(a);
                }
                yield found;
            }
            case "split" -> split(s, args.get(0, "sep"), integerArgument(args.get(1, "maxsplit"), -1, "maxsplit"), false);
            case "rsplit" -> split(s, args.get(0, "sep"), integerArgument(args.get(1, "maxsplit"), -1, "maxsplit"), true);
            case "splitlines" -> {
                List<Object> lines = new ArrayList<>();
                for (String line : s.split("\r\n|[\n\r\u000b\f\u001c\u001d\u001e\u0085\u2028\u2029]", -1)) {
                    lines.add(line);
                }
                if (!lines.isEmpty() && ((String) lines.getLast()).isEmpty()) {
                    lines.removeLast();
                }
                yield lines;
            }
            case "replace" -> replace(in, s, stringArgument(args.get(0, "old"), "replace old"),
                    stringArgument(args.get(1, "new"), "replace new"), integerArgument(args.get(2, "count"), -1, "count"));
            case "find" -> (long) s.indexOf(stringArgument(args.get(0, "sub"), "find argument"));
            case "rfind" -> (long) s.lastIndexOf(stringArgument(args.get(0, "sub"), "rfind argument"));
            case "index" -> {
                int i = s.indexOf(stringArgument(args.get(0, "sub"), "index argument"));
                if (i < 0) {
                    throw new TemplateError("substring not found");
                }
                yield (long) i;
            }
            case "count" -> {
                String sub = stringArgument(args.get(0, "sub"), "count argument");
                if (sub.isEmpty()) {
                    yield (long) s.codePointCount(0, s.length()) + 1;
                }
                long count = 0;
                for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) {
                    count++;
                }
                yield count;
            }
            case "format" -> in.produced(format(in, s, args));
            case "join" -> {
                Object items = args.get(0, "iterable");
                StringBuilder sb = new StringBuilder();
                boolean first = true;
                for (Object item : in.iterationItems(items)) {
                    if (!first) {
                        sb.append(s);
                    }
                    first = false;
                    sb.append(Values.render(item, in));
                    in.checkLength(sb.length());
                }
                yield in.produced(sb.toString());
            }
            case "isdigit" -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isalpha" -> !s.isEmpty() && s.chars().allMatch(Character::isLetter);
            case "isalnum" -> !s.isEmpty() && s.chars().allMatch(Character::isLetterOrDigit);
            case "isspace" -> !s.isEmpty() && s.chars().allMatch(c -> Values.isWhitespace((char) c));
            case "isupper" -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toUpperCase(Locale.ROOT));
            case "islower" -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toLowerCase(Locale.ROOT));
            default -> throw new IllegalStateException(name);
        };
    }

    /** Python's strip: whitespace when {@code chars} is none/undefined, else any of {@code chars}. */
    static String strip(String s, Object chars, boolean left, boolean right) {
        String set = Values.isNoneOrUndefined(chars) ? null : stringArgument(chars, "strip characters");
        int i = 0;
        int j = s.length();
        if (left) {
            while (i < j && (set == null ? Values.isWhitespace(s.charAt(i)) : set.indexOf(s.charAt(i)) >= 0)) {
                i++;
            }
        }
        if (right) {
            while (j > i && (set == null ? Values.isWhitespace(s.charAt(j - 1)) : set.indexOf(s.charAt(j - 1)) >= 0)) {
                j--;
            }
        }
        return s.substring(i, j);
    }

    private static boolean isWordChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    }

    /** Upper-cases the first letter of every word, leaving the rest as is (as @huggingface/jinja does). */
    static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (isWordChar(c) && (i == 0 || !isWordChar(s.charAt(i - 1)))) {
                sb.append(Character.toUpperCase(c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** Upper-cases the first character, leaving the rest as is (as @huggingface/jinja does). */
    static String capitalize(String s) {
        if (s.isEmpty()) {
            return s;
        }
        return String.valueOf(s.charAt(0)).toUpperCase(Locale.ROOT) + s.substring(1);
    }

    /** Python's str.split / str.rsplit. */
    private static List<Object> split(String s, Object sep, long maxsplit, boolean fromRight) {
        List<Object> parts = new ArrayList<>();
        if (Values.isNoneOrUndefined(sep)) {
            // Runs of whitespace separate; no empty strings at either end.
            List<int[]> words = new ArrayList<>();
            int i = 0;
            while (i < s.length()) {
                while (i < s.length() && Values.isWhitespace(s.charAt(i))) {
                    i++;
                }
                if (i >= s.length()) {
                    break;
                }
                int start = i;
                while (i < s.length() && !Values.isWhitespace(s.charAt(i))) {
                    i++;
                }
                words.add(new int[] {start, i});
            }
            if (maxsplit < 0 || words.size() <= maxsplit + 1) {
                for (int[] w : words) {
                    parts.add(s.substring(w[0], w[1]));
                }
            } else if (!fromRight) {
                for (int k = 0; k < maxsplit; k++) {
                    parts.add(s.substring(words.get(k)[0], words.get(k)[1]));
                }
                parts.add(Values.trimEnd(s.substring(words.get((int) maxsplit)[0])));
            } else {
                int keep = words.size() - (int) maxsplit;
                parts.add(Values.trimStart(s.substring(0, words.get(keep - 1)[1])));
                for (int k = keep; k < words.size(); k++) {
                    parts.add(s.substring(words.get(k)[0], words.get(k)[1]));
                }
            }
            return parts;
        }
        String separator = stringArgument(sep, "split separator");
        if (separator.isEmpty()) {
            throw new TemplateError("empty separator");
        }
        List<String> all = new ArrayList<>();
        int from = 0;
        for (int i = s.indexOf(separator); i >= 0; i = s.indexOf(separator, from)) {
            all.add(s.substring(from, i));
            from = i + separator.length();
        }
        all.add(s.substring(from));
        if (maxsplit < 0 || all.size() <= maxsplit + 1) {
            parts.addAll(all);
        } else if (!fromRight) {
            parts.addAll(all.subList(0, (int) maxsplit));
            parts.add(String.join(separator, all.subList((int) maxsplit, all.size())));
        } else {
            int keep = all.size() - (int) maxsplit;
            parts.add(String.join(separator, all.subList(0, keep)));
            parts.addAll(all.subList(keep, all.size()));
        }
        return parts;
    }

    /** Python's str.replace; an empty {@code old} inserts {@code replacement} between characters. */
    static String replace(Interpreter in, String s, String old, String replacement, long count) {
        if (count == 0) {
            return s;
        }
        long limit = count < 0 ? Long.MAX_VALUE : count;
        StringBuilder sb = new StringBuilder();
        if (old.isEmpty()) {
            long done = 0;
            int i = 0;
            while (true) {
                if (done < limit) {
                    sb.append(replacement);
                    done++;
                }
                if (i >= s.length()) {
                    break;
                }
                int cp = s.codePointAt(i);
                sb.appendCodePoint(cp);
                i += Character.charCount(cp);
                in.checkLength(sb.length());
            }
            return in.produced(sb.toString());
        }
        int from = 0;
        long done = 0;
        for (int i = s.indexOf(old); i >= 0 && done < limit; i = s.indexOf(old, from)) {
            sb.append(s, from, i).append(replacement);
            from = i + old.length();
            done++;
            in.checkLength(sb.length());
        }
        sb.append(s, from, s.length());
        return in.produced(sb.toString());
    }

    /** Python's str.format with {}, {0} and {name} fields (no format specifications). */
    private static String format(Interpreter in, String s, TemplateFunction.Arguments args) {
        StringBuilder sb = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '{' && i + 1 < s.length() && s.charAt(i + 1) == '{') {
                sb.append('{');
                i++;
            } else if (c == '}' && i + 1 < s.length() && s.charAt(i + 1) == '}') {
                sb.append('}');
                i++;
            } else if (c == '{') {
                int end = s.indexOf('}', i);
                if (end < 0) {
                    throw new TemplateError("single '{' in format string");
                }
                String field = s.substring(i + 1, end);
                int colon = field.indexOf(':');
                if (colon >= 0) {
                    field = field.substring(0, colon);
                }
                Object value;
                if (field.isEmpty()) {
                    value = args.positional(auto++);
                } else if (field.chars().allMatch(Character::isDigit)) {
                    value = args.positional(Integer.parseInt(field));
                } else {
                    value = args.keyword().getOrDefault(field, Undefined.INSTANCE);
                }
                sb.append(Values.render(value, in));
                in.checkLength(sb.length());
                i = end;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    // ---- dicts and lists

    private static Object dictMethod(Interpreter in, Map<?, ?> m, String name, TemplateFunction.Arguments args,
                                     Scope caller) {
        return switch (name) {
            case "get" -> {
                Object key = args.get(0, "key");
                if (!(key instanceof String k)) {
                    throw new TemplateError("dict keys are strings, got " + Values.typeName(key));
                }
                if (m.containsKey(k)) {
                    yield m.get(k);
                }
                Object fallback = args.get(1, "default");
                yield Values.isUndefined(fallback) ? null : fallback;
            }
            case "items" -> Filters.items(m);
            case "keys" -> new ArrayList<Object>(m.keySet());
            case "values" -> new ArrayList<Object>(m.values());
            case "dictsort" -> Filters.apply(in, "dictsort", m, args, caller);
            default -> throw new IllegalStateException(name);
        };
    }

    @SuppressWarnings("unchecked")
    private static Object listMethod(Interpreter in, List<?> list, String name, TemplateFunction.Arguments args) {
        List<Object> l = (List<Object>) list;
        return switch (name) {
            case "append" -> {
                in.checkItems(l.size() + 1L);
                l.add(args.get(0, "object"));
                yield null;
            }
            case "pop" -> {
                if (l.isEmpty()) {
                    throw new TemplateError("pop from empty list");
                }
                long index = integerArgument(args.get(0, "index"), -1, "pop index");
                long i = index < 0 ? index + l.size() : index;
                if (i < 0 || i >= l.size()) {
                    throw new TemplateError("pop index out of range");
                }
                yield l.remove((int) i);
            }
            case "index" -> {
                Object x = args.get(0, "value");
                for (int i = 0; i < l.size(); i++) {
                    if (Values.same(l.get(i), x)) {
                        yield (long) i;
                    }
                }
                throw new TemplateError("value is not in list");
            }
            case "count" -> {
                Object x = args.get(0, "value");
                long count = 0;
                for (Object o : l) {
                    if (Values.same(o, x)) {
                        count++;
                    }
                }
                yield count;
            }
            default -> throw new IllegalStateException(name);
        };
    }
}
