package dev.inferj.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The template language, one behaviour per test, as @huggingface/jinja renders it unless noted. */
class JinjaInterpreterTest {
    private static final LocalDateTime CLOCK = LocalDateTime.of(2024, 7, 26, 14, 5);

    static String render(String template) {
        return render(template, Map.of());
    }

    static String render(String template, Map<String, ?> variables) {
        return ChatTemplate.parse(template).render(variables, CLOCK);
    }

    static ChatTemplateException failure(String template) {
        return assertThrows(ChatTemplateException.class, () -> render(template));
    }

    private static Map<String, Object> message(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

    @Nested
    class Whitespace {
        @Test
        void oneTrailingNewlineOfTheTemplateIsDropped() {
            assertEquals("a\n", render("a\n\n"));
        }

        @Test
        void blockTagsOnTheirOwnLinesLeaveNoBlankLines() {
            assertEquals("  x\n", render("  {% if true %}\n  x\n  {% endif %}\n"));
        }

        @Test
        void expressionTagsKeepTheSpacesBeforeThem() {
            assertEquals("  1", render("  {{ 1 }}"));
        }

        @Test
        void aMinusStripsAllWhitespaceOnItsSide() {
            assertEquals("a|b", render("a \n {{- '|' -}} \n b"));
        }

        @Test
        void commentsRenderNothingAndTheirMinusStrips() {
            assertEquals("ab", render("a {#- note -#} b"));
            assertEquals("a  b", render("a {# note #} b"));
        }

        @Test
        void aMinusAfterACommentDoesNotReachTextBeforeTheComment() {
            assertEquals("a  x", render("a  {# c #}{%- if true %}x{% endif %}"));
        }

        @Test
        void rawBlocksAreText() {
            assertEquals("a{{ x }}{% if %}b", render("a{% raw %}{{ x }}{% if %}{% endraw %}b"));
        }

        @Test
        void generationTagsRenderNothing() {
            assertEquals("ab", render("a{% generation %}b{% endgeneration %}"));
        }
    }

    @Nested
    class Printing {
        @Test
        void noneAndUndefinedPrintNothing() {
            assertEquals("[][]", render("[{{ none }}][{{ missing }}]"));
        }

        @Test
        void booleansPrintLowercase() {
            assertEquals("true false", render("{{ true }} {{ False }}"));
        }

        @Test
        void floatsWithoutFractionKeepPointZero() {
            assertEquals("2.0 0.5 -0.0 3", render("{{ 4 / 2 }} {{ 0.5 }} {{ -0.0 }} {{ 3 }}"));
        }

        @Test
        void floatsPrintTheirShortestDigits() {
            assertEquals("0.30000000000000004 0.3333333333333333 1e-7", render("{{ 0.1 + 0.2 }} {{ 1 / 3 }} {{ 0.0000001 }}"));
        }

        @Test
        void listsAndDictsPrintAsJson() {
            assertEquals("[1, \"a\", null] {\"k\": [true]}", render("{{ [1, 'a', none] }} {{ {'k': [true]} }}"));
        }

        @Test
        void tildeWritesFloatsWithoutPointZero() {
            assertEquals("x2-0.5", render("{{ 'x' ~ 2.0 ~ '-' ~ 0.5 }}"));
        }

        @Test
        void plusWithAStringConcatenates() {
            assertEquals("a1true", render("{{ 'a' + 1 + true }}"));
        }
    }

    @Nested
    class Loops {
        @Test
        void loopVariablesDescribeThePosition() {
            assertEquals("1/0/3/2/T/F/3,2/1/2/1/F/F/3,3/2/1/0/F/T/3,",
                    render("{% for x in [7, 8, 9] %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.revindex0 }}/"
                            + "{{ 'T' if loop.first else 'F' }}/{{ 'T' if loop.last else 'F' }}/{{ loop.length }},{% endfor %}"));
        }

        @Test
        void previousAndNextItemsAreUndefinedAtTheEnds() {
            assertEquals("-2,1-3,2-,", render("{% for x in [1, 2, 3] %}{{ loop.previtem }}-{{ loop.nextitem }},{% endfor %}"));
        }

        @Test
        void elseRunsWhenThereIsNothingToLoopOver() {
            assertEquals("none", render("{% for x in [] %}{{ x }}{% else %}none{% endfor %}"));
        }

        @Test
        void anIfFilterDropsItemsBeforeTheLoopCounts() {
            assertEquals("2:1/2 3:2/2 ", render("{% for x in [1, 2, 3] if x > 1 %}{{ x }}:{{ loop.index }}/{{ loop.length }} {% endfor %}"));
        }

        @Test
        void breakAndContinueKeepTheTextBeforeThem() {
            assertEquals("1a2a", render("{% for x in [1, 2, 3] %}{{ x }}{% if x == 2 %}a{% break %}{% endif %}a{% endfor %}"));
            assertEquals("12x3", render("{% for x in [1, 2, 3] %}{{ x }}{% if x == 1 %}{% continue %}{% endif %}{% if x == 2 %}x{% endif %}{% endfor %}"));
        }

        @Test
        void aDictLoopsOverItsKeysAndItemsUnpack() {
            assertEquals("ab a=1;b=2;", render("{% for k in d %}{{ k }}{% endfor %} {% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}",
                    Map.of("d", new LinkedHashMap<>(Map.of("a", 1)) {{ put("b", 2); }})));
        }

        @Test
        void loopingOverUndefinedLoopsZeroTimes() {
            assertEquals("empty", render("{% for t in tools %}x{% else %}empty{% endfor %}"));
        }

        @Test
        void anAssignmentInsideALoopDoesNotLeaveIt() {
            assertEquals("0", render("{% set n = 0 %}{% for x in [1, 2] %}{% set n = n + x %}{% endfor %}{{ n }}"));
        }

        @Test
        void aNamespaceCarriesStateOutOfALoop() {
            assertEquals("3", render("{% set ns = namespace(n=0) %}{% for x in [1, 2] %}{% set ns.n = ns.n + x %}{% endfor %}{{ ns.n }}"));
        }

        @Test
        void loopCycleAlternates() {
            assertEquals("abab", render("{% for x in range(4) %}{{ loop.cycle('a', 'b') }}{% endfor %}"));
        }
    }

    @Nested
    class Statements {
        @Test
        void elifAndElseChooseOneBranch() {
            String t = "{% if n == 1 %}one{% elif n == 2 %}two{% else %}many{% endif %}";
            assertEquals("one two many", render(t, Map.of("n", 1)) + " " + render(t, Map.of("n", 2)) + " " + render(t, Map.of("n", 7)));
        }

        @Test
        void aConditionalWithoutElseIsUndefined() {
            assertEquals("[]", render("[{{ 'x' if false }}]"));
        }

        @Test
        void blockSetCapturesRenderedText() {
            assertEquals("<a1>", render("{% set x %}a{{ 1 }}{% endset %}<{{ x }}>"));
        }

        @Test
        void tupleAssignmentUnpacks() {
            assertEquals("21", render("{% set a, b = 1, 2 %}{{ b }}{{ a }}"));
        }

        @Test
        void filterBlocksFilterTheirBody() {
            assertEquals("ABC", render("{% filter upper %}abc{% endfilter %}"));
        }
    }

    @Nested
    class MacroCalls {
        @Test
        void parametersTakeDefaultsAndKeywords() {
            assertEquals("1-2-x 1-3-z", render("{% macro m(a, b=2, c='x') %}{{ a }}-{{ b }}-{{ c }}{% endmacro %}{{ m(1) }} {{ m(1, 3, c='z') }}"));
        }

        @Test
        void extraArgumentsGoToVarargsAndKwargsWhenTheBodyReadsThem() {
            assertEquals("[2, 3] {\"k\": 4}", render("{% macro m(a) %}{{ varargs }} {{ kwargs }}{% endmacro %}{{ m(1, 2, 3, k=4) }}"));
        }

        @Test
        void unknownKeywordArgumentsAreAnError() {
            assertTrue(failure("{% macro m(a) %}{% endmacro %}{{ m(1, b=2) }}").getMessage().contains("no parameter 'b'"));
        }

        @Test
        void aCallBlockIsTheMacrosCaller() {
            assertEquals("<v=5>", render("{% macro w(x) %}<{{ caller(x) }}>{% endmacro %}{% call(v) w(5) %}v={{ v }}{% endcall %}"));
        }

        @Test
        void macrosRecurse() {
            assertEquals("321", render("{% macro r(n) %}{% if n > 0 %}{{ n }}{{ r(n - 1) }}{% endif %}{% endmacro %}{{ r(3) }}"));
        }

        @Test
        void macrosSeeTheVariablesOfTheirCaller() {
            assertEquals("L", render("{% macro m() %}{{ later }}{% endmacro %}{% set later = 'L' %}{{ m() }}"));
        }
    }

    @Nested
    class FilterCalls {
        @Test
        void tojsonKeepsKeyOrderAndNonAscii() {
            assertEquals("{\"b\": 1, \"a\": \"é\\n\\\"\"}", render("{{ {'b': 1, 'a': 'é\\n\"'}|tojson }}"));
        }

        @Test
        void tojsonIndentsLikePython() {
            assertEquals("{\n  \"a\": [\n    1,\n    2\n  ],\n  \"e\": []\n}", render("{{ {'a': [1, 2], 'e': []}|tojson(indent=2) }}"));
        }

        @Test
        void tojsonWritesIntegralFloatsWithoutFraction() {
            assertEquals("[2, 2.5, null]", render("{{ [2.0, 2.5, missing]|tojson }}"));
        }

        @Test
        void tojsonOptions() {
            assertEquals("{\"a\":\"\\u00e9\",\"b\":1}", render("{{ {'b': 1, 'a': 'é'}|tojson(sort_keys=true, ensure_ascii=true, separators=(',', ':')) }}"));
        }

        @Test
        void defaultReplacesOnlyUndefinedUnlessAskedToReplaceFalsy() {
            assertEquals("d||d", render("{{ missing|default('d') }}|{{ none|d('d') }}|{{ ''|default('d', true) }}"));
        }

        @Test
        void joinWritesItemsAsTextAndNoneAsNothing() {
            assertEquals("1-2-a-true-", render("{{ [1, 2.0, 'a', true, none]|join('-') }}"));
        }

        @Test
        void mapAndSelectattrPickFromDicts() {
            List<Object> messages = List.of(message("user", "a"), message("assistant", "b"), message("user", "c"));
            assertEquals("a,c|b", render("{{ m|selectattr('role', 'equalto', 'user')|map(attribute='content')|join(',') }}|"
                    + "{{ m|rejectattr('role', 'eq', 'user')|map(attribute='content')|join }}", Map.of("m", messages)));
        }

        @Test
        void selectAndRejectApplyTests() {
            assertEquals("[1, 3] [2]", render("{{ [1, 2, 3]|select('odd')|list }} {{ [1, 2, 3]|reject('odd')|list }}"));
        }

        @Test
        void mapAppliesAFilterByName() {
            assertEquals("[\"A\", \"B\"]", render("{{ ['a', 'b']|map('upper')|list }}"));
        }

        @Test
        void itemsAndDictsortGivePairs() {
            assertEquals("[[\"b\", 1], [\"a\", 2]] [[\"a\", 2], [\"b\", 1]] [[\"b\", 1], [\"a\", 2]]",
                    render("{{ d|items }} {{ d|dictsort }} {{ d|dictsort(by='value') }}",
                            Map.of("d", new LinkedHashMap<>(Map.of("b", 1)) {{ put("a", 2); }})));
        }

        @Test
        void trimStripsWhitespaceOrTheGivenCharacters() {
            assertEquals("[a b]|[b]", render("[{{ ' \\ta b\\n '|trim }}]|[{{ 'xxbx'|trim('x') }}]"));
        }

        @Test
        void indentSkipsTheFirstAndBlankLinesByDefault() {
            assertEquals("a\n  b\n\n  c|  a\n  b", render("{{ 'a\\nb\\n\\nc'|indent(2) }}|{{ 'a\\nb'|indent(2, true) }}"));
        }

        @Test
        void replaceHonoursACount() {
            assertEquals("bba", render("{{ 'aaa'|replace('a', 'b', 2) }}"));
        }

        @Test
        void intAndFloatReadLeadingNumbersElseTheDefault() {
            assertEquals("12 0 7 3.5 3 1.0", render("{{ '12abc'|int }} {{ 'x'|int }} {{ 'x'|int(7) }} {{ '3.5kg'|float }} {{ 3.9|int }} {{ true|float }}"));
        }

        @Test
        void sortOrdersCaseInsensitivelyByDefault() {
            assertEquals("[\"a\", \"B\", \"c\"] [3, 2, 1]", render("{{ ['B', 'c', 'a']|sort }} {{ [1, 3, 2]|sort(reverse=true) }}"));
        }

        @Test
        void uniqueKeepsFirstOccurrences() {
            assertEquals("[1, 2, \"1\"]", render("{{ [1, 2, 1, '1']|unique|list }}"));
        }

        @Test
        void batchGroupsAndFills() {
            assertEquals("[[1, 2], [3, 0]]", render("{{ [1, 2, 3]|batch(2, 0) }}"));
        }

        @Test
        void firstAndLast() {
            assertEquals("1 3 true", render("{{ [1, 2, 3]|first }} {{ [1, 2, 3]|last }} {{ []|first is undefined }}"));
        }

        @Test
        void lengthOfStringsListsAndDicts() {
            assertEquals("3 2 2 0", render("{{ 'abc'|length }} {{ [1, 2]|length }} {{ {'a': 1, 'b': 2}|length }} {{ missing|length }}"));
        }

        @Test
        void stringFilterPrintsLikeOutput() {
            assertEquals("5|2.5|true|[1, \"a\"]|None", render("{{ 5|string }}|{{ 2.5|string }}|{{ true|string }}|{{ [1, 'a']|string }}|{{ none|string }}"));
        }

        @Test
        void caseFiltersFollowHuggingFace() {
            assertEquals("HELLO|hello|Hello WORLD|HELLO", render("{{ 'hello'|upper }}|{{ 'HELLO'|lower }}|{{ 'hello wORLD'|title }}|{{ 'hELLO'|capitalize }}"));
        }

        @Test
        void roundUsesHalfEvenOnTheExactValue() {
            assertEquals("2.0 2.67 3.0", render("{{ 2.5|round }} {{ 2.675|round(2) }} {{ 2.1|round(method='ceil') }}"));
        }

        @Test
        void fromJsonReadsJsonText() {
            assertEquals("Paris", render("{{ ('{\"city\": \"Paris\"}'|from_json).city }}"));
        }

        @Test
        void unknownFiltersAreAnError() {
            assertTrue(failure("{{ 1|nope }}").getMessage().contains("unknown filter 'nope'"));
        }
    }

    @Nested
    class IsTests {
        @Test
        void definedUndefinedAndNone() {
            assertEquals("false true true false", render("{{ x is defined }} {{ x is undefined }} {{ none is none }} {{ none is undefined }}"));
        }

        @Test
        void typeTests() {
            assertEquals("true true false true true", render("{{ 'a' is string }} {{ 1.5 is number }} {{ true is number }} {{ {} is mapping }} {{ false is boolean }}"));
        }

        @Test
        void aDictIsASequenceButNotIterable() {
            assertEquals("true true false true", render("{{ [] is iterable }} {{ 's' is iterable }} {{ {} is iterable }} {{ {} is sequence }}"));
        }

        @Test
        void testsTakeArgumentsWithOrWithoutParentheses() {
            assertEquals("true true false", render("{{ 6 is divisibleby(3) }} {{ 'a' is in ['a'] }} {{ 1 is sameas true }}"));
        }

        @Test
        void notNegatesATest() {
            assertEquals("true", render("{{ 'a' is not mapping }}"));
        }
    }

    @Nested
    class OperatorsAndComparisons {
        @Test
        void integerArithmeticStaysInteger() {
            assertEquals("7 1 -4 1024 0.5 3.5", render("{{ 3 + 4 }} {{ 7 % 3 }} {{ -7 // 2 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 7 / 2 }}"));
        }

        @Test
        void remainderTakesTheSignOfTheDividend() {
            assertEquals("-1", render("{{ -7 % 3 }}"));
        }

        @Test
        void divisionByZeroIsAnError() {
            assertTrue(failure("{{ 1 / 0 }}").getMessage().contains("division by zero"));
        }

        @Test
        void stringsAndListsRepeat() {
            assertEquals("ababab [0, 0]", render("{{ 'ab' * 3 }} {{ [0] * 2 }}"));
        }

        @Test
        void membership() {
            assertEquals("true true true false true", render("{{ 'b' in 'abc' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 'x' in missing }} {{ 'x' not in [] }}"));
        }

        @Test
        void equalityComparesStringsWithBooleansAsJavaScriptDoes() {
            assertEquals("true false true false", render("{{ '' == false }} {{ '' != false }} {{ '1' == 1 }} {{ '1' in [1] }}"));
        }

        @Test
        void noneEqualsUndefined() {
            assertEquals("true", render("{{ none == missing }}"));
        }

        @Test
        void andOrReturnTheirOperands() {
            assertEquals("x|[]|b", render("{{ [] or 'x' }}|{{ [] and 'x' }}|{{ 'a' and 'b' }}"));
        }

        @Test
        void precedence() {
            assertEquals("14 20 18 4 true", render("{{ 2 + 3 * 4 }} {{ (2 + 3) * 4 }} {{ 2 * 3 ** 2 }} {{ -2 ** 2 }} {{ not 1 == 2 }}"));
        }

        @Test
        void stringsCompare() {
            assertEquals("true", render("{{ 'a' < 'b' }}"));
        }
    }

    @Nested
    class Access {
        @Test
        void missingAttributesAndIndexesAreUndefined() {
            assertEquals("true true true", render("{{ d.nope is undefined }} {{ [1][5] is undefined }} {{ missing.a.b is undefined }}",
                    Map.of("d", Map.of())));
        }

        @Test
        void negativeIndexesCountFromTheEnd() {
            assertEquals("3 c", render("{{ [1, 2, 3][-1] }} {{ 'abc'[-1] }}"));
        }

        @Test
        void slicesFollowPython() {
            assertEquals("[2, 3] [3, 2, 1] cba bd [1, 3]", render("{{ [1, 2, 3][1:] }} {{ [1, 2, 3][::-1] }} {{ 'abc'[::-1] }} {{ 'abcd'[1::2] }} {{ [1, 2, 3][::2] }}"));
        }

        @Test
        void dictMethods() {
            assertEquals("1 None x [\"a\"] [1]", render("{{ d.get('a') }} {{ d.get('z')|string }} {{ d.get('z', 'x') }} {{ d.keys()|list }} {{ d.values()|list }}",
                    Map.of("d", Map.of("a", 1))));
        }
    }

    @Nested
    class StringMethods {
        @Test
        void splitFollowsPython() {
            assertEquals("[\"a\", \"\", \"b\"] [\"a\", \"b c\"] [\"x\", \"y\"] [\"a b\", \"c\"]",
                    render("{{ 'a,,b'.split(',') }} {{ 'a,b c'.split(',', 1) }} {{ '  x  y '.split() }} {{ 'a b c'.rsplit(' ', 1) }}"));
        }

        @Test
        void stripTakesCharacters() {
            assertEquals("[a]|[x\n]|b", render("[{{ '  a '.strip() }}]|[{{ '\\nx\\n'.lstrip('\\n') }}]|{{ 'aba'.strip('a') }}"));
        }

        @Test
        void startswithTakesATupleOfPrefixes() {
            assertEquals("true false", render("{{ 'hello'.startswith(('x', 'he')) }} {{ 'hello'.endswith('x') }}"));
        }

        @Test
        void replaceFindCountFormat() {
            assertEquals("xbx 2 3 a-1-b", render("{{ 'aba'.replace('a', 'x') }} {{ 'abc'.find('c') }} {{ 'aXaXa'.count('a') }} {{ '{}-{}-{k}'.format('a', 1, k='b') }}"));
        }

        @Test
        void listAppendAndPop() {
            assertEquals("[1, 2] 2 [1]", render("{% set l = [1] %}{% set _ = l.append(2) %}{{ l }} {{ l.pop() }} {{ l }}"));
        }
    }

    @Nested
    class GlobalFunctions {
        @Test
        void raiseExceptionFailsWithExactlyItsMessage() {
            ChatTemplateException e = failure("line one\n{{ raise_exception('Roles must alternate!') }}");
            assertEquals("Roles must alternate!", e.getMessage());
            assertTrue(e.raisedByTemplate());
            assertEquals(2, e.line());
        }

        @Test
        void strftimeNowUsesTheSuppliedClock() {
            assertEquals("26 Jul 2024, Friday July 26 14:05 02PM 2024-07-26",
                    render("{{ strftime_now('%d %b %Y, %A %B %-d %H:%M %I%p %Y-%m-%d') }}"));
        }

        @Test
        void rangeCountsLikePython() {
            assertEquals("[0, 1, 2] [1, 3] [3, 2, 1]", render("{{ range(3) }} {{ range(1, 5, 2) }} {{ range(3, 0, -1) }}"));
        }

        @Test
        void namespaceTakesADictOrKeywords() {
            assertEquals("1 2 {\"a\": 1}", render("{% set a = namespace({'a': 1}) %}{% set b = namespace(b=2) %}{{ a.a }} {{ b.b }} {{ a }}"));
        }

        @Test
        void callingSomethingThatIsNotAFunctionIsAnError() {
            assertTrue(failure("{{ nope() }}").getMessage().contains("cannot call 'nope'"));
        }
    }

    @Nested
    class Errors {
        @Test
        void syntaxErrorsNameLineAndColumn() {
            ChatTemplateException e = failure("hello\n{% if x %}\n{{ 1 + }}\n{% endif %}");
            assertEquals(3, e.line());
            assertEquals(8, e.column());
            assertTrue(e.getMessage().startsWith("line 3, column 8: "), e.getMessage());
            assertFalse(e.raisedByTemplate());
        }

        @Test
        void unclosedBlocksNameTheirOpening() {
            ChatTemplateException e = failure("a\n  {% for x in y %}\nb");
            assertEquals(2, e.line());
            assertTrue(e.getMessage().contains("never closed with {% endfor %}"), e.getMessage());
        }

        @Test
        void unknownStatementsAreRejected() {
            assertTrue(failure("{% include 'x' %}").getMessage().contains("unknown statement 'include'"));
        }

        @Test
        void runtimeErrorsNameTheirPlace() {
            ChatTemplateException e = failure("{% for m in [1] %}\n  {{ m + 'a' + none }}\n{% endfor %}");
            assertEquals(2, e.line());
        }

        @Test
        void unclosedStringsAndCommentsAreSyntaxErrors() {
            assertEquals(1, failure("{{ 'abc }}").line());
            assertEquals(1, failure("x {# never").line());
        }
    }

    @Nested
    class Limits {
        @Test
        void runawayLoopsStop() {
            assertTrue(failure("{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(10) %}{% endfor %}{% endfor %}{% endfor %}")
                    .getMessage().contains("loop iterations"));
        }

        @Test
        void hugeOutputStops() {
            assertTrue(failure("{% for a in range(100000) %}{{ 'x' * 100 }}{% endfor %}").getMessage().contains("longer than"));
        }

        @Test
        void exponentialStringsStop() {
            assertTrue(failure("{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}")
                    .getMessage().contains("longer than"));
        }

        @Test
        void endlessRecursionStops() {
            assertTrue(failure("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}").getMessage().contains("nested more than"));
        }

        @Test
        void deeplyNestedExpressionsAreRefusedWhenParsed() {
            assertTrue(failure("{{ " + "(".repeat(5000) + "1" + ")".repeat(5000) + " }}").getMessage().contains("nested more than"));
        }

        @Test
        void aNamespaceHoldingItselfCannotBePrinted() {
            assertTrue(failure("{% set ns = namespace() %}{% set ns.self = ns %}{{ ns }}").getMessage().contains("nested more than"));
        }

        @Test
        void hugeRangesAreRefused() {
            assertTrue(failure("{{ range(100000000)|length }}").getMessage().contains("longer than"));
        }

        @Test
        void theCallersDataIsNeverChanged() {
            List<Object> list = new ArrayList<>(List.of(1));
            render("{% set _ = l.append(2) %}", Map.of("l", list));
            assertEquals(List.of(1), list);
        }
    }
}
