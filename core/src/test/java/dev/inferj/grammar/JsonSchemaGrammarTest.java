package dev.inferj.grammar;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.GrammarException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a schema's grammar accepts, and what it refuses to translate rather than ignore. */
class JsonSchemaGrammarTest {

    private static boolean accepts(String schema, String json) {
        Grammar g = GbnfParser.parse(JsonSchemaGrammar.toGbnf(schema));
        return g.start().advance(json.codePoints().toArray()).complete();
    }

    @Test
    void keywordsItCannotHonourAreRefusedNotIgnored() {
        for (String schema : List.of(
                "{\"minimum\":0}",                                          // a bound without a type
                "{\"maxLength\":2}",
                "{\"type\":\"string\",\"enum\":[\"a\"],\"maxLength\":1}",  // enum with another constraint
                "{\"$ref\":\"#/$defs/a\",\"minimum\":1,\"$defs\":{\"a\":{\"type\":\"integer\"}}}",
                "{\"anyOf\":[{\"type\":\"string\"}],\"maxLength\":2}",
                "{\"type\":\"object\",\"required\":[\"a\"]}",             // required with no schema for it
                "{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}}",
                "{\"oneOf\":[{\"type\":\"integer\"},{\"type\":\"number\"}]}", // 5 would match both
                "{\"type\":\"array\",\"minItems\":2,\"maxItems\":0}",
                "{\"type\":\"integer\",\"minimum\":10000000000000000}",
                "{\"type\":\"integer\",\"maximum\":-1e16}",
                "{\"type\":\"string\",\"pattern\":\"^\\uD83D\\uDE00$\"}",
                "{\"type\":\"string\",\"format\":\"email\"}")) {
            assertThrows(GrammarException.class, () -> JsonSchemaGrammar.toGbnf(schema), schema);
        }
    }

    @Test
    void whatItTranslatesValidates() {
        assertTrue(accepts("{\"type\":\"string\",\"enum\":[\"a\",1]}", "\"a\""));
        assertFalse(accepts("{\"type\":\"string\",\"enum\":[\"a\",1]}", "1"), "enum values of another type are left out");
        assertTrue(accepts("{\"type\":\"object\",\"additionalProperties\":false}", "{}"));
        assertFalse(accepts("{\"type\":\"object\",\"additionalProperties\":false}", "{\"x\":1}"));
        assertTrue(accepts("{\"oneOf\":[{\"type\":\"null\"},{\"type\":\"string\"}]}", "null"));
        assertFalse(accepts("{\"type\":\"string\",\"minLength\":2}", "\"\\ud83d\\ude00\""), "surrogate escapes");
        assertTrue(accepts("{\"type\":\"string\",\"minLength\":2}", "\"\\u00e9\\u00e9\""));
        assertFalse(accepts("{\"type\":\"string\",\"pattern\":\"^.$\"}", "\"\u2028\""), ". is not a line terminator");
        assertTrue(accepts("{\"type\":\"string\",\"pattern\":\"^.$\"}", "\"x\""));
        assertTrue(accepts("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}},\"required\":[]}", "{}"));
        assertTrue(accepts("{\"type\":\"integer\",\"exclusiveMinimum\":2.5,\"exclusiveMaximum\":4}", "3"));
        assertFalse(accepts("{\"type\":\"integer\",\"exclusiveMinimum\":2.5,\"exclusiveMaximum\":4}", "4"));
        // the number widths schema generators write (Spring AI, Jackson, OpenAPI) constrain nothing
        assertTrue(accepts("{\"type\":\"integer\",\"format\":\"int32\"}", "-7"));
        assertFalse(accepts("{\"type\":\"integer\",\"format\":\"int64\"}", "1.5"));
    }
}
