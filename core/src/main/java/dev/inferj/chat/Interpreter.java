package dev.inferj.chat;

import dev.inferj.chat.Node.Argument;
import dev.inferj.chat.Node.Parameter;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a parsed template once. Holds what one render needs beyond the variables: the clock for
 * {@code strftime_now} and the budgets that keep a hostile template from running away — loop
 * iterations plus macro calls, the length of any one string, the characters produced overall,
 * and the depth of macro calls.
 */
final class Interpreter {
    /** Loop iterations and macro calls in one render. */
    static final int MAX_ITERATIONS = 1_000_000;
    /** Characters in the output, or in any one string a template builds (8 MiB of text). */
    static final int MAX_LENGTH = 8 << 20;
    /** Characters produced over a whole render, counting intermediate strings (quadratic building). */
    static final long MAX_WORK = 256L << 20;
    /** Items in any one list a template builds. */
    static final int MAX_ITEMS = 1_000_000;
    /** Nested macro calls (a recursive macro must end by then). */
    static final int MAX_CALL_DEPTH = 100;

    enum Flow { NORMAL, BREAK, CONTINUE }

    private final LocalDateTime now;
    private int iterations;
    private long work;
    private int callDepth;

    Interpreter(LocalDateTime now) {
        this.now = now;
    }

    LocalDateTime now() {
        return now;
    }

    String render(List<Node> program, Scope scope) {
        StringBuilder out = new StringBuilder();
        Flow flow = execute(program, scope, out);
        if (flow != Flow.NORMAL) {
            throw new TemplateError("{% " + (flow == Flow.BREAK ? "break" : "continue") + " %} outside a loop");
        }
        return out.toString();
    }

    // ---- budgets

    void step() {
        if (++iterations > MAX_ITERATIONS) {
            throw new TemplateError("template ran more than " + MAX_ITERATIONS + " loop iterations and macro calls");
        }
    }

    void checkLength(long length) {
        if (length > MAX_LENGTH) {
            throw new TemplateError("template built a string longer than " + MAX_LENGTH + " characters");
        }
    }

    void checkItems(long count) {
        if (count > MAX_ITEMS) {
            throw new TemplateError("template built a list longer than " + MAX_ITEMS + " items");
        }
    }

    /** Counts a string the template produced against the budgets; returns it. */
    String produced(String s) {
        checkLength(s.length());
        work += s.length();
        if (work > MAX_WORK) {
            throw new TemplateError("template produced more than " + MAX_WORK + " characters in all");
        }
        return s;
    }

    private void append(StringBuilder out, String s) {
        checkLength((long) out.length() + s.length());
        work += s.length();
        if (work > MAX_WORK) {
            throw new TemplateError("template produced more than " + MAX_WORK + " characters in all");
        }
        out.append(s);
    }

    // ---- statements

    Flow execute(List<Node> nodes, Scope scope, StringBuilder out) {
        for (Node node : nodes) {
            Flow flow;
            try {
                flow = execute(node, scope, out);
            } catch (TemplateError e) {
                if (e.offset < 0) {
                    e.offset = node.offset();
                }
                throw e;
            }
            if (flow != Flow.NORMAL) {
                return flow;
            }
        }
        return Flow.NORMAL;
    }

    private Flow execute(Node node, Scope scope, StringBuilder out) {
        switch (node) {
            case Node.Text t -> append(out, t.text());
            case Node.Output o -> append(out, Values.render(evaluate(o.expression(), scope), this));
            case Node.If i -> {
                return execute(Values.isTruthy(evaluate(i.test(), scope)) ? i.body() : i.otherwise(), scope, out);
            }
            case Node.For f -> {
                return executeFor(f, scope, out);
            }
            case Node.Set s -> executeSet(s, scope);
            case Node.Macro m -> scope.set(m.name(), new MacroFunction(m, null));
            case Node.CallBlock c -> {
                TemplateFunction caller = new MacroFunction(c.caller(), scope);
                Object callee = evaluate(c.callee(), scope);
                TemplateFunction.Arguments arguments = evaluateArguments(c.arguments(), scope);
                Scope callScope = new Scope(scope);
                callScope.set("caller", caller);
                append(out, Values.render(call(callee, c.callee(), arguments, callScope), this));
            }
            case Node.FilterBlock f -> {
                StringBuilder body = new StringBuilder();
                requireNormal(execute(f.body(), scope, body));
                Object result = Filters.apply(this, f.filter(), body.toString(), evaluateArguments(f.arguments(), scope), scope);
                append(out, Values.render(result, this));
            }
            case Node.Break b -> {
                return Flow.BREAK;
            }
            case Node.Continue c -> {
                return Flow.CONTINUE;
            }
            default -> throw new IllegalStateException("not a statement: " + node);
        }
        return Flow.NORMAL;
    }

    private static void requireNormal(Flow flow) {
        if (flow != Flow.NORMAL) {
            throw new TemplateError("{% " + (flow == Flow.BREAK ? "break" : "continue") + " %} outside a loop");
        }
    }

    private Flow executeFor(Node.For node, Scope scope, StringBuilder out) {
        Scope loopScope = new Scope(scope);
        Object iterable = evaluate(node.iterable(), loopScope);
        List<Object> items = iterationItems(iterable);
        if (node.filter() != null) {
            List<Object> kept = new ArrayList<>();
            for (Object item : items) {
                step();
                Scope test = new Scope(loopScope);
                bind(node.target(), item, test);
                if (Values.isTruthy(evaluate(node.filter(), test))) {
                    kept.add(item);
                }
            }
            items = kept;
        }
        int n = items.size();
        if (n == 0) {
            return execute(node.otherwise(), loopScope, out);
        }
        for (int i = 0; i < n; i++) {
            step();
            loopScope.set("loop", loopVariable(items, i));
            bind(node.target(), items.get(i), loopScope);
            Flow flow = execute(node.body(), loopScope, out);
            if (flow == Flow.BREAK) {
                break;
            }
        }
        return Flow.NORMAL;
    }

    /** What a for loop walks: a list's items, a dict's keys, a string's characters; undefined is empty. */
    List<Object> iterationItems(Object iterable) {
        return switch (iterable) {
            case List<?> list -> new ArrayList<>(list);
            case Map<?, ?> map -> new ArrayList<>(map.keySet());
            case String s -> {
                List<Object> chars = new ArrayList<>(s.length());
                s.codePoints().forEach(cp -> chars.add(Character.toString(cp)));
                yield chars;
            }
            case Undefined u -> new ArrayList<>();
            case null, default -> throw new TemplateError("cannot loop over " + Values.typeName(iterable));
        };
    }

    private static Map<String, Object> loopVariable(List<Object> items, int i) {
        int n = items.size();
        LinkedHashMap<String, Object> loop = LinkedHashMap.newLinkedHashMap(11);
        loop.put("index", (long) (i + 1));
        loop.put("index0", (long) i);
        loop.put("revindex", (long) (n - i));
        loop.put("revindex0", (long) (n - i - 1));
        loop.put("first", i == 0);
        loop.put("last", i == n - 1);
        loop.put("length", (long) n);
        loop.put("previtem", i > 0 ? items.get(i - 1) : Undefined.INSTANCE);
        loop.put("nextitem", i < n - 1 ? items.get(i + 1) : Undefined.INSTANCE);
        loop.put("cycle", new Builtins.Function("loop.cycle", (interpreter, args, caller) -> {
            if (args.positional().isEmpty()) {
                throw new TemplateError("loop.cycle() needs at least one value");
            }
            return args.positional().get(i % args.positional().size());
        }));
        return loop;
    }

    private void bind(Node target, Object value, Scope scope) {
        switch (target) {
            case Node.Name n -> scope.set(n.name(), value);
            case Node.TupleLiteral t -> {
                if (!(value instanceof List<?> list)) {
                    throw new TemplateError("cannot unpack " + Values.typeName(value) + " into " + t.items().size() + " variables");
                }
                if (list.size() != t.items().size()) {
                    throw new TemplateError("cannot unpack " + list.size() + " values into " + t.items().size() + " variables");
                }
                for (int i = 0; i < list.size(); i++) {
                    scope.set(((Node.Name) t.items().get(i)).name(), list.get(i));
                }
            }
            default -> throw new TemplateError("cannot assign to this expression");
        }
    }

    private void executeSet(Node.Set node, Scope scope) {
        Object value;
        if (node.value() != null) {
            value = evaluate(node.value(), scope);
        } else {
            StringBuilder body = new StringBuilder();
            requireNormal(execute(node.body(), scope, body));
            value = body.toString();
        }
        if (node.target() instanceof Node.Attribute a) {
            Object object = evaluate(a.object(), scope);
            if (!(object instanceof Namespace ns)) {
                throw new TemplateError("cannot set attribute '" + a.name() + "' of " + Values.typeName(object)
                        + ": only a namespace() has assignable attributes");
            }
            ns.attributes.put(a.name(), value);
        } else {
            bind(node.target(), value, scope);
        }
    }

    // ---- macros

    /** A macro, or a call block's {@code caller}; the latter runs in the scope of the call block. */
    private record MacroFunction(Node.Macro node, Scope definitionScope) implements TemplateFunction {
        @Override
        public Object call(Interpreter interpreter, Arguments arguments, Scope caller) {
            return interpreter.callMacro(node, arguments, definitionScope != null ? definitionScope : caller);
        }

        @Override
        public String describe() {
            return "macro '" + node.name() + "'";
        }
    }

    private static final Object MISSING = new Object();

    private String callMacro(Node.Macro node, TemplateFunction.Arguments arguments, Scope parent) {
        step();
        if (callDepth >= MAX_CALL_DEPTH) {
            throw new TemplateError("macro calls nested more than " + MAX_CALL_DEPTH + " deep (endless recursion?)");
        }
        callDepth++;
        try {
            Scope scope = new Scope(parent);
            List<Object> positional = arguments.positional();
            LinkedHashMap<String, Object> keyword = new LinkedHashMap<>(arguments.keyword());
            List<Parameter> parameters = node.parameters();
            List<Parameter> pendingDefaults = new ArrayList<>();
            for (int i = 0; i < parameters.size(); i++) {
                Parameter p = parameters.get(i);
                Object value = i < positional.size() ? positional.get(i) : MISSING;
                if (value == MISSING && keyword.containsKey(p.name())) {
                    value = keyword.remove(p.name());
                }
                if (value == MISSING && p.defaultValue() != null) {
                    pendingDefaults.add(p);
                }
                scope.set(p.name(), value == MISSING ? Undefined.INSTANCE : value);
            }
            if (node.readsKwargs()) {
                scope.set("kwargs", keyword);
            } else if (!keyword.isEmpty()) {
                throw new TemplateError("macro '" + node.name() + "' has no parameter '" + keyword.keySet().iterator().next() + "'");
            }
            if (node.readsVarargs()) {
                scope.set("varargs", positional.size() > parameters.size()
                        ? new ArrayList<>(positional.subList(parameters.size(), positional.size())) : new ArrayList<>());
            } else if (positional.size() > parameters.size()) {
                throw new TemplateError("macro '" + node.name() + "' takes at most " + parameters.size()
                        + " arguments, got " + positional.size());
            }
            for (Parameter p : pendingDefaults) {
                scope.set(p.name(), evaluate(p.defaultValue(), scope));
            }
            StringBuilder out = new StringBuilder();
            requireNormal(execute(node.body(), scope, out));
            return out.toString();
        } finally {
            callDepth--;
        }
    }

    // ---- expressions

    Object evaluate(Node node, Scope scope) {
        try {
            return switch (node) {
                case Node.Literal l -> l.value();
                case Node.Name n -> scope.lookup(n.name());
                case Node.ListLiteral l -> {
                    List<Object> list = new ArrayList<>(l.items().size());
                    for (Node item : l.items()) {
                        list.add(evaluate(item, scope));
                    }
                    yield list;
                }
                case Node.TupleLiteral t -> {
                    List<Object> list = new ArrayList<>(t.items().size());
                    for (Node item : t.items()) {
                        list.add(evaluate(item, scope));
                    }
                    yield list;
                }
                case Node.DictLiteral d -> {
                    LinkedHashMap<String, Object> map = LinkedHashMap.newLinkedHashMap(d.keys().size());
                    for (int i = 0; i < d.keys().size(); i++) {
                        Object key = evaluate(d.keys().get(i), scope);
                        if (!(key instanceof String s)) {
                            throw new TemplateError("dict keys must be strings, got " + Values.typeName(key));
                        }
                        map.put(s, evaluate(d.values().get(i), scope));
                    }
                    yield map;
                }
                case Node.Attribute a -> Methods.attribute(evaluate(a.object(), scope), a.name());
                case Node.Item i -> Methods.item(evaluate(i.object(), scope), evaluate(i.key(), scope));
                case Node.Slice s -> slice(evaluate(s.object(), scope), evaluateOptional(s.start(), scope),
                        evaluateOptional(s.stop(), scope), evaluateOptional(s.step(), scope));
                case Node.Call c -> {
                    Object callee = evaluate(c.callee(), scope);
                    yield call(callee, c.callee(), evaluateArguments(c.arguments(), scope), scope);
                }
                case Node.Filter f -> Filters.apply(this, f.name(), evaluate(f.operand(), scope),
                        evaluateArguments(f.arguments(), scope), scope);
                case Node.Test t -> {
                    boolean result = Tests.apply(this, t.name(), evaluate(t.operand(), scope),
                            evaluateArguments(t.arguments(), scope));
                    yield result != t.negated();
                }
                case Node.Unary u -> unary(u.operator(), evaluate(u.operand(), scope));
                case Node.Binary b -> switch (b.operator()) {
                    case "and" -> {
                        Object left = evaluate(b.left(), scope);
                        yield Values.isTruthy(left) ? evaluate(b.right(), scope) : left;
                    }
                    case "or" -> {
                        Object left = evaluate(b.left(), scope);
                        yield Values.isTruthy(left) ? left : evaluate(b.right(), scope);
                    }
                    default -> Operators.binary(this, b.operator(), evaluate(b.left(), scope), evaluate(b.right(), scope));
                };
                case Node.Conditional c -> Values.isTruthy(evaluate(c.condition(), scope))
                        ? evaluate(c.whenTrue(), scope)
                        : c.whenFalse() == null ? Undefined.INSTANCE : evaluate(c.whenFalse(), scope);
                default -> throw new IllegalStateException("not an expression: " + node);
            };
        } catch (TemplateError e) {
            if (e.offset < 0) {
                e.offset = node.offset();
            }
            throw e;
        } catch (ArithmeticException e) {
            throw new TemplateError("integer overflow", node.offset(), false);
        }
    }

    private Object evaluateOptional(Node node, Scope scope) {
        return node == null ? Undefined.INSTANCE : evaluate(node, scope);
    }

    TemplateFunction.Arguments evaluateArguments(List<Argument> arguments, Scope scope) {
        if (arguments.isEmpty()) {
            return TemplateFunction.Arguments.NONE;
        }
        List<Object> positional = new ArrayList<>();
        LinkedHashMap<String, Object> keyword = new LinkedHashMap<>();
        for (Argument a : arguments) {
            Object value = evaluate(a.value(), scope);
            switch (a.kind()) {
                case POSITIONAL -> positional.add(value);
                case SPREAD -> {
                    if (!(value instanceof List<?> list)) {
                        throw new TemplateError("*" + Values.typeName(value) + ": only a list can be unpacked into arguments");
                    }
                    positional.addAll(list);
                }
                case KEYWORD -> putKeyword(keyword, a.name(), value);
                case KEYWORD_SPREAD -> {
                    if (!(value instanceof Map<?, ?> map)) {
                        throw new TemplateError("**" + Values.typeName(value) + ": only a dict can be unpacked into keyword arguments");
                    }
                    for (Map.Entry<?, ?> e : map.entrySet()) {
                        putKeyword(keyword, (String) e.getKey(), e.getValue());
                    }
                }
            }
        }
        return new TemplateFunction.Arguments(positional, keyword);
    }

    private static void putKeyword(Map<String, Object> keyword, String name, Object value) {
        if (keyword.containsKey(name)) {
            throw new TemplateError("keyword argument '" + name + "' given twice");
        }
        keyword.put(name, value);
    }

    private Object call(Object callee, Node calleeNode, TemplateFunction.Arguments arguments, Scope scope) {
        if (callee instanceof TemplateFunction f) {
            return f.call(this, arguments, scope);
        }
        String what = switch (calleeNode) {
            case Node.Name n -> "'" + n.name() + "'";
            case Node.Attribute a -> "'" + a.name() + "'";
            default -> "this expression";
        };
        throw new TemplateError("cannot call " + what + ": it is " + Values.typeName(callee) + ", not a function");
    }

    private static Object unary(String operator, Object value) {
        if (operator.equals("not")) {
            return !Values.isTruthy(value);
        }
        boolean minus = operator.equals("-");
        return switch (value) {
            case Long l -> minus ? Math.negateExact(l) : l;
            case Double d -> minus ? -d : d;
            case Boolean b -> minus ? (b ? -1L : 0L) : (b ? 1L : 0L);
            case null, default -> throw new TemplateError("cannot apply unary '" + operator + "' to " + Values.typeName(value));
        };
    }

    /** Python slicing of a list or string (by code points); parts are integers or undefined/none. */
    private Object slice(Object object, Object start, Object stop, Object step) {
        Integer from = sliceIndex(start);
        Integer to = sliceIndex(stop);
        Integer by = sliceIndex(step);
        int stepValue = by == null ? 1 : by;
        if (stepValue == 0) {
            throw new TemplateError("slice step cannot be zero");
        }
        return switch (object) {
            case List<?> list -> {
                List<Object> result = new ArrayList<>();
                for (int i : sliceIndices(list.size(), from, to, stepValue)) {
                    result.add(list.get(i));
                }
                yield result;
            }
            case String s -> {
                int[] cps = s.codePoints().toArray();
                StringBuilder sb = new StringBuilder();
                for (int i : sliceIndices(cps.length, from, to, stepValue)) {
                    sb.appendCodePoint(cps[i]);
                }
                yield sb.toString();
            }
            case null, default -> throw new TemplateError("cannot slice " + Values.typeName(object));
        };
    }

    private static Integer sliceIndex(Object v) {
        return switch (v) {
            case null -> null;
            case Undefined u -> null;
            case Long l -> (int) Math.max(Integer.MIN_VALUE / 2, Math.min(Integer.MAX_VALUE / 2, l));
            case Boolean b -> b ? 1 : 0;
            default -> throw new TemplateError("slice indices must be integers, got " + Values.typeName(v));
        };
    }

    private static int[] sliceIndices(int length, Integer start, Integer stop, int step) {
        int from;
        int to;
        if (step > 0) {
            from = start == null ? 0 : start < 0 ? Math.max(length + start, 0) : Math.min(start, length);
            to = stop == null ? length : stop < 0 ? Math.max(length + stop, 0) : Math.min(stop, length);
        } else {
            from = start == null ? length - 1 : start < 0 ? Math.max(length + start, -1) : Math.min(start, length - 1);
            to = stop == null ? -1 : stop < 0 ? Math.max(length + stop, -1) : Math.min(stop, length - 1);
        }
        int count = step > 0 ? Math.max(0, (to - from + step - 1) / step) : Math.max(0, (from - to - step - 1) / -step);
        int[] indices = new int[count];
        for (int k = 0, i = from; k < count; k++, i += step) {
            indices[k] = i;
        }
        return indices;
    }
}
