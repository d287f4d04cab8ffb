package dev.mixtape.models.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Metaspace pre-tokenizer and decoder ({@code prepend_scheme} first and always, with and without
 * split) on a tiny tokenizer.json, against Hugging Face's own results (fixture made by
 * {@code models/src/test/fixtures/make-metaspace-fixture.mjs}).
 */
class HfBpeTokenizerMetaspaceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void placesAndRemovesTheSpaceMarkerAsHuggingFaceDoes() throws IOException {
        JsonNode fixture;
        try (InputStream in = getClass().getResourceAsStream("metaspace-fixture.json")) {
            assertTrue(in != null, "metaspace-fixture.json is on the test class path");
            fixture = JSON.readTree(in);
        }
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (JsonNode variant : fixture.path("variants")) {
            String scheme = variant.path("tokenizer").path("pre_tokenizer").path("prepend_scheme").asText();
            Tokenizer tokenizer = HfBpeTokenizer.fromJson(variant.get("tokenizer"), null, "Metaspace " + scheme);
            for (JsonNode encoding : variant.path("encodings")) {
                int[] expected = ids(encoding.path("ids"));
                int[] actual = tokenizer.encode(encoding.path("text").asText(), false);
                if (!Arrays.equals(expected, actual)) {
                    failures.add(scheme + " encode " + JSON.valueToTree(encoding.path("text").asText()) + ": expected "
                            + Arrays.toString(expected) + " got " + Arrays.toString(actual));
                }
                checked++;
            }
            for (JsonNode decoding : variant.path("decodings")) {
                String actual = tokenizer.decode(ids(decoding.path("ids")));
                if (!actual.equals(decoding.path("text").asText())) {
                    failures.add(scheme + " decode " + decoding.path("ids") + ": expected " + decoding.path("text")
                            + " got " + JSON.valueToTree(actual));
                }
                checked++;
            }
        }
        assertEquals(22, checked);
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    private static int[] ids(JsonNode array) {
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = array.get(i).asInt();
        }
        return ids;
    }
}
