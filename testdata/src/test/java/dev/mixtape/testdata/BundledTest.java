package dev.mixtape.testdata;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Bundled} finds the model and tasks through the classpath: from this module's classes folder,
 * and from a jar, where it extracts them to plain files (a loader that opened the jar's entries as
 * paths, or a cache keyed on anything but the content, fails here).
 */
class BundledTest {
    private static final Path COMMITTED = Path.of("src/main/resources/dev/mixtape/testdata");

    @TempDir
    Path folder;

    @Test
    void theModelAndTasksAreTheCommittedFiles() throws IOException {
        for (String file : List.of("config.json", "model.safetensors", "tokenizer.json")) {
            assertArrayEquals(Files.readAllBytes(COMMITTED.resolve("tiny-llama").resolve(file)), Files.readAllBytes(Bundled.tinyLlama().resolve(file)), file);
        }
        for (String task : Bundled.TASKS) {
            Bundled.Task bundled = Bundled.task(task);
            assertEquals(task, bundled.name());
            assertArrayEquals(Files.readAllBytes(COMMITTED.resolve("tasks").resolve(task).resolve("train.jsonl")), Files.readAllBytes(bundled.train()));
            assertArrayEquals(Files.readAllBytes(COMMITTED.resolve("tasks").resolve(task).resolve("eval.jsonl")), Files.readAllBytes(bundled.eval()));
        }
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> Bundled.task("sort"));
        assertEquals("no bundled task 'sort'; the tasks are add, reverse, facts", unknown.getMessage());
    }

    @Test
    void fromAJarTheyAreExtractedToPlainFilesInAFolderNamedAfterTheirContent() throws Exception {
        Path jar = jarOfBundled(folder.resolve("a.jar"), "{\"dim\": 1}");
        Path model = tinyLlamaFrom(jar);
        assertTrue(Files.isRegularFile(model.resolve("config.json")), model.toString());
        assertEquals("{\"dim\": 1}", Files.readString(model.resolve("config.json")));
        assertArrayEquals(Files.readAllBytes(COMMITTED.resolve("tasks/reverse/train.jsonl")),
                Files.readAllBytes(model.getParent().resolve("tasks/reverse/train.jsonl")));
        assertEquals(model, tinyLlamaFrom(jarOfBundled(folder.resolve("same.jar"), "{\"dim\": 1}")), "the same content, the same folder");
        assertNotEquals(model, tinyLlamaFrom(jarOfBundled(folder.resolve("b.jar"), "{\"dim\": 2}")), "other content, another folder");
    }

    /** {@link Bundled#tinyLlama()} as a class loaded from {@code jar} alone sees it. */
    private static Path tinyLlamaFrom(Path jar) throws ReflectiveOperationException, IOException {
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, ClassLoader.getPlatformClassLoader())) {
            Method tinyLlama = loader.loadClass(Bundled.class.getName()).getMethod("tinyLlama");
            try {
                return (Path) tinyLlama.invoke(null);
            } catch (InvocationTargetException e) {
                throw new AssertionError(e.getCause());
            }
        }
    }

    /** A jar of {@link Bundled}'s classes, a tiny-llama/config.json holding {@code config}, and the reverse task. */
    private static Path jarOfBundled(Path jar, String config) throws IOException {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            for (Class<?> type : List.of(Bundled.class, Bundled.Task.class)) {
                String name = type.getName().replace('.', '/') + ".class";
                out.putNextEntry(new JarEntry(name));
                try (InputStream in = Bundled.class.getClassLoader().getResourceAsStream(name)) {
                    in.transferTo(out);
                }
            }
            out.putNextEntry(new JarEntry("dev/mixtape/testdata/tiny-llama/config.json"));
            out.write(config.getBytes(StandardCharsets.UTF_8));
            out.putNextEntry(new JarEntry("dev/mixtape/testdata/tasks/reverse/train.jsonl"));
            out.write(Files.readAllBytes(COMMITTED.resolve("tasks/reverse/train.jsonl")));
        }
        return jar;
    }
}
