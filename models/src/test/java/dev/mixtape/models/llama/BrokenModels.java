package dev.mixtape.models.llama;

import dev.mixtape.engine.SharedFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Copies of the real stories260K model in {@code shared/}, to mutate in a test's temporary folder. */
final class BrokenModels {
    private BrokenModels() {
    }

    /** A copy of the HF folder (config.json, model.safetensors) in {@code dir}/model. */
    static Path hfFolder(Path dir) throws IOException {
        Path source = SharedFiles.require("models/stories260K/hf");
        Path copy = Files.createDirectories(dir.resolve("model"));
        for (String name : new String[] {"config.json", "model.safetensors"}) {
            Files.copy(source.resolve(name), copy.resolve(name));
        }
        return copy;
    }

    /** A copy of the HF folder whose config.json is the real one changed by {@code edit}. */
    static Path hfFolderWithConfig(Path dir, UnaryOperator<String> edit) throws IOException {
        Path folder = hfFolder(dir);
        Path config = folder.resolve("config.json");
        String original = Files.readString(config);
        String edited = edit.apply(original);
        assertFalse(edited.equals(original), "the edit changed nothing");
        Files.writeString(config, edited);
        return folder;
    }

    /** Asserts {@code message} is one line naming {@code file} and every one of {@code parts}. */
    static void assertNames(String message, Path file, String... parts) {
        assertTrue(message != null && !message.contains("\n"), "not one line: " + message);
        assertTrue(message.contains(file.toString()), "does not name " + file + ": " + message);
        for (String part : parts) {
            assertTrue(message.contains(part), "does not name '" + part + "': " + message);
        }
    }
}
