package dev.mixtape.engine.io;

import dev.mixtape.engine.io.JsonValue.JsonArray;
import dev.mixtape.engine.io.JsonValue.JsonBoolean;
import dev.mixtape.engine.io.JsonValue.JsonNull;
import dev.mixtape.engine.io.JsonValue.JsonNumber;
import dev.mixtape.engine.io.JsonValue.JsonObject;
import dev.mixtape.engine.io.JsonValue.JsonString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest {

    @Test
    void parsesEveryKindOfValueAndKeepsMemberOrder() {
        JsonValue value = Json.parse(" {\"z\": [1, -2.5e3, true, false, null], \"a\": {\"s\": \"x\"}} \n");

        JsonObject object = (JsonObject) value;
        assertEquals(List.of("z", "a"), List.copyOf(object.members().keySet()));
        assertEquals(new JsonArray(List.of(new JsonNumber("1"), new JsonNumber("-2.5e3"), new JsonBoolean(true),
                new JsonBoolean(false), new JsonNull())), object.members().get("z"));
        assertEquals(new JsonObject(Map.of("s", new JsonString("x"))), object.members().get("a"));
        assertEquals(-2500.0, ((JsonNumber) ((JsonArray) object.members().get("z")).elements().get(1)).doubleValue());
    }

    @Test
    void decodesEscapesIncludingSurrogatePairs() {
        JsonString string = (JsonString) Json.parse("\"q\\\"b\\\\s\\/n\\n\\t\\u00e9\\ud83d\\ude00\"");

        assertEquals("q\"b\\s/n\n\té\uD83D\uDE00", string.value());
    }

    @Test
    void quoteEscapesWhatJsonRequiresAndParsesBack() {
        String tricky = "a\"b\\c\nd\u0001é\uD83D\uDE00";

        String quoted = Json.quote(tricky);

        assertEquals("\"a\\\"b\\\\c\\nd\\u0001é\uD83D\uDE00\"", quoted);
        assertEquals(new JsonString(tricky), Json.parse(quoted));
    }

    @Test
    void exactLongOnlyForPlainIntegersThatFit() {
        assertEquals(OptionalLong.of(9007199254740993L), new JsonNumber("9007199254740993").exactLong());
        assertEquals(OptionalLong.of(-7), new JsonNumber("-7").exactLong());
        assertEquals(OptionalLong.empty(), new JsonNumber("1.0").exactLong());
        assertEquals(OptionalLong.empty(), new JsonNumber("1e3").exactLong());
        assertEquals(OptionalLong.empty(), new JsonNumber("9223372036854775808").exactLong());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{", "{\"a\":1,}", "[1,]", "[1 2]", "{\"a\" 1}", "{a:1}", "01", "1.", "-", "1e",
            "\"unterminated", "\"bad \\x escape\"", "\"tab\tinside\"", "\"\\u12G4\"", "tru", "nul", "{} {}",
            "{\"a\":1,\"a\":2}", "// comment\n1"})
    void rejectsInvalidText(String text) {
        JsonException e = assertThrows(JsonException.class, () -> Json.parse(text));

        assertTrue(e.getMessage().contains("at offset"), e.getMessage());
    }

    @Test
    void refusesDeepNestingInsteadOfOverflowingTheStack() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);

        JsonException e = assertThrows(JsonException.class, () -> Json.parse(deep));

        assertTrue(e.getMessage().contains("nesting deeper than " + JsonParser.MAX_DEPTH), e.getMessage());
    }

    @Test
    void acceptsNestingUpToTheLimit() {
        String deepest = "[".repeat(JsonParser.MAX_DEPTH) + "]".repeat(JsonParser.MAX_DEPTH);

        JsonValue value = Json.parse(deepest);

        for (int level = 1; level < JsonParser.MAX_DEPTH; level++) {
            value = ((JsonArray) value).elements().getFirst();
        }
        assertEquals(new JsonArray(List.of()), value);
    }
}
