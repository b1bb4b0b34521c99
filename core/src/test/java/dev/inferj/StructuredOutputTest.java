package dev.inferj;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Constrained decoding: with models that do not know the format (random weights, and the real tiny
 * stories260K) drawing at temperature 1, every output is complete within its token budget and
 * parses and validates, for varied JSON schemas and GBNF grammars: 100 generations a model.
 */
class StructuredOutputTest {
    private static final int BUDGET = 80;
    private static final int SEEDS = 10;

    static final List<String> SCHEMAS = List.of(
            """
            {"type":"object","properties":{"name":{"type":"string","maxLength":12},"age":{"type":"integer","minimum":0,
             "maximum":120},"tags":{"type":"array","items":{"enum":["a","b","c"]},"maxItems":3},"ok":{"type":"boolean"}},
             "required":["name","age"]}""",
            """
            {"type":"array","minItems":1,"maxItems":3,"items":{"type":"object","properties":{"x":{"type":"number",
             "minimum":-5,"maximum":5},"y":{"type":["integer","null"],"exclusiveMinimum":10,"maximum":1000}},
             "required":["x"]}}""",
            """
            {"anyOf":[{"type":"string","pattern":"^[A-Z][a-z]{1,6}$"},{"type":"integer","minimum":-300,"maximum":-7},
             {"const":{"k":[1,2]}}]}""",
            """
            {"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer","minimum":0,"maximum":9},
             "kids":{"type":"array","maxItems":2,"items":{"$ref":"#/$defs/node"}}},"required":["v"]}},
             "$ref":"#/$defs/node"}""",
            """
            {"type":"object","properties":{"id":{"type":"string","pattern":"^[a-f0-9]{4}-\\\\d{2}$"},
             "code":{"type":"string","minLength":2,"maxLength":4},"level":{"enum":["low","high",3,null]}},
             "required":["id","code","level"]}""",
            """
            {"type":"object","properties":{"m":{"type":"array","minItems":2,"maxItems":2,"items":{"type":"array",
             "maxItems":2,"items":{"type":"boolean"}}},"s":{"oneOf":[{"type":"null"},{"type":"string","maxLength":3}]}},
             "required":["m","s"]}""");

    /** Grammars, with an independent check of what they produce. */
    record CheckedGrammar(String gbnf, Pattern expected) {
    }

    static final List<CheckedGrammar> GRAMMARS = List.of(
            new CheckedGrammar("""
                    root ::= expr
                    expr ::= term (("+" | "-") term){0,3}
                    term ::= [0-9]{1,3} | "(" expr ")"
                    """, null), // checked by evaluating below
            new CheckedGrammar("""
                    # a short shopping list
                    root ::= item{1,3}
                    item ::= "- " [a-z]{2,8} ( " x" [1-9] )? "\\n"
                    """, Pattern.compile("(- [a-z]{2,8}( x[1-9])?\\n){1,3}")),
            new CheckedGrammar("""
                    root ::= "answer: " ("yes" | "no" | "maybe") "."
                    """, Pattern.compile("answer: (yes|no|maybe)\\.")),
            new CheckedGrammar("""
                    root   ::= object
                    value  ::= object | array | string | number | ("true" | "false" | "null") ws
                    object ::= "{" ws ( string ":" ws value ("," ws string ":" ws value)* )? "}" ws
                    array  ::= "[" ws ( value ("," ws value)* )? "]" ws
                    string ::= "\\"" ( [^"\\\\\\x7F\\x00-\\x1F] | "\\\\" (["\\\\bfnrt] | "u" [0-9a-fA-F]{4}) )* "\\"" ws
                    number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]+)? ([eE] [-+]? [0-9] [1-9]{0,15})? ws
                    ws ::= | " " | "\\n" [ \\t]{0,20}
                    """, null)); // checked as JSON below

    @ParameterizedTest
    @ValueSource(strings = {"llama-2-tiny-random.gguf", "stories260K.gguf"})
    void everyOutputParsesAndValidates(String file) {
        try (Model m = Model.load(SharedData.model(file), ModelOptions.defaults().withContextLength(128))) {
            for (int seed = 0; seed < SEEDS; seed++) {
                for (String schema : SCHEMAS) {
                    Generation g = generate(m, seed, GenerateOptions.defaults().withJsonSchema(schema));
                    Object value = Json.parse(g.text());
                    assertNull(SchemaValidator.check(value, Json.parse(schema)), g.text() + " under " + schema);
                }
                for (CheckedGrammar grammar : GRAMMARS) {
                    Generation g = generate(m, seed, GenerateOptions.defaults().withGrammar(grammar.gbnf()));
                    if (grammar.expected() != null) {
                        assertTrue(grammar.expected().matcher(g.text()).matches(), g.text());
                    } else if (grammar.gbnf().contains("expr")) {
                        assertTrue(g.text().matches("[0-9()+-]+") && balanced(g.text()), g.text());
                    } else {
                        Json.parse(g.text());
                    }
                }
            }
        }
    }

    private static Generation generate(Model m, int seed, GenerateOptions options) {
        try (Session s = m.newSession()) {
            List<String> streamed = new ArrayList<>();
            Generation g = s.generate("Once upon a time", options.withTemperature(1f).withTopK(0).withMinP(0f)
                    .withSeed(seed).withMaxTokens(BUDGET), (id, piece) -> streamed.add(piece));
            // complete: nothing more allowed, an end-of-generation token drawn, or the budget used up complete
            assertTrue(g.stopReason() == Generation.StopReason.END_OF_GENERATION
                    || g.stopReason() == Generation.StopReason.MAX_TOKENS, g.stopReason() + ": " + g.text());
            assertEquals(g.text(), String.join("", streamed));
            return g;
        }
    }

    private static boolean balanced(String s) {
        int depth = 0;
        for (char c : s.toCharArray()) {
            depth += c == '(' ? 1 : c == ')' ? -1 : 0;
            if (depth < 0) {
                return false;
            }
        }
        return depth == 0;
    }

    @Test
    void whatCannotBeHonouredIsRefusedBeforeAnyToken() {
        try (Model m = Model.load(SharedData.model("stories260K.gguf"), ModelOptions.defaults().withContextLength(64));
                Session s = m.newSession()) {
            for (GenerateOptions bad : List.of(
                    GenerateOptions.greedy().withGrammar("root ::= \"a\" missing"),
                    GenerateOptions.greedy().withGrammar("root ::= [a-"),
                    GenerateOptions.greedy().withGrammar("root ::= root \"a\""),
                    GenerateOptions.greedy().withGrammar("start ::= \"a\""),
                    GenerateOptions.greedy().withJsonSchema("{\"type\":\"string\",\"format\":\"email\"}"),
                    GenerateOptions.greedy().withJsonSchema("{\"$ref\":\"http://example.com/s.json\"}"),
                    GenerateOptions.greedy().withJsonSchema("{not json"),
                    GenerateOptions.greedy().withMaxTokens(3).withGrammar("root ::= \"abcdef\""),
                    // maxTokens would hold it, the context (64) would not
                    GenerateOptions.greedy().withMaxTokens(100).withJsonSchema("{\"type\":\"string\",\"minLength\":70}"))) {
                GrammarException e = assertThrows(GrammarException.class, () -> s.generate("Hi", bad));
                assertTrue(!e.getMessage().isBlank());
                assertEquals(0, s.position(), "refused before the prompt ran: " + e.getMessage());
            }
        }
    }
}
