package dev.mixtape.models.train;

import dev.mixtape.engine.DType;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.io.SafetensorsFile;
import dev.mixtape.engine.io.SafetensorsWriter;
import dev.mixtape.engine.optim.Optimizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Everything a run needs to continue as if it had never stopped, in one safetensors file written
 * atomically (so a crash while saving leaves the previous checkpoint whole):
 * <ul>
 * <li>{@code param.<name>}: every trainable parameter (frozen ones come from the base model);</li>
 * <li>{@code optimizer.state.<i>.<buffer>}: the optimizer's {@link Optimizer#state()};</li>
 * <li>metadata: the steps taken, the data position (epoch, batch), and the settings that must be the
 *     same to resume (the data order's seed, which with the position is the whole random state, the
 *     batch size, the accumulation, the number of sequences).</li>
 * </ul>
 */
final class TrainingCheckpoint {
    private static final String PARAM = "param.";
    private static final String OPTIMIZER = "optimizer.";
    private static final String FORMAT = "mixtape-training-checkpoint-1";

    /** Where a checkpointed run stood. */
    record Resumed(int step, DataPosition position) {
    }

    private TrainingCheckpoint() {
    }

    /**
     * Writes the checkpoint.
     *
     * @param settings values that a resumed run must match, by name
     */
    static void write(Path file, Map<String, Tensor> trainable, Optimizer optimizer, int step, DataPosition position,
                      Map<String, String> settings) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        trainable.forEach((name, tensor) -> tensors.put(PARAM + name, tensor));
        optimizer.state().forEach((key, tensor) -> tensors.put(OPTIMIZER + key, tensor));
        Map<String, String> metadata = new LinkedHashMap<>(settings);
        metadata.put("format", FORMAT);
        metadata.put("step", Integer.toString(step));
        metadata.put("epoch", Integer.toString(position.epoch()));
        metadata.put("batch", Integer.toString(position.batch()));
        SafetensorsWriter.write(file, tensors, metadata, DType.F32);
    }

    /**
     * Copies the checkpoint's parameters into {@code trainable} (in place, so the optimizer keeps
     * its references) and its state into {@code optimizer}. Checks first that the file is a training
     * checkpoint made with the same {@code settings} and the same trainable parameters; errors name
     * the file (for a setting, its folder) and what differs: a setting is named with both its values.
     */
    static Resumed restore(Path file, Map<String, Tensor> trainable, Optimizer optimizer, Map<String, String> settings) throws IOException {
        try (SafetensorsFile checkpoint = SafetensorsFile.open(file)) {
            Map<String, String> metadata = checkpoint.metadata();
            if (!FORMAT.equals(metadata.get("format"))) {
                throw new IOException(file + ": not a Mixtape training checkpoint (metadata format is " + metadata.get("format") + ")");
            }
            for (Map.Entry<String, String> setting : settings.entrySet()) {
                String recorded = metadata.get(setting.getKey());
                if (!setting.getValue().equals(recorded)) {
                    throw new IOException(file.toAbsolutePath().getParent() + ": the run was made with " + setting.getKey() + " "
                            + (recorded == null ? "(not recorded)" : recorded) + ", not " + setting.getKey() + " " + setting.getValue()
                            + "; resume with the run's settings");
                }
            }
            Set<String> stored = new HashSet<>();
            Map<String, Tensor> optimizerState = new LinkedHashMap<>();
            for (String name : checkpoint.names()) {
                if (name.startsWith(PARAM)) {
                    stored.add(name.substring(PARAM.length()));
                } else if (name.startsWith(OPTIMIZER)) {
                    optimizerState.put(name.substring(OPTIMIZER.length()), checkpoint.read(name, optimizer.params().getFirst().backend()));
                }
            }
            if (!stored.equals(trainable.keySet())) {
                Set<String> missing = new HashSet<>(trainable.keySet());
                missing.removeAll(stored);
                stored.removeAll(trainable.keySet());
                throw new IOException(file + ": the trainable parameters differ from the checkpoint's; missing there: " + missing
                        + ", only there: " + stored);
            }
            for (Map.Entry<String, Tensor> entry : trainable.entrySet()) {
                int[] shape = checkpoint.info(PARAM + entry.getKey()).shape();
                if (!Arrays.equals(shape, entry.getValue().shape())) {
                    throw new IOException(file + ": parameter '" + entry.getKey() + "' has shape " + Arrays.toString(shape)
                            + " there, " + Arrays.toString(entry.getValue().shape()) + " in the model");
                }
            }
            try {
                optimizer.loadState(optimizerState);
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": " + e.getMessage(), e);
            }
            for (Map.Entry<String, Tensor> entry : trainable.entrySet()) {
                entry.getValue().assign(checkpoint.read(PARAM + entry.getKey(), entry.getValue().backend()));
            }
            return new Resumed(integer(file, metadata, "step"),
                    new DataPosition(integer(file, metadata, "epoch"), integer(file, metadata, "batch")));
        }
    }

    private static int integer(Path file, Map<String, String> metadata, String key) throws IOException {
        try {
            return Integer.parseInt(metadata.get(key));
        } catch (NumberFormatException e) {
            throw new IOException(file + ": metadata '" + key + "' is not a whole number: " + metadata.get(key), e);
        }
    }
}
