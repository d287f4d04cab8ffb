package dev.mixtape.spark;

import dev.mixtape.adapters.Adapter;
import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.train.TrainingCallback;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

/**
 * The driver's adapter in PEFT's format, as bytes: how an executor attaches the same adapter to its
 * copy of the base model, to compute a fine-tuning's gradients.
 *
 * @param name    the adapter's name in the model
 * @param config  {@value PeftFiles#CONFIG_FILE}'s bytes
 * @param weights {@value PeftFiles#WEIGHTS_FILE}'s bytes
 */
record AdapterBlueprint(String name, byte[] config, byte[] weights) implements ReplicaSetup {

    /** {@code adapter} as {@link PeftFiles#write} writes it. */
    static AdapterBlueprint of(Adapter adapter) throws IOException {
        return TemporaryFolder.with(folder -> {
            PeftFiles.write(folder, adapter);
            return new AdapterBlueprint(adapter.name(), Files.readAllBytes(folder.resolve(PeftFiles.CONFIG_FILE)),
                    Files.readAllBytes(folder.resolve(PeftFiles.WEIGHTS_FILE)));
        });
    }

    /** Attaches the adapter as {@link PeftFiles#load} does; a fine-tuning's loss is the next-token loss alone. */
    @Override
    public TrainingCallback attachTo(Llama model) throws IOException {
        TemporaryFolder.with(folder -> {
            Files.write(folder.resolve(PeftFiles.CONFIG_FILE), config);
            Files.write(folder.resolve(PeftFiles.WEIGHTS_FILE), weights);
            return PeftFiles.load(folder, model, name);
        });
        return new TrainingCallback() {
        };
    }

    @Override
    public String structure() {
        return name + "\n" + new String(config, StandardCharsets.UTF_8);
    }
}
