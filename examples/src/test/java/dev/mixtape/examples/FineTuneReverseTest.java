package dev.mixtape.examples;

import dev.mixtape.engine.Backends;
import dev.mixtape.models.llama.Llama;
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
 * The README's Java example runs as written: it is this module's {@link FineTuneReverse}, whose text
 * from its first import to its end the README holds character for character (the second test), and
 * which learns the task it cannot do before, writes its adapter and a merged model, and answers.
 */
class FineTuneReverseTest {
    private static final Path SOURCE = Path.of("src/main/java/dev/mixtape/examples/FineTuneReverse.java");
    private static final Path README = Path.of("..", "README.md");

    @TempDir
    Path runs;

    @Test
    void theExampleLearnsToReverseWritesItsFoldersAndAnswers() throws IOException {
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            FineTuneReverse.main(new String[] {runs.toString()});
        } finally {
            System.setOut(oldOut);
        }
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        String[] accuracy = lines.get(0).replace("accuracy ", "").split(" -> ");
        assertEquals(0.0, Double.parseDouble(accuracy[0]), 0.02, "the base model cannot do the task: " + lines);
        assertTrue(Double.parseDouble(accuracy[1]) >= 0.8, "accuracy after: " + lines);
        assertEquals(" sun dog cat", lines.get(1));
        assertTrue(Files.isRegularFile(runs.resolve("reverse/adapter_model.safetensors")));
        Llama merged = Llama.load(runs.resolve("reverse-merged"), Backends.defaultBackend());
        assertTrue(merged.namedParameters().keySet().stream().noneMatch(name -> name.contains("lora")));
    }

    @Test
    void theReadmeShowsTheExampleAsItIs() throws IOException {
        String source = Files.readString(SOURCE, StandardCharsets.UTF_8);
        String example = source.substring(source.indexOf("import "));
        String readme = Files.readString(README, StandardCharsets.UTF_8);
        assertTrue(readme.contains("```java\n" + example + "```"), "README.md's Java example differs from " + SOURCE + "; copy it over");
    }
}
