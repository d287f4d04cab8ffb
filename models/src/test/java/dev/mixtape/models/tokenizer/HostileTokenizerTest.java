package dev.mixtape.models.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixtape.engine.SharedFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SmolLM2's real tokenizer.json with a hostile {@code Split} pre-tokenizer put first: a pattern that
 * could backtrack without end is refused when read, naming the file and the pattern; one that passes
 * that check but is slow on the input is stopped in bounded time, naming the pattern, not left to hang.
 */
class HostileTokenizerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Path withSplitFirst(String regex) throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(SharedFiles.require("tokenizers/smollm2/tokenizer.json").toFile());
        ArrayNode steps = (ArrayNode) root.path("pre_tokenizer").path("pretokenizers");
        ObjectNode split = steps.insertObject(0);
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", regex);
        split.put("behavior", "Isolated");
        split.put("invert", false);
        Path file = dir.resolve("tokenizer.json");
        JSON.writeValue(file.toFile(), root);
        return file;
    }

    /** Backreferences and groups under an unbounded or long repetition are refused when the file is read. */
    @ParameterizedTest
    @ValueSource(strings = {"(a+)+$", "(?:\\s|x)*y", "(ab){2,}", "(a|aa){1,100}b", "(\\w)\\1", "(?<w>a)\\k<w>"})
    void aPatternThatCouldBacktrackWithoutEndIsRefused(String regex) throws IOException {
        Path file = withSplitFirst(regex);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HfBpeTokenizer.load(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().endsWith(": " + regex)
                && !e.getMessage().contains("\n"), e.getMessage());
    }

    /** Bounded repetitions of a group, escaped parentheses and parentheses in a class are not mistaken for them. */
    @ParameterizedTest
    @ValueSource(strings = {"(?i:'s|'t)", "(ab)?c", "(ab){1,3}", "\\)+", "[)]+", "(?=x)y"})
    void aPatternThatRunsSafelyIsAccepted(String regex) throws IOException {
        Tokenizer tokenizer = HfBpeTokenizer.load(withSplitFirst(regex));
        String text = "Hello (world)) 123";
        assertEquals(text, tokenizer.decode(tokenizer.encode(text, false)));
    }

    /**
     * A pattern with only simple repetitions can still take polynomial time of high degree: on 3,000
     * spaces {@code \s*\s*\s*\s*\s*x} would run for days. It is stopped by its deadline and refused.
     */
    @Test
    void aPatternTooSlowForTheInputIsStoppedNamingIt() throws IOException {
        Tokenizer tokenizer = HfBpeTokenizer.load(withSplitFirst("\\s*\\s*\\s*\\s*\\s*x"));
        String text = " ".repeat(3000);
        IllegalArgumentException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> assertThrows(IllegalArgumentException.class, () -> tokenizer.encode(text, false)));
        assertEquals("the tokenizer's regex \\s*\\s*\\s*\\s*\\s*x did not finish in time on a text of 3000 characters; "
                + "Mixtape refuses a pattern it cannot run safely", e.getMessage());
    }

    /** A tokenizer.json with a second JSON value after the first is refused naming the file, not read up to the first. */
    @Test
    void aTokenizerFileWithTrailingContentIsRefused() throws IOException {
        Path file = withSplitFirst("x");
        Files.writeString(file, "{\"version\": \"1.0\"}", StandardOpenOption.APPEND);
        IOException e = assertThrows(IOException.class, () -> HfBpeTokenizer.load(file));
        assertTrue(e.getMessage().startsWith(file + ": not valid JSON: more content after the JSON value"), e.getMessage());
    }
}
