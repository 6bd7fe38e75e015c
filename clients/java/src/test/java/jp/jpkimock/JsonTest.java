package jp.jpkimock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The private JSON reader and writer. */
class JsonTest {
    @Test
    void readsEveryKindOfValue() {
        Object value = Json.parse(" {\"a\": [1, -2, 3.5, 1e3, true, false, null, \"x\"], \"b\": {}, \"c\": []} ");
        Map<?, ?> map = (Map<?, ?>) value;
        assertEquals(Arrays.asList("a", "b", "c"), new ArrayList<>(map.keySet()), "keys keep document order");
        assertEquals(Arrays.asList(1L, -2L, new BigDecimal("3.5"), new BigDecimal("1e3"), true, false, null, "x"),
            map.get("a"));
        assertEquals(Collections.emptyMap(), map.get("b"));
        assertEquals(Collections.emptyList(), map.get("c"));
    }

    @Test
    void readsNesting() {
        Map<?, ?> map = (Map<?, ?>) Json.parse("{\"a\":{\"b\":[[{\"c\":[[]]}]]}}");
        Map<?, ?> b = (Map<?, ?>) map.get("a");
        List<?> outer = (List<?>) b.get("b");
        Map<?, ?> c = (Map<?, ?>) ((List<?>) outer.get(0)).get(0);
        assertEquals(Collections.singletonList(Collections.emptyList()), c.get("c"));
        StringBuilder deep = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            deep.append('[');
        }
        for (int i = 0; i < 100; i++) {
            deep.append(']');
        }
        assertTrue(Json.parse(deep.toString()) instanceof List);
        String tooDeep = "[".repeat(Json.MAX_DEPTH + 2) + "]".repeat(Json.MAX_DEPTH + 2);
        assertThrows(IllegalArgumentException.class, () -> Json.parse(tooDeep));
    }

    @Test
    void readsNumbers() {
        assertEquals(0L, Json.parse("0"));
        assertEquals(-0L, Json.parse("-0"));
        assertEquals(16777221L, Json.parse("16777221"));
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, Json.parse("-9223372036854775808"));
        assertEquals(new BigInteger("9223372036854775808"), Json.parse("9223372036854775808"));
        assertEquals(new BigDecimal("-12.5e-3"), Json.parse("-12.5e-3"));
        assertEquals(new BigDecimal("1E+2"), Json.parse("1E+2"));
        assertEquals(0.25, ((BigDecimal) Json.parse("0.25")).doubleValue());
        for (String bad : new String[] {"01", "-", "1.", ".5", "1e", "1e+", "+1", "0x10", "1.5.2", "NaN", "Infinity", "--1"}) {
            assertThrows(IllegalArgumentException.class, () -> Json.parse(bad), bad);
        }
    }

    @Test
    void readsStringEscapes() {
        assertEquals("\" \\ / \b \f \n \r \t", Json.parse("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\""));
        assertEquals("A\u00e9\u5c71", Json.parse("\"\\u0041\\u00E9\\u5c71\""));
        assertEquals("\u0000", Json.parse("\"\\u0000\""));
        // U+1F600 as a surrogate pair of escapes, and written as it is.
        String grin = new String(Character.toChars(0x1F600));
        assertEquals(grin, Json.parse("\"\\ud83d\\ude00\""));
        assertEquals(0x1F600, ((String) Json.parse("\"\\uD83D\\uDE00\"")).codePointAt(0));
        assertEquals("山田 太郎" + grin, Json.parse("\"山田 太郎" + grin + "\""));
        for (String bad : new String[] {"\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"", "\"\\u\uff10\uff10\uff10\uff10\"",
                                        "\"a\nb\"", "\"tab\there\"", "\"\\"}) {
            assertThrows(IllegalArgumentException.class, () -> Json.parse(bad), bad);
        }
    }

    @Test
    void refusesMalformedDocuments() {
        for (String bad : new String[] {"", " ", "{", "[", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "[1 2]",
                                        "{a:1}", "{'a':1}", "tru", "nul", "[true false]", "{} {}", "1 2", "[1]]",
                                        "{\"a\":1 \"b\":2}", "\u00a0[]"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(bad),
                () -> "accepted " + bad);
            assertTrue(e.getMessage().contains("offset"), e.getMessage());
        }
    }

    @Test
    void duplicateKeysKeepTheLast() {
        assertEquals(Collections.singletonMap("a", 2L), Json.parse("{\"a\":1,\"a\":2}"));
    }

    @Test
    void writesAndReadsBack() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("name", "山田 太郎");
        map.put("quote\"back\\slash", "line\nfeed\ttab\u0001\u001f\u2028");
        map.put("n", 16777221L);
        map.put("i", 7);
        map.put("d", 2.5);
        map.put("whole", 3.0);
        map.put("big", new BigInteger("123456789012345678901234567890"));
        map.put("t", true);
        map.put("nothing", null);
        map.put("list", Arrays.asList("sign", "auth"));
        map.put("array", new Object[] {1, "two", null});
        map.put("empty", Collections.emptyMap());
        String written = Json.write(map);
        assertEquals("{\"name\":\"山田 太郎\",\"quote\\\"back\\\\slash\":\"line\\nfeed\\ttab\\u0001\\u001f\\u2028\","
            + "\"n\":16777221,\"i\":7,\"d\":2.5,\"whole\":3,\"big\":123456789012345678901234567890,\"t\":true,"
            + "\"nothing\":null,\"list\":[\"sign\",\"auth\"],\"array\":[1,\"two\",null],\"empty\":{}}", written);
        Map<?, ?> back = (Map<?, ?>) Json.parse(written);
        assertEquals(map.get("quote\"back\\slash"), back.get("quote\"back\\slash"));
        assertEquals("山田 太郎", back.get("name"));
        assertEquals(new BigDecimal("2.5"), back.get("d"));
        assertEquals(map.get("big"), back.get("big"));
        assertNull(back.get("nothing"));
        assertTrue(back.containsKey("nothing"));
        String grin = new String(Character.toChars(0x1F600));
        assertEquals(grin, Json.parse(Json.write(grin)));
    }

    @Test
    void refusesWhatJsonCannotHold() {
        assertThrows(IllegalArgumentException.class, () -> Json.write(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> Json.write(Double.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> Json.write(new Object()));
        assertThrows(IllegalArgumentException.class, () -> Json.write(Collections.singletonMap(null, 1)));
    }

    @Test
    void parsedValuesAreReadOnly() {
        Map<?, ?> map = (Map<?, ?>) Json.parse("{\"a\":[1]}");
        assertThrows(UnsupportedOperationException.class, () -> map.clear());
        assertThrows(UnsupportedOperationException.class, () -> ((List<?>) map.get("a")).clear());
    }
}
