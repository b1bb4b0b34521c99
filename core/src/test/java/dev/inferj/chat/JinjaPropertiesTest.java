package dev.inferj.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.inferj.Json;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;

/** Properties of the interpreter over generated strings, numbers and JSON-like values. */
class JinjaPropertiesTest {
    private static final LocalDateTime CLOCK = LocalDateTime.of(2024, 7, 26, 0, 0);

    private static String render(String template, Map<String, ?> variables) {
        return ChatTemplate.parse(template).render(variables, CLOCK);
    }

    /** {@code s} as a template string literal, escaping what the lexer or the whitespace rules would change. */
    private static String literal(String s, char quote) {
        StringBuilder sb = new StringBuilder().append(quote);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\u2028' -> sb.append("\\u2028");
                case '\u2029' -> sb.append("\\u2029");
                default -> {
                    if (c == quote) {
                        sb.append('\\');
                    }
                    sb.append(c);
                }
            }
        }
        return sb.append(quote).toString();
    }

    @Property
    void anyStringLiteralRendersAsItsValue(@ForAll String s) {
        assertEquals(s, render("{{ " + literal(s, '\'') + " }}", Map.of()));
        assertEquals(s, render("{{ " + literal(s, '"') + " }}", Map.of()));
    }

    @Property
    void textWithoutBracesRendersAsItselfLessOneTrailingNewline(@ForAll String text) {
        String plain = text.replace("{", "").replace("}", "");
        String expected = plain.endsWith("\n") ? plain.substring(0, plain.length() - 1) : plain;
        assertEquals(expected, render(plain, Map.of()));
    }

    @Provide
    Arbitrary<Object> jsonValues() {
        Arbitrary<Object> leaves = Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(12).map(s -> (Object) s),
                Arbitraries.longs().map(l -> (Object) l),
                Arbitraries.of(Boolean.TRUE, Boolean.FALSE).map(b -> (Object) b),
                Arbitraries.just(null));
        return Arbitraries.recursive(() -> leaves, values -> Arbitraries.oneOf(
                values.list().ofMaxSize(4).map(l -> (Object) l),
                Arbitraries.maps(Arbitraries.strings().ofMaxLength(8), values).ofMaxSize(4).map(m -> (Object) m)), 0, 4);
    }

    @Property
    void tojsonOutputParsesBackToTheSameValue(@ForAll("jsonValues") Object value, @ForAll @IntRange(max = 4) int indent) {
        Map<String, Object> variables = new java.util.HashMap<>();
        variables.put("v", value);
        assertEquals(value, Json.parse(render("{{ v|tojson }}", variables)));
        assertEquals(value, Json.parse(render("{{ v|tojson(indent=" + indent + ") }}", variables)));
    }

    @Property
    void splitThenJoinGivesBackTheString(@ForAll String s, @ForAll @StringLength(min = 1, max = 3) String separator) {
        assertEquals(s, render("{{ s.split(sep)|join(sep) }}", Map.of("s", s, "sep", separator)));
    }

    @Property
    void integerArithmeticIsExact(@ForAll int a, @ForAll int b) {
        Map<String, Object> v = Map.of("a", a, "b", b);
        assertEquals(Long.toString((long) a + b), render("{{ a + b }}", v));
        assertEquals(Long.toString((long) a * b), render("{{ a * b }}", v));
        if (b != 0) {
            assertEquals(Long.toString(Math.floorDiv((long) a, (long) b)), render("{{ a // b }}", v));
        }
    }

    private static final String[] FRAGMENTS = {
        "{{", "}}", "{%", "%}", "{#", "#}", "{{-", "-}}", "{%-", "-%}", " ", "\n", "text", "if", "elif", "else", "endif",
        "for", "in", "endfor", "set", "endset", "macro", "endmacro", "call", "endcall", "filter", "endfilter", "break",
        "continue", "x", "m", "ns", "loop", "messages", "namespace(", "range(", "raise_exception(", "caller(", "(", ")", "[",
        "]", "{", "}", ",", ".", ":", "|", "=", "==", "!=", "<", "+", "-", "*", "**", "/", "//", "%", "~", "'a'", "\"b\"",
        "1", "2.5", "-1", "none", "true", "is", "not", "and", "or", "defined", "string", "tojson", "length", "join",
        "items", "selectattr", "map", "default", "trim", "split(", "append(", "pop(", "[::-1]", "[0]", ".role", ".content",
    };

    @Provide
    Arbitrary<String> templateSoup() {
        return Arbitraries.of(FRAGMENTS).list().ofMaxSize(40).map(parts -> String.join("", parts));
    }

    @Property(tries = 3000)
    void anyTemplateEitherRendersOrFailsWithAChatTemplateException(@ForAll("templateSoup") String template) {
        Map<String, Object> variables = Map.of("messages", List.of(Map.of("role", "user", "content", "hi")), "x", List.of(1, "a"));
        try {
            ChatTemplate.parse(template).render(variables, CLOCK);
        } catch (ChatTemplateException expected) {
            // a syntax error, a type error or a template's own refusal: all fine
        }
    }

    @Property
    void floatsPrintDigitsThatReadBackExactly(@ForAll double d) {
        if (Double.isFinite(d)) {
            assertEquals(d, Double.parseDouble(Values.jsNumber(d)), 0.0);
            assertEquals(d, Double.parseDouble(Values.formatFloat(d)), 0.0);
        }
    }
}
