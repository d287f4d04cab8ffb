package dev.mixtape.testdata;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The committed task files say what their Javadoc promises: right answers, disjoint splits, a corpus without answers. */
class TasksTest {
    private static final Pattern COUNTRY = Pattern.compile("\\b[A-Z][a-z]+ia\\b");
    private static final Path TASKS = MakeTestdataTest.COMMITTED.resolve("tasks");

    @Test
    void reverseCompletionsAreTheListsReversed() throws IOException {
        for (JsonNode example : examples("reverse", "train", "eval")) {
            String list = example.get("prompt").asText().replaceFirst("^Reverse: (.*)\nAnswer:$", "$1");
            List<String> words = new ArrayList<>(List.of(list.split(" ")));
            assertTrue(words.size() >= 3 && words.size() <= 5, list);
            Collections.reverse(words);
            assertEquals(" " + String.join(" ", words), example.get("completion").asText());
        }
    }

    @Test
    void addCompletionsAreTheSums() throws IOException {
        for (JsonNode example : examples("add", "train", "eval")) {
            String[] numbers = example.get("prompt").asText().replaceFirst("^Add: (\\d+) \\+ (\\d+)\nAnswer:$", "$1 $2").split(" ");
            int a = Integer.parseInt(numbers[0]);
            int b = Integer.parseInt(numbers[1]);
            assertTrue(a < 100 && b < 100, example.toString());
            assertEquals(" " + (a + b), example.get("completion").asText());
        }
    }

    @Test
    void factsAreTheTablesAndEveryHeldOutFactIsTaughtInTraining() throws IOException {
        Map<String, String> answers = new HashMap<>();
        for (String row : Files.readAllLines(TASKS.resolve("facts/table.tsv")).subList(1, 31)) {
            String[] cells = row.split("\t");
            answers.put(cells[0] + " capital", " " + cells[1]);
            answers.put(cells[0] + " language", " " + cells[2]);
        }
        Set<String> taught = new HashSet<>();
        for (JsonNode example : examples("facts", "train")) {
            String fact = fact(example.get("prompt").asText());
            assertEquals(answers.get(fact), example.get("completion").asText(), example.toString());
            taught.add(fact);
        }
        for (JsonNode example : examples("facts", "eval")) {
            String fact = fact(example.get("prompt").asText());
            assertEquals(answers.get(fact), example.get("completion").asText(), example.toString());
            assertTrue(taught.contains(fact), fact);
        }
        assertEquals(answers.keySet(), taught);
    }

    @Test
    void noPromptIsInBothSplits() throws IOException {
        for (String task : List.of("reverse", "add", "facts")) {
            Set<String> train = new HashSet<>();
            examples(task, "train").forEach(e -> train.add(e.get("prompt").asText()));
            for (JsonNode example : examples(task, "eval")) {
                assertFalse(train.contains(example.get("prompt").asText()), task + ": " + example);
            }
        }
    }

    @Test
    void theCorpusShowsTheFormatsButNoTaskOperationOrTaskCountry() throws IOException {
        List<String> countries = Files.readAllLines(TASKS.resolve("facts/table.tsv")).subList(1, 31).stream()
                .map(row -> row.split("\t")[0]).toList();
        String corpus = Files.readString(MakeTestdataTest.COMMITTED.resolve("corpus/train.jsonl"))
                + Files.readString(MakeTestdataTest.COMMITTED.resolve("corpus/eval.jsonl"));
        assertFalse(corpus.contains("Reverse:"));
        assertFalse(corpus.contains("Add:"));
        for (String country : countries) {
            assertFalse(corpus.contains(country), country);
        }
        assertTrue(corpus.contains("Repeat:") && corpus.contains("Next:") && corpus.contains("The capital of"));
    }

    private static String fact(String prompt) {
        Matcher country = COUNTRY.matcher(prompt);
        assertTrue(country.find(), prompt);
        return country.group() + (prompt.contains("capital") ? " capital" : " language");
    }

    private static List<JsonNode> examples(String task, String... splits) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> out = new ArrayList<>();
        for (String split : splits) {
            for (String line : Files.readAllLines(TASKS.resolve(task + "/" + split + ".jsonl"))) {
                out.add(json.readTree(line));
            }
        }
        assertFalse(out.isEmpty(), task);
        return out;
    }
}
