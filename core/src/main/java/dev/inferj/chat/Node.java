package dev.inferj.chat;

import java.util.List;

/**
 * The parsed template: statements (text, output, if, for, set, macro, ...) and expressions. Every
 * node keeps the offset of its first character in the template source, for error messages.
 */
sealed interface Node {

    int offset();

    // ---- statements

    record Text(int offset, String text) implements Node {
    }

    /** <code>{{ expression }}</code>. */
    record Output(int offset, Node expression) implements Node {
    }

    record If(int offset, Node test, List<Node> body, List<Node> otherwise) implements Node {
    }

    /** {@code {% for target in iterable if filter %}body{% else %}otherwise{% endfor %}}; filter may be null. */
    record For(int offset, Node target, Node iterable, Node filter, List<Node> body, List<Node> otherwise)
            implements Node {
    }

    /** {@code {% set target = value %}}, or with value null the block form whose body is rendered. */
    record Set(int offset, Node target, Node value, List<Node> body) implements Node {
    }

    record Macro(int offset, String name, List<Parameter> parameters, List<Node> body, boolean readsVarargs,
                 boolean readsKwargs) implements Node {
    }

    /** {@code {% call(callerParameters) callee(arguments) %}body{% endcall %}}. */
    record CallBlock(int offset, Node callee, List<Argument> arguments, Macro caller) implements Node {
    }

    record FilterBlock(int offset, String filter, List<Argument> arguments, List<Node> body) implements Node {
    }

    record Break(int offset) implements Node {
    }

    record Continue(int offset) implements Node {
    }

    // ---- expressions

    /** A string, number, boolean or none literal (none is Java null). */
    record Literal(int offset, Object value) implements Node {
    }

    record ListLiteral(int offset, List<Node> items) implements Node {
    }

    record TupleLiteral(int offset, List<Node> items) implements Node {
    }

    record DictLiteral(int offset, List<Node> keys, List<Node> values) implements Node {
    }

    record Name(int offset, String name) implements Node {
    }

    /** {@code object.name}. */
    record Attribute(int offset, Node object, String name) implements Node {
    }

    /** {@code object[key]} and {@code object.0}. */
    record Item(int offset, Node object, Node key) implements Node {
    }

    /** {@code object[start:stop:step]}; absent parts are null. */
    record Slice(int offset, Node object, Node start, Node stop, Node step) implements Node {
    }

    record Call(int offset, Node callee, List<Argument> arguments) implements Node {
    }

    /** {@code operand | name(arguments)}. */
    record Filter(int offset, Node operand, String name, List<Argument> arguments) implements Node {
    }

    /** {@code operand is [not] name(arguments)}. */
    record Test(int offset, Node operand, String name, boolean negated, List<Argument> arguments) implements Node {
    }

    /** {@code not}, unary {@code -} and {@code +}. */
    record Unary(int offset, String operator, Node operand) implements Node {
    }

    /** Arithmetic, comparison, {@code in}, {@code not in}, {@code and}, {@code or}, {@code ~}. */
    record Binary(int offset, String operator, Node left, Node right) implements Node {
    }

    /** {@code whenTrue if condition else whenFalse}; without else, whenFalse is null (undefined). */
    record Conditional(int offset, Node condition, Node whenTrue, Node whenFalse) implements Node {
    }

    // ---- parts

    /** A macro parameter; defaultValue null when it has none. */
    record Parameter(String name, Node defaultValue) {
    }

    enum ArgumentKind { POSITIONAL, KEYWORD, SPREAD, KEYWORD_SPREAD }

    /** A call argument: {@code x}, {@code name=x}, {@code *x} or {@code **x}. */
    record Argument(ArgumentKind kind, String name, Node value) {
    }
}
