package dev.mixtape.models.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading the three JSONL kinds and plain text; errors that name the file and line. */
class DataFilesTest {
    @TempDir
    Path folder;

    @Test
    void plainTextIsOneRecordWhole() throws IOException {
        Path file = write("story.txt", "Line one.\n\nLine two.\n");
        assertEquals(List.of(new DataRecord.Text("Line one.\n\nLine two.\n", file.toString())), DataFiles.read(file));
    }

    @Test
    void jsonLinesOfEachKind() throws IOException {
        Path texts = write("t.jsonl", "{\"text\": \"a\"}\n\n{\"text\": \"b\"}\n");
        assertEquals(List.of(new DataRecord.Text("a", texts + ":1"), new DataRecord.Text("b", texts + ":3")), DataFiles.read(texts));

        Path pairs = write("p.jsonl", "{\"prompt\": \"Q\", \"completion\": \" A\"}\n");
        assertEquals(List.of(new DataRecord.PromptCompletion("Q", " A", pairs + ":1")), DataFiles.read(pairs));

        Path instructions = write("i.jsonl", """
                {"instruction": "Add.", "input": "2 + 2", "output": "4"}
                {"instruction": "Greet.", "output": "Hi"}
                """);
        List<DataRecord> records = DataFiles.read(instructions);
        assertEquals(new DataRecord.PromptCompletion("### Instruction:\nAdd.\n\n### Input:\n2 + 2\n\n### Response:\n", "4", instructions + ":1"),
                records.get(0));
        assertEquals(new DataRecord.PromptCompletion("### Instruction:\nGreet.\n\n### Response:\n", "Hi", instructions + ":2"),
                records.get(1));
    }

    @Test
    void errorsNameTheFileAndLine() throws IOException {
        assertError(write("bad.jsonl", "{\"text\": \"a\"}\n{\"text\": \"b\"\n"), ":2: not valid JSON");
        IOException cut = assertThrows(IOException.class, () -> DataFiles.read(write("cut.jsonl", "{\"text\": \"a\"}\n{\"text\": oops}\n")));
        assertTrue(cut.getMessage().contains("cut.jsonl:2: not valid JSON: ") && cut.getMessage().endsWith(" (column 10)")
                && !cut.getMessage().contains("line "), "the line is named once, as file:line: " + cut.getMessage());
        assertError(write("missing.jsonl", "{\"prompt\": \"Q\"}\n"), ":1: \"completion\" must be a string, and is missing");
        assertError(write("number.jsonl", "{\"text\": 3}\n"), ":1: \"text\" must be a string, got 3");
        assertError(write("mixed.jsonl", "{\"text\": \"a\"}\n{\"prompt\": \"Q\", \"completion\": \"A\"}\n"),
                ":2: a prompt/completion record in a file of text records");
        assertError(write("other.jsonl", "{\"question\": \"Q\"}\n"), ":1: expected \"text\"");
        assertError(write("array.jsonl", "[1, 2]\n"), ":1: expected a JSON object");
        assertError(write("empty.txt", ""), ": the file is empty");
        assertError(write("blank.jsonl", "\n\n"), ": no records in the file");
        assertError(folder.resolve("absent.jsonl"), ": no such data file");
        assertError(Files.write(folder.resolve("latin1.txt"), new byte[] {'c', 'a', 'f', (byte) 0xE9}), ": not UTF-8 text");
    }

    /** Reading {@code file} fails with a message that starts with its path followed by {@code rest}. */
    private static void assertError(Path file, String rest) {
        IOException e = assertThrows(IOException.class, () -> DataFiles.read(file));
        assertTrue(e.getMessage().startsWith(file + rest), e.getMessage());
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(folder.resolve(name), content);
    }
}
