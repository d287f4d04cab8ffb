package dev.mixtape.engine.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link StrictJson} refuses what the safetensors reader, the config readers and the fuzz targets rely on
 * it refusing: each case below is a text a lenient JSON reader would accept or half-read (turning off
 * one of StrictJson's features, or Jackson growing a leniency, makes its case fail).
 */
class StrictJsonTest {

    @Test
    void parsesEveryKindOfValueAndKeepsMemberOrder() throws JsonProcessingException {
        JsonNode object = StrictJson.parse(" {\"z\": [1, -2.5e3, true, false, null], \"a\": {\"s\": \"x\"}} ");

        assertEquals(List.of("z", "a"), object.properties().stream().map(java.util.Map.Entry::getKey).toList());
        assertEquals(-2500.0, object.get("z").get(1).doubleValue());
        assertTrue(object.get("z").get(4).isNull());
        assertEquals("x", object.get("a").get("s").textValue());
    }

    @Test
    void decodesEscapesIncludingSurrogatePairs() throws JsonProcessingException {
        JsonNode string = StrictJson.parse("\"q\\\"b\\\\s\\/n\\n\\t\\u00e9\\ud83d\\ude00\"");

        assertEquals("q\"b\\s/n\n\té\uD83D\uDE00", string.textValue());
    }

    @Test
    void quoteEscapesWhatJsonRequiresAndParsesBack() throws JsonProcessingException {
        String tricky = "a\"b\\c\nd\u0001é\uD83D\uDE00";

        String quoted = StrictJson.quote(tricky);

        assertEquals("\"a\\\"b\\\\c\\nd\\u0001é\uD83D\uDE00\"", quoted);
        assertEquals(tricky, StrictJson.parse(quoted).textValue());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "{", "{\"a\":1,}", "[1,]", "[1 2]", "{\"a\" 1}", "{a:1}", "01", "1.", "-", "1e",
            "\"unterminated", "\"bad \\x escape\"", "\"tab\tinside\"", "\"\\u12G4\"", "tru", "nul", "{} {}",
            "{\"a\":1,\"a\":2}", "{\"o\":{\"a\":1,\"a\":1}}", "// comment\n1", "'single'", "NaN", "[1] x"})
    void rejectsInvalidText(String text) {
        JsonProcessingException e = assertThrows(JsonProcessingException.class, () -> StrictJson.parse(text));

        String problem = StrictJson.problem(e);
        assertFalse(problem.isBlank());
        assertFalse(problem.contains("\n") || problem.contains("Source:"), problem);
    }

    @Test
    void refusesDeepNestingInsteadOfOverflowingTheStack() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);

        JsonProcessingException e = assertThrows(JsonProcessingException.class, () -> StrictJson.parse(deep));

        assertTrue(StrictJson.problem(e).contains(Integer.toString(StrictJson.MAX_DEPTH)), StrictJson.problem(e));
    }

    @Test
    void acceptsNestingUpToTheLimit() throws JsonProcessingException {
        String deepest = "[".repeat(StrictJson.MAX_DEPTH) + "]".repeat(StrictJson.MAX_DEPTH);

        JsonNode value = StrictJson.parse(deepest);

        for (int level = 1; level < StrictJson.MAX_DEPTH; level++) {
            value = value.get(0);
        }
        assertTrue(value.isArray() && value.isEmpty());
    }

    @Test
    void refusesAFileOverItsLimitBeforeReadingIt(@TempDir Path folder) throws IOException {
        Path file = Files.writeString(folder.resolve("big.json"), "[" + "0,".repeat(50) + "0]");

        IOException e = assertThrows(IOException.class, () -> StrictJson.read(file, 10));

        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    }

    @Test
    void refusesBytesInNoJsonEncoding(@TempDir Path folder) throws IOException {
        Path file = Files.write(folder.resolve("binary.json"), new byte[]{'"', (byte) 0xC3, (byte) 0x28, '"'});

        assertThrows(JsonProcessingException.class, () -> StrictJson.read(file));
    }
}
