package dev.mixtape.models.llama;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Grad;
import dev.mixtape.engine.vector.VectorBackend;
import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.tokenizer.Tokenizers;
import dev.mixtape.models.train.CharacterTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A written HF folder loads back through the ordinary HF path with the same config, weights and tokenizer. */
class HfWriterTest {
    private final Backend backend = new VectorBackend(1);

    @TempDir
    Path folder;

    @Test
    void tiedAndUntiedModelsLoadBackWithIdenticalLogits() throws IOException {
        LlamaConfig untied = new LlamaConfig(16, 40, 2, 4, 2, 4, 50, 32, 1e-5, 10000, null, false, 0, 1);
        LlamaConfig tiedLlama3 = new LlamaConfig(16, 40, 1, 2, 2, 8, 50, 64, 1e-6, 500000, new RopeScaling(8, 1, 4, 16), true, 3, -1);
        for (LlamaConfig config : List.of(untied, tiedLlama3)) {
            Llama original = Llama.random(config, backend, 1);
            Path out = folder.resolve(config.tieWordEmbeddings() ? "tied" : "untied");
            HfWriter.write(original, null, out);
            try (Checkpoint checkpoint = Checkpoints.open(out)) {
                assertEquals(config, checkpoint.config());
                assertEquals(original.namedParameters().keySet().stream().sorted().toList(), checkpoint.names().stream().sorted().toList());
                Llama loaded = Llama.load(checkpoint, backend);
                int[] ids = {0, 5, 9, 7, 3};
                try (var scope = Grad.off()) {
                    assertArrayEquals(original.forward(ids, 1, ids.length).toFloatArray(), loaded.forward(ids, 1, ids.length).toFloatArray());
                }
            }
        }
    }

    @Test
    void theTokenizerAndItsConfigAreCopiedAndNoTemporaryFileRemains() throws IOException {
        Path tokenizerJson = CharacterTokenizer.write(folder.resolve("tokenizer"));
        Llama model = Llama.random(new LlamaConfig(8, 16, 1, 2, 2, 4, CharacterTokenizer.VOCAB_SIZE, 16, 1e-5, 10000, null, true, 0, 1), backend, 2);
        Path out = folder.resolve("model");
        HfWriter.write(model, tokenizerJson, out);
        HfWriter.write(model, tokenizerJson, out);

        try (Stream<Path> files = Files.list(out)) {
            assertEquals(List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"),
                    files.map(f -> f.getFileName().toString()).sorted().toList());
        }
        Tokenizer copied = Tokenizers.load(out);
        assertEquals(1, copied.eosId().orElseThrow());
        assertArrayEquals(CharacterTokenizer.create().encode("Hello", true), copied.encode("Hello", true));
        assertThrows(IllegalArgumentException.class, () -> HfWriter.write(model, folder.resolve("tok.bin"), folder.resolve("other")));
        assertFalse(Files.exists(folder.resolve("other")));
    }
}
