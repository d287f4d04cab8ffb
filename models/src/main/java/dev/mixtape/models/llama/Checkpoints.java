package dev.mixtape.models.llama;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens a checkpoint by what the path is: an HF folder, a {@code .gguf} file or a llama2.c {@code .bin}. */
public final class Checkpoints {
    private Checkpoints() {
    }

    /** The checkpoint at {@code path}; an error says which formats are understood. */
    public static Checkpoint open(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            return HfCheckpoint.open(path);
        }
        if (!Files.isRegularFile(path)) {
            throw new IOException(path + ": no such file or folder");
        }
        String name = path.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        if (name.endsWith(".gguf")) {
            return GgufCheckpoint.open(path);
        }
        if (name.endsWith(".bin")) {
            return Llama2cCheckpoint.open(path);
        }
        throw new IOException(path + ": unknown model format (expected a Hugging Face folder, a .gguf file or a llama2.c .bin)");
    }
}
