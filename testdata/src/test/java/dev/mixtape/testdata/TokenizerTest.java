package dev.mixtape.testdata;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.tokenizer.Tokenizers;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The trained tokenizer, read by the same reader as any Hugging Face tokenizer.json. */
class TokenizerTest {
    private static final Path TOKENIZER = MakeTestdataTest.COMMITTED.resolve("tokenizer/tokenizer.json");

    @Test
    void specialTokensAndSize() throws IOException {
        Tokenizer tokenizer = Tokenizers.load(TOKENIZER);
        assertEquals(MakeTestdata.VOCAB_SIZE, tokenizer.vocabSize());
        assertEquals(0, tokenizer.bosId().orElseThrow());
        assertEquals(1, tokenizer.eosId().orElseThrow());
        int[] plain = tokenizer.encode("The cat", false);
        int[] special = tokenizer.encode("The cat", true);
        assertEquals(plain.length + 1, special.length);
        assertEquals(0, special[0]);
    }

    @Test
    void everyTextRoundTripsAndIsCompressed() throws IOException {
        Tokenizer tokenizer = Tokenizers.load(TOKENIZER);
        long characters = 0;
        long tokens = 0;
        int longestExample = 0;
        for (String text : allTexts()) {
            int[] ids = tokenizer.encode(text, false);
            assertEquals(text, tokenizer.decode(ids));
            characters += text.length();
            tokens += ids.length;
            longestExample = Math.max(longestExample, ids.length + 2);
        }
        assertTrue(characters > 3.0 * tokens, characters + " characters in " + tokens + " tokens");
        assertTrue(longestExample <= 64, "longest text with BOS and EOS: " + longestExample + " tokens");
    }

    @Test
    void frequentWordsAreSingleTokensAndWordsAreTokenisedApart() throws IOException {
        Tokenizer tokenizer = Tokenizers.load(TOKENIZER);
        for (String word : List.of("Answer", "Reverse", " the", " capital", " people")) {
            assertEquals(1, tokenizer.encode(word, false).length, word);
        }
        int[] joined = Stream.of("The", " cat", " is", " red", ".").flatMapToInt(word -> Arrays.stream(tokenizer.encode(word, false))).toArray();
        assertArrayEquals(joined, tokenizer.encode("The cat is red.", false), "words are tokenised apart");
    }

    private static List<String> allTexts() throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> texts = new ArrayList<>();
        for (String data : List.of("corpus", "tasks")) {
            try (Stream<Path> files = Files.walk(MakeTestdataTest.COMMITTED.resolve(data))) {
                for (Path file : files.filter(f -> f.toString().endsWith(".jsonl")).toList()) {
                    for (String line : Files.readAllLines(file)) {
                        JsonNode record = json.readTree(line);
                        texts.add(record.has("text") ? record.get("text").asText()
                                : record.get("prompt").asText() + record.get("completion").asText());
                    }
                }
            }
        }
        return texts;
    }
}
