package dev.mixtape.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The MoLE demonstration on a small budget: it ends with its JSON line of accuracies in [0, 1] for
 * every method and task, and its report holds every table row (a method or ablation dropped from
 * either fails it).
 */
class ComposeDemoTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path folder;

    @Test
    void theDemoRunsEndToEndOnASmallBudgetAndEndsWithItsJsonLine() throws IOException {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            assertEquals(0, new ComposeDemo(folder.resolve("demo"), "vector", new ComposeDemo.Budget(4, 3, 16, 6)).run());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        JsonNode result = JSON.readTree(lines.getLast());
        assertEquals(List.of("add", "reverse", "facts"), JSON.convertValue(result.get("tasks"), List.class));
        for (String method : List.of("uniform", "cat", "mole")) {
            for (String task : List.of("add", "reverse", "facts")) {
                double accuracy = result.get(method).get(task).asDouble(-1);
                assertTrue(accuracy >= 0 && accuracy <= 1, method + " " + task + ": " + accuracy);
            }
        }
        assertEquals(3, result.get("single").size());
        String report = Files.readString(folder.resolve("demo").resolve("results.md"));
        for (String row : List.of("| uniform averaging |", "| cat merge (weights 1) |", "| MoLE layer, no balance loss |",
                "| MoLE network |", "| MoLE layer, reading the experts' outputs |", "| merged adapter |")) {
            assertTrue(report.contains(row), row + " in\n" + report);
        }
    }
}
