package dev.inferj.chat;

import dev.inferj.chat.Lexer.Kind;
import dev.inferj.chat.Lexer.Token;
import dev.inferj.chat.Node.Argument;
import dev.inferj.chat.Node.ArgumentKind;
import dev.inferj.chat.Node.Parameter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Tokens → {@link Node}s, by recursive descent. Operator precedence, loosest first, as in
 * the @huggingface/jinja engine: {@code a if c else b}; {@code or}; {@code and}; {@code not}; comparisons,
 * {@code in}, {@code not in}; {@code + - ~}; {@code * / // %}; {@code **}; {@code is} tests;
 * {@code |} filters; unary {@code - +}; then attribute access, subscripts, slices and calls.
 */
final class Parser {
    /** Brackets, parentheses and blocks nested deeper than this are refused (no stack overflow). */
    static final int MAX_NESTING = 128;

    private static final Set<String> COMPARISONS = Set.of("==", "!=", "<", ">", "<=", ">=");
    /** Names that end a test without parentheses: {@code x is defined and y}. */
    private static final Set<String> KEYWORDS = Set.of("and", "or", "not", "in", "is", "if", "else");

    private final List<Token> tokens;
    private int pos;
    private int depth;

    private Parser(List<Token> tokens) {
        this.tokens = tokens;
    }

    static List<Node> parse(List<Token> tokens) {
        // Without end names, body() reads to the end; a stray {% endif %} is an error in statement().
        return new Parser(tokens).body();
    }

    // ---- token helpers

    private Token peek() {
        return tokens.get(pos);
    }

    private Token peek(int ahead) {
        return tokens.get(Math.min(pos + ahead, tokens.size() - 1));
    }

    private Token next() {
        Token t = tokens.get(pos);
        if (t.kind() != Kind.EOF) {
            pos++;
        }
        return t;
    }

    private static TemplateError error(Token at, String message) {
        return new TemplateError(message, at.offset(), false);
    }

    private static String describe(Token t) {
        return switch (t.kind()) {
            case EOF -> "the end of the template";
            case TEXT -> "text";
            case STRING -> "string '" + t.text() + "'";
            case BLOCK_BEGIN -> "'{%'";
            case BLOCK_END -> "'%}'";
            case VAR_BEGIN -> "'{{'";
            case VAR_END -> "'}}'";
            default -> "'" + t.text() + "'";
        };
    }

    private Token expectOperator(String op, String what) {
        Token t = next();
        if (!t.isOperator(op)) {
            throw error(t, "expected '" + op + "' " + what + ", found " + describe(t));
        }
        return t;
    }

    private void expectBlockEnd(String statement) {
        Token t = next();
        if (t.kind() != Kind.BLOCK_END) {
            throw error(t, "expected '%}' to close {% " + statement + " %}, found " + describe(t));
        }
    }

    private String expectName(String what) {
        Token t = next();
        if (t.kind() != Kind.NAME) {
            throw error(t, "expected " + what + ", found " + describe(t));
        }
        return t.text();
    }

    private boolean atOperator(String op) {
        return peek().isOperator(op);
    }

    private boolean atName(String name) {
        return peek().isName(name);
    }

    private void enter(Token at) {
        if (++depth > MAX_NESTING) {
            throw error(at, "template nested more than " + MAX_NESTING + " levels deep");
        }
    }

    private void leave() {
        depth--;
    }

    // ---- statements

    /** Nodes up to the end of the input or a {@code {% name %}} with one of {@code endNames}. */
    private List<Node> body(String... endNames) {
        List<Node> nodes = new ArrayList<>();
        while (true) {
            Token t = peek();
            switch (t.kind()) {
                case EOF -> {
                    return nodes;
                }
                case TEXT -> {
                    next();
                    nodes.add(new Node.Text(t.offset(), t.text()));
                }
                case COMMENT -> next();
                case VAR_BEGIN -> {
                    next();
                    Node e = expression();
                    Token end = next();
                    if (end.kind() != Kind.VAR_END) {
                        throw error(end, "expected '}}' to close the expression, found " + describe(end));
                    }
                    nodes.add(new Node.Output(t.offset(), e));
                }
                case BLOCK_BEGIN -> {
                    Token name = peek(1);
                    if (name.kind() == Kind.NAME) {
                        for (String end : endNames) {
                            if (end.equals(name.text())) {
                                return nodes;
                            }
                        }
                    }
                    Node statement = statement();
                    if (statement != null) {
                        nodes.add(statement);
                    }
                }
                default -> throw error(t, "unexpected " + describe(t));
            }
        }
    }

    /** Parses a body that must end with one of {@code endNames}; leaves the parser on that <code>{%</code>. */
    private List<Node> blockBody(Token opener, String statement, String... endNames) {
        enter(opener);
        List<Node> nodes = body(endNames);
        leave();
        if (peek().kind() == Kind.EOF) {
            throw error(opener, "{% " + statement + " %} is never closed with {% " + endNames[endNames.length - 1] + " %}");
        }
        return nodes;
    }

    /** Consumes {@code {% name %}}. */
    private void endTag(String name) {
        next(); // {%
        next(); // name
        expectBlockEnd(name);
    }

    private Node statement() {
        Token open = next(); // {%
        Token nameToken = next();
        if (nameToken.kind() != Kind.NAME) {
            throw error(nameToken, "expected a statement name after '{%', found " + describe(nameToken));
        }
        int at = open.offset();
        return switch (nameToken.text()) {
            case "if" -> ifStatement(open);
            case "for" -> forStatement(open);
            case "set" -> setStatement(open);
            case "macro" -> macroStatement(open);
            case "call" -> callStatement(open);
            case "filter" -> filterStatement(open);
            case "break" -> {
                expectBlockEnd("break");
                yield new Node.Break(at);
            }
            case "continue" -> {
                expectBlockEnd("continue");
                yield new Node.Continue(at);
            }
            case "generation", "endgeneration" -> {
                // transformers' marker for assistant tokens in training masks: renders nothing.
                expectBlockEnd(nameToken.text());
                yield null;
            }
            case "elif", "else", "endif", "endfor", "endset", "endmacro", "endcall", "endfilter" ->
                    throw error(nameToken, "unexpected {% " + nameToken.text() + " %} without a matching opening statement");
            default -> throw error(nameToken, "unknown statement '" + nameToken.text() + "'");
        };
    }

    private Node ifStatement(Token open) {
        Node test = expression();
        expectBlockEnd("if");
        List<Node> body = blockBody(open, "if", "elif", "else", "endif");
        Token branch = peek(1);
        List<Node> otherwise = List.of();
        switch (branch.text()) {
            case "elif" -> {
                Token elif = next();
                next();
                otherwise = List.of(ifStatement(elif));
                return new Node.If(open.offset(), test, body, otherwise);
            }
            case "else" -> {
                next();
                next();
                expectBlockEnd("else");
                otherwise = blockBody(open, "if", "endif");
            }
            default -> { }
        }
        endTag("endif");
        return new Node.If(open.offset(), test, body, otherwise);
    }

    private Node forStatement(Token open) {
        Node target = assignmentTarget(true);
        Token in = next();
        if (!in.isName("in")) {
            throw error(in, "expected 'in' after the loop variable, found " + describe(in));
        }
        Node iterable = expression();
        Node filter = null;
        if (iterable instanceof Node.Conditional c && c.whenFalse() == null) {
            // {% for x in items if cond %}: a filter on the items, not a conditional expression.
            iterable = c.whenTrue();
            filter = c.condition();
        }
        if (atName("recursive")) {
            throw error(peek(), "recursive loops are not supported");
        }
        expectBlockEnd("for");
        List<Node> body = blockBody(open, "for", "else", "endfor");
        List<Node> otherwise = List.of();
        if (peek(1).isName("else")) {
            next();
            next();
            expectBlockEnd("else");
            otherwise = blockBody(open, "for", "endfor");
        }
        endTag("endfor");
        return new Node.For(open.offset(), target, iterable, filter, body, otherwise);
    }

    /** A loop variable or set target: a name, names separated by commas, or (set only) ns.attr. */
    private Node assignmentTarget(boolean loop) {
        Token first = peek();
        boolean parenthesized = atOperator("(");
        if (parenthesized) {
            next();
        }
        List<Node> targets = new ArrayList<>();
        while (true) {
            Token t = next();
            if (t.kind() != Kind.NAME || KEYWORDS.contains(t.text())) {
                throw error(t, "expected a variable name, found " + describe(t));
            }
            Node target = new Node.Name(t.offset(), t.text());
            if (!loop && atOperator(".")) {
                next();
                String attribute = expectName("an attribute name after '.'");
                target = new Node.Attribute(t.offset(), target, attribute);
            }
            targets.add(target);
            if (!atOperator(",")) {
                break;
            }
            next();
        }
        if (parenthesized) {
            expectOperator(")", "to close the variable list");
        }
        if (targets.size() == 1 && !parenthesized) {
            return targets.getFirst();
        }
        for (Node n : targets) {
            if (!(n instanceof Node.Name)) {
                throw error(first, "only plain names can be unpacked");
            }
        }
        return new Node.TupleLiteral(first.offset(), List.copyOf(targets));
    }

    private Node setStatement(Token open) {
        Node target = assignmentTarget(false);
        if (atOperator("=")) {
            next();
            Node value = expressionSequence();
            expectBlockEnd("set");
            return new Node.Set(open.offset(), target, value, List.of());
        }
        expectBlockEnd("set");
        List<Node> body = blockBody(open, "set", "endset");
        endTag("endset");
        return new Node.Set(open.offset(), target, null, body);
    }

    private Node.Macro macroStatement(Token open) {
        String name = expectName("a macro name");
        List<Parameter> parameters = parameters();
        expectBlockEnd("macro");
        List<Node> body = blockBody(open, "macro", "endmacro");
        endTag("endmacro");
        return macro(open.offset(), name, parameters, body);
    }

    private static Node.Macro macro(int offset, String name, List<Parameter> parameters, List<Node> body) {
        boolean declaresVarargs = false;
        boolean declaresKwargs = false;
        for (Parameter p : parameters) {
            declaresVarargs |= p.name().equals("varargs");
            declaresKwargs |= p.name().equals("kwargs");
        }
        return new Node.Macro(offset, name, parameters, body,
                !declaresVarargs && mentions(body, "varargs"),
                !declaresKwargs && mentions(body, "kwargs"));
    }

    /** Whether any node in {@code nodes} reads the variable {@code name} (macros bind varargs/kwargs only then). */
    private static boolean mentions(List<Node> nodes, String name) {
        for (Node n : nodes) {
            if (mentions(n, name)) {
                return true;
            }
        }
        return false;
    }

    private static boolean mentions(Node n, String name) {
        if (n == null) {
            return false;
        }
        return switch (n) {
            case Node.Name x -> x.name().equals(name);
            case Node.Text x -> false;
            case Node.Literal x -> false;
            case Node.Break x -> false;
            case Node.Continue x -> false;
            case Node.Output x -> mentions(x.expression(), name);
            case Node.If x -> mentions(x.test(), name) || mentions(x.body(), name) || mentions(x.otherwise(), name);
            case Node.For x -> mentions(x.iterable(), name) || mentions(x.filter(), name) || mentions(x.body(), name)
                    || mentions(x.otherwise(), name);
            case Node.Set x -> mentions(x.value(), name) || mentions(x.body(), name);
            // A nested macro binds its own varargs and kwargs.
            case Node.Macro x -> false;
            case Node.CallBlock x -> mentions(x.callee(), name) || mentionsArguments(x.arguments(), name);
            case Node.FilterBlock x -> mentionsArguments(x.arguments(), name) || mentions(x.body(), name);
            case Node.ListLiteral x -> mentions(x.items(), name);
            case Node.TupleLiteral x -> mentions(x.items(), name);
            case Node.DictLiteral x -> mentions(x.keys(), name) || mentions(x.values(), name);
            case Node.Attribute x -> mentions(x.object(), name);
            case Node.Item x -> mentions(x.object(), name) || mentions(x.key(), name);
            case Node.Slice x -> mentions(x.object(), name) || mentions(x.start(), name) || mentions(x.stop(), name)
                    || mentions(x.step(), name);
            case Node.Call x -> mentions(x.callee(), name) || mentionsArguments(x.arguments(), name);
            case Node.Filter x -> mentions(x.operand(), name) || mentionsArguments(x.arguments(), name);
            case Node.Test x -> mentions(x.operand(), name) || mentionsArguments(x.arguments(), name);
            case Node.Unary x -> mentions(x.operand(), name);
            case Node.Binary x -> mentions(x.left(), name) || mentions(x.right(), name);
            case Node.Conditional x -> mentions(x.condition(), name) || mentions(x.whenTrue(), name)
                    || mentions(x.whenFalse(), name);
        };
    }

    private static boolean mentionsArguments(List<Argument> arguments, String name) {
        for (Argument a : arguments) {
            if (mentions(a.value(), name)) {
                return true;
            }
        }
        return false;
    }

    private List<Parameter> parameters() {
        expectOperator("(", "to open the parameter list");
        List<Parameter> parameters = new ArrayList<>();
        boolean sawDefault = false;
        while (!atOperator(")")) {
            Token t = peek();
            String name = expectName("a parameter name");
            for (Parameter p : parameters) {
                if (p.name().equals(name)) {
                    throw error(t, "parameter '" + name + "' is declared twice");
                }
            }
            Node defaultValue = null;
            if (atOperator("=")) {
                next();
                defaultValue = expression();
                sawDefault = true;
            } else if (sawDefault) {
                throw error(t, "parameter '" + name + "' without a default follows one with a default");
            }
            parameters.add(new Parameter(name, defaultValue));
            if (!atOperator(")")) {
                expectOperator(",", "between parameters");
            }
        }
        next();
        return List.copyOf(parameters);
    }

    private Node callStatement(Token open) {
        List<Parameter> callerParameters = atOperator("(") ? parameters() : List.of();
        Node callee = postfix(primary());
        if (!(callee instanceof Node.Call call)) {
            throw error(open, "{% call %} needs a macro call, like {% call list_users(users) %}");
        }
        expectBlockEnd("call");
        List<Node> body = blockBody(open, "call", "endcall");
        endTag("endcall");
        return new Node.CallBlock(open.offset(), call.callee(), call.arguments(),
                macro(open.offset(), "caller", callerParameters, body));
    }

    private Node filterStatement(Token open) {
        String filter = expectName("a filter name");
        List<Argument> arguments = atOperator("(") ? arguments() : List.of();
        expectBlockEnd("filter");
        List<Node> body = blockBody(open, "filter", "endfilter");
        endTag("endfilter");
        return new Node.FilterBlock(open.offset(), filter, arguments, body);
    }

    // ---- expressions

    /** An expression, or several separated by commas (a tuple), as after {@code set x =}. */
    private Node expressionSequence() {
        Token first = peek();
        Node e = expression();
        if (!atOperator(",")) {
            return e;
        }
        List<Node> items = new ArrayList<>();
        items.add(e);
        while (atOperator(",")) {
            next();
            items.add(expression());
        }
        return new Node.TupleLiteral(first.offset(), List.copyOf(items));
    }

    Node expression() {
        Token start = peek();
        enter(start);
        Node left = or();
        if (atName("if")) {
            next();
            Node condition = or();
            Node otherwise = null;
            if (atName("else")) {
                next();
                otherwise = expression();
            }
            left = new Node.Conditional(start.offset(), condition, left, otherwise);
        }
        leave();
        return left;
    }

    private Node or() {
        Node left = and();
        while (atName("or")) {
            Token op = next();
            left = new Node.Binary(op.offset(), "or", left, and());
        }
        return left;
    }

    private Node and() {
        Node left = not();
        while (atName("and")) {
            Token op = next();
            left = new Node.Binary(op.offset(), "and", left, not());
        }
        return left;
    }

    private Node not() {
        if (atName("not")) {
            Token op = next();
            enter(op);
            Node operand = not();
            leave();
            return new Node.Unary(op.offset(), "not", operand);
        }
        return comparison();
    }

    private Node comparison() {
        Node left = additive();
        while (true) {
            Token t = peek();
            String op;
            if (t.isName("not") && peek(1).isName("in")) {
                next();
                op = "not in";
            } else if (t.isName("in")) {
                op = "in";
            } else if (t.kind() == Kind.OPERATOR && COMPARISONS.contains(t.text())) {
                op = t.text();
            } else {
                return left;
            }
            next();
            left = new Node.Binary(t.offset(), op, left, additive());
        }
    }

    private Node additive() {
        Node left = multiplicative();
        while (atOperator("+") || atOperator("-") || atOperator("~")) {
            Token op = next();
            left = new Node.Binary(op.offset(), op.text(), left, multiplicative());
        }
        return left;
    }

    private Node multiplicative() {
        Node left = power();
        while (atOperator("*") || atOperator("/") || atOperator("//") || atOperator("%")) {
            Token op = next();
            left = new Node.Binary(op.offset(), op.text(), left, power());
        }
        return left;
    }

    private Node power() {
        Node left = test();
        while (atOperator("**")) {
            Token op = next();
            left = new Node.Binary(op.offset(), "**", left, test());
        }
        return left;
    }

    private Node test() {
        Node operand = filter();
        while (atName("is")) {
            Token is = next();
            boolean negated = false;
            if (atName("not")) {
                next();
                negated = true;
            }
            Token nameToken = next();
            if (nameToken.kind() != Kind.NAME) {
                // "x is == y" style tests are written with their word names here.
                throw error(nameToken, "expected a test name after 'is', found " + describe(nameToken));
            }
            List<Argument> arguments = List.of();
            Token t = peek();
            if (t.isOperator("(")) {
                arguments = arguments();
            } else if (startsTestArgument(t)) {
                // Jinja's {{ x is divisibleby 3 }}: one argument without parentheses.
                arguments = List.of(new Argument(ArgumentKind.POSITIONAL, null, postfix(primary())));
            }
            operand = new Node.Test(is.offset(), operand, nameToken.text(), negated, arguments);
        }
        return operand;
    }

    private static boolean startsTestArgument(Token t) {
        return switch (t.kind()) {
            case STRING, INTEGER, FLOAT -> true;
            case NAME -> !KEYWORDS.contains(t.text());
            case OPERATOR -> t.text().equals("[") || t.text().equals("{");
            default -> false;
        };
    }

    private Node filter() {
        Node operand = unary();
        while (atOperator("|")) {
            Token bar = next();
            String name = expectName("a filter name after '|'");
            List<Argument> arguments = atOperator("(") ? arguments() : List.of();
            operand = new Node.Filter(bar.offset(), operand, name, arguments);
        }
        return operand;
    }

    private Node unary() {
        if (atOperator("-") || atOperator("+")) {
            Token op = next();
            enter(op);
            Node operand = unary();
            leave();
            if (operand instanceof Node.Literal lit && op.text().equals("-")) {
                if (lit.value() instanceof Long l) {
                    return new Node.Literal(op.offset(), -l);
                }
                if (lit.value() instanceof Double d) {
                    return new Node.Literal(op.offset(), -d);
                }
            }
            return new Node.Unary(op.offset(), op.text(), operand);
        }
        return postfix(primary());
    }

    private Node postfix(Node node) {
        while (true) {
            Token t = peek();
            if (t.isOperator(".")) {
                next();
                Token name = next();
                if (name.kind() == Kind.NAME) {
                    node = new Node.Attribute(t.offset(), node, name.text());
                } else if (name.kind() == Kind.INTEGER) {
                    node = new Node.Item(t.offset(), node, new Node.Literal(name.offset(), parseInteger(name)));
                } else {
                    throw error(name, "expected an attribute name after '.', found " + describe(name));
                }
            } else if (t.isOperator("[")) {
                next();
                enter(t);
                node = subscript(t, node);
                leave();
            } else if (t.isOperator("(")) {
                node = new Node.Call(t.offset(), node, arguments());
            } else {
                return node;
            }
        }
    }

    private Node subscript(Token open, Node object) {
        Node[] parts = new Node[3];
        int part = 0;
        boolean slice = false;
        while (!atOperator("]")) {
            if (atOperator(":")) {
                next();
                slice = true;
                if (++part > 2) {
                    throw error(open, "a slice has at most three parts");
                }
            } else {
                if (parts[part] != null) {
                    throw error(peek(), "expected ':' or ']' in subscript, found " + describe(peek()));
                }
                parts[part] = expression();
            }
        }
        Token close = next();
        if (!slice) {
            if (parts[0] == null) {
                throw error(close, "empty subscript []");
            }
            return new Node.Item(open.offset(), object, parts[0]);
        }
        return new Node.Slice(open.offset(), object, parts[0], parts[1], parts[2]);
    }

    private List<Argument> arguments() {
        Token open = expectOperator("(", "to open the argument list");
        enter(open);
        List<Argument> arguments = new ArrayList<>();
        boolean sawKeyword = false;
        while (!atOperator(")")) {
            Token t = peek();
            if (t.isOperator("**")) {
                next();
                arguments.add(new Argument(ArgumentKind.KEYWORD_SPREAD, null, expression()));
                sawKeyword = true;
            } else if (t.isOperator("*")) {
                next();
                arguments.add(new Argument(ArgumentKind.SPREAD, null, expression()));
            } else if (t.kind() == Kind.NAME && peek(1).isOperator("=")) {
                next();
                next();
                arguments.add(new Argument(ArgumentKind.KEYWORD, t.text(), expression()));
                sawKeyword = true;
            } else {
                if (sawKeyword) {
                    throw error(t, "positional argument after a keyword argument");
                }
                arguments.add(new Argument(ArgumentKind.POSITIONAL, null, expression()));
            }
            if (!atOperator(")")) {
                expectOperator(",", "between arguments");
            }
        }
        next();
        leave();
        return List.copyOf(arguments);
    }

    private static long parseInteger(Token t) {
        try {
            return Long.parseLong(t.text());
        } catch (NumberFormatException e) {
            throw error(t, "integer literal " + t.text() + " is too large");
        }
    }

    private Node primary() {
        Token t = next();
        switch (t.kind()) {
            case INTEGER -> {
                return new Node.Literal(t.offset(), parseInteger(t));
            }
            case FLOAT -> {
                return new Node.Literal(t.offset(), Double.parseDouble(t.text()));
            }
            case STRING -> {
                // Adjacent literals join: 'a' "b" is "ab".
                StringBuilder sb = new StringBuilder(t.text());
                while (peek().kind() == Kind.STRING) {
                    sb.append(next().text());
                }
                return new Node.Literal(t.offset(), sb.toString());
            }
            case NAME -> {
                return switch (t.text()) {
                    case "true", "True" -> new Node.Literal(t.offset(), Boolean.TRUE);
                    case "false", "False" -> new Node.Literal(t.offset(), Boolean.FALSE);
                    case "none", "None" -> new Node.Literal(t.offset(), null);
                    default -> new Node.Name(t.offset(), t.text());
                };
            }
            case OPERATOR -> {
                switch (t.text()) {
                    case "(" -> {
                        enter(t);
                        if (atOperator(")")) {
                            next();
                            leave();
                            return new Node.TupleLiteral(t.offset(), List.of());
                        }
                        Node first = expression();
                        Node result = first;
                        if (atOperator(",")) {
                            List<Node> items = new ArrayList<>();
                            items.add(first);
                            while (atOperator(",")) {
                                next();
                                if (atOperator(")")) {
                                    break;
                                }
                                items.add(expression());
                            }
                            result = new Node.TupleLiteral(t.offset(), List.copyOf(items));
                        }
                        expectOperator(")", "to close '('");
                        leave();
                        return result;
                    }
                    case "[" -> {
                        enter(t);
                        List<Node> items = new ArrayList<>();
                        while (!atOperator("]")) {
                            items.add(expression());
                            if (!atOperator("]")) {
                                expectOperator(",", "between list items");
                            }
                        }
                        next();
                        leave();
                        return new Node.ListLiteral(t.offset(), List.copyOf(items));
                    }
                    case "{" -> {
                        enter(t);
                        List<Node> keys = new ArrayList<>();
                        List<Node> values = new ArrayList<>();
                        while (!atOperator("}")) {
                            keys.add(expression());
                            expectOperator(":", "between key and value");
                            values.add(expression());
                            if (!atOperator("}")) {
                                expectOperator(",", "between dict items");
                            }
                        }
                        next();
                        leave();
                        return new Node.DictLiteral(t.offset(), List.copyOf(keys), List.copyOf(values));
                    }
                    default -> {
                    }
                }
            }
            default -> {
            }
        }
        throw error(t, "expected an expression, found " + describe(t));
    }
}
