package dev.inferj;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void readsEveryKindOfValue() {
        Object v = Json.parse(" {\"a\": [1, -2, 3.5, 1e3, true, false, null, \"x\"], \"b\": {}, \"c\": []} ");
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("a", java.util.Arrays.asList(1L, -2L, 3.5, 1000.0, true, false, null, "x"));
        expected.put("b", Map.of());
        expected.put("c", List.of());
        assertEquals(expected, v);
    }

    @Test
    void objectsKeepTheirKeyOrder() {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) Json.parse("{\"z\": 1, \"a\": 2, \"m\": 3}");
        assertEquals(List.of("z", "a", "m"), new ArrayList<>(m.keySet()));
    }

    @Test
    void integersAreLongsAndOtherNumbersDoubles() {
        assertEquals(9007199254740993L, Json.parse("9007199254740993"));
        assertEquals(Long.MIN_VALUE, Json.parse("-9223372036854775808"));
        assertInstanceOf(Double.class, Json.parse("92233720368547758070"));
        assertEquals(-0.0, Json.parse("-0.0"));
        assertEquals(0L, Json.parse("-0"));
        assertEquals(1.5e-7, Json.parse("1.5E-7"));
        assertEquals(0.1f, ((Double) Json.parse("0.1")).floatValue());
    }

    @Test
    void readsPythonsNonFiniteNumbers() {
        assertEquals(List.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY),
                Json.parse("[NaN, Infinity, -Infinity]"));
    }

    @Test
    void decodesEscapes() {
        assertEquals("\"\\/\b\f\n\r\t\u00e9\uD83D\uDE00", Json.parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00E9\\ud83d\\ude00\""));
        assertEquals("caf\u00e9 \u6f22", Json.parse("\"caf\u00e9 \u6f22\""));
    }

    @Test
    void refusesMalformedInput() {
        for (String bad : new String[] {"", "[1,]", "{\"a\" 1}", "{\"a\": 1,}", "\"abc", "01", "1.", "1e", "-", "[1 2]",
                "{a: 1}", "tru", "\"\\x\"", "\"\\u12\"", "\"a\nb\"", "[1] [2]", "nul", "[", "{\"a\": }"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(bad), bad);
            assertTrue(e.getMessage().contains("offset"), e.getMessage());
        }
    }

    @Test
    void refusesNestingDeeperThanItsLimit() {
        assertThrows(IllegalArgumentException.class, () -> Json.parse("[".repeat(10_000) + "]".repeat(10_000)));
        assertEquals(List.of(List.of(List.of())), Json.parse("[[[]]]"));
    }

    @Test
    void readsTenMegabytesQuickly() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; sb.length() < 10_000_000; i++) {
            sb.append(i == 0 ? "" : ",").append("{\"id\": ").append(i).append(", \"logit\": ").append(-i * 0.001234567)
                    .append(", \"piece\": \"tok\\u00e9n ").append(i).append("\", \"top\": [[1, 2.5], [3, -4.25]]}");
        }
        String text = sb.append("]").toString();
        long start = System.nanoTime();
        List<?> list = (List<?>) Json.parse(text);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(list.size() > 100_000);
        assertEquals("tok\u00e9n 7", ((Map<?, ?>) list.get(7)).get("piece"));
        assertTrue(millis < 5_000, "10 MB took " + millis + " ms");
    }

    @Test
    void nullIsNull() {
        assertNull(Json.parse("null"));
    }
}
