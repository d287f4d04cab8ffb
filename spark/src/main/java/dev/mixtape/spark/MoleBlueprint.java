package dev.mixtape.spark;

import dev.mixtape.adapters.mole.Mole;
import dev.mixtape.adapters.mole.MoleFiles;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.train.GateTraining;
import dev.mixtape.models.train.TrainingCallback;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The driver's MoLE as the files of a MoLE folder ({@link MoleFiles}: the experts' PEFT files, the
 * gates, the config), as bytes: how an executor attaches the same experts and gates to its copy of the
 * base model, to compute the gates' gradients with MoLE's balance loss ({@link GateTraining#objectiveOf}).
 *
 * @param files each file's bytes, by its path in the folder
 */
record MoleBlueprint(LinkedHashMap<String, byte[]> files) implements ReplicaSetup {

    /** {@code mole} as {@link MoleFiles#write} writes it, its experts from {@code expertFolders}. */
    static MoleBlueprint of(Mole mole, Map<String, Path> expertFolders) throws IOException {
        return TemporaryFolder.with(folder -> {
            MoleFiles.write(folder, mole, expertFolders);
            LinkedHashMap<String, byte[]> files = new LinkedHashMap<>();
            try (Stream<Path> paths = Files.walk(folder)) {
                for (Path file : paths.filter(Files::isRegularFile).sorted().toList()) {
                    files.put(folder.relativize(file).toString(), Files.readAllBytes(file));
                }
            }
            return new MoleBlueprint(files);
        });
    }

    /** Loads the MoLE as {@link MoleFiles#load} does; the loss gains MoLE's balance term, as {@link GateTraining} adds it. */
    @Override
    public TrainingCallback attachTo(Llama model) throws IOException {
        Mole mole = TemporaryFolder.with(folder -> {
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                Path path = folder.resolve(file.getKey());
                Files.createDirectories(path.getParent());
                Files.write(path, file.getValue());
            }
            return MoleFiles.load(folder, model);
        });
        return GateTraining.objectiveOf(mole);
    }

    /** The MoLE folder's config, which names the experts with their files' hashes and holds the MoLE's settings. */
    @Override
    public String structure() {
        return new String(files.get(MoleFiles.CONFIG_FILE), StandardCharsets.UTF_8);
    }
}
