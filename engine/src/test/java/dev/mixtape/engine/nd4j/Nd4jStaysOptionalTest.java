package dev.mixtape.engine.nd4j;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ND4J is an optional dependency: only package {@code dev.mixtape.engine.nd4j} may mention it, so that
 * the rest of the engine compiles and runs without ND4J ({@code Backends} loads the ND4J backend
 * reflectively, by name).
 */
class Nd4jStaysOptionalTest {
    /** A package of ND4J or JavaCPP in an import or a qualified name (not an artifact name in a message). */
    private static final Pattern ND4J_PACKAGE = Pattern.compile("\\borg\\.(nd4j|bytedeco)\\.\\w");

    @Test
    void onlyTheNd4jPackageMentionsNd4j() throws IOException {
        Path main = Path.of("src/main/java");
        Path ownPackage = main.resolve("dev/mixtape/engine/nd4j");
        assertTrue(Files.isDirectory(ownPackage), "run from the engine module: " + ownPackage.toAbsolutePath());
        List<Path> offenders;
        try (Stream<Path> files = Files.walk(main)) {
            offenders = files.filter(f -> f.toString().endsWith(".java"))
                    .filter(f -> !f.startsWith(ownPackage))
                    .filter(Nd4jStaysOptionalTest::mentionsNd4j)
                    .toList();
        }
        assertEquals(List.of(), offenders, "sources outside dev.mixtape.engine.nd4j that use org.nd4j or org.bytedeco");
    }

    private static boolean mentionsNd4j(Path file) {
        try {
            return ND4J_PACKAGE.matcher(Files.readString(file)).find();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file, e);
        }
    }
}
