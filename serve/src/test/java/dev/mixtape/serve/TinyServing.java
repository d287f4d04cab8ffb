package dev.mixtape.serve;

import dev.mixtape.adapters.Adapter;
import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.LoraConfig;
import dev.mixtape.adapters.LoraInit;
import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.adapters.TargetModules;
import dev.mixtape.adapters.mole.Mole;
import dev.mixtape.adapters.mole.MoleConfig;
import dev.mixtape.adapters.mole.MoleFiles;
import dev.mixtape.engine.Backends;
import dev.mixtape.engine.Rng;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.tokenizer.Tokenizers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The bundled tiny Llama, and adapter and MoLE folders made for it, for the serving tests. */
final class TinyServing {
    /** The bundled tiny model's HF folder (tests run in the module's folder). */
    static final Path MODEL = Path.of("..", "testdata", "src", "main", "resources", "dev", "mixtape", "testdata", "tiny-llama");

    private TinyServing() {
    }

    static Llama model() {
        try {
            return Llama.load(MODEL, Backends.create("vector"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Tokenizer tokenizer() {
        try {
            return Tokenizers.forModel(MODEL);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes a LoRA adapter with random, clearly non-zero factors (seeded by {@code seed}) on the
     * attention and MLP projections into {@code folder}, and returns the folder.
     */
    static Path adapter(Path folder, long seed) throws IOException {
        Llama llama = model();
        Adapter adapter = Adapters.inject(llama, loraConfig(), "default", new Rng(seed));
        Files.createDirectories(folder);
        PeftFiles.write(folder, adapter);
        return folder;
    }

    private static LoraConfig loraConfig() {
        return LoraConfig.builder(TargetModules.names("q_proj", "v_proj", "o_proj", "down_proj"))
                .r(4).alpha(32).init(LoraInit.RANDOM).build();
    }

    /** Writes a MoLE of two random experts (and its gates, seeded) under {@code folder}, and returns the MoLE's folder. */
    static Path mole(Path folder, long seed) throws IOException {
        Path first = adapter(folder.resolve("expert-one"), seed);
        Path second = adapter(folder.resolve("expert-two"), seed + 1);
        Llama llama = model();
        PeftFiles.load(first, llama, "one");
        PeftFiles.load(second, llama, "two");
        Mole mole = Mole.attach(llama, List.of("one", "two"), MoleConfig.builder().build());
        Path out = folder.resolve("mole");
        Files.createDirectories(out);
        MoleFiles.write(out, mole, Map.of("one", first, "two", second));
        return out;
    }
}
