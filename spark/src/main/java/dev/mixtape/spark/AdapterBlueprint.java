package dev.mixtape.spark;

import dev.mixtape.adapters.Adapter;
import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.engine.nn.Module;

import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The driver's adapter in PEFT's format, as bytes: how an executor attaches the same adapter to its
 * copy of the base model. Its weights are only a starting point; every step's broadcast replaces them.
 *
 * @param name    the adapter's name in the model
 * @param config  {@value PeftFiles#CONFIG_FILE}'s bytes
 * @param weights {@value PeftFiles#WEIGHTS_FILE}'s bytes
 */
record AdapterBlueprint(String name, byte[] config, byte[] weights) implements Serializable {

    /** {@code adapter} as {@link PeftFiles#write} writes it. */
    static AdapterBlueprint of(Adapter adapter) throws IOException {
        Path folder = Files.createTempDirectory("mixtape-adapter");
        try {
            PeftFiles.write(folder, adapter);
            return new AdapterBlueprint(adapter.name(), Files.readAllBytes(folder.resolve(PeftFiles.CONFIG_FILE)),
                    Files.readAllBytes(folder.resolve(PeftFiles.WEIGHTS_FILE)));
        } finally {
            deleteTree(folder);
        }
    }

    /** Attaches the adapter to {@code model}, as {@link PeftFiles#load} does: it becomes the only trainable part. */
    Adapter attachTo(Module model) throws IOException {
        Path folder = Files.createTempDirectory("mixtape-adapter");
        try {
            Files.write(folder.resolve(PeftFiles.CONFIG_FILE), config);
            Files.write(folder.resolve(PeftFiles.WEIGHTS_FILE), weights);
            return PeftFiles.load(folder, model, name);
        } finally {
            deleteTree(folder);
        }
    }

    /** What tells two adapters' structures apart (their name and config), not their starting weights. */
    String structure() {
        return name + "\n" + new String(config, StandardCharsets.UTF_8);
    }

    private static void deleteTree(Path folder) throws IOException {
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
