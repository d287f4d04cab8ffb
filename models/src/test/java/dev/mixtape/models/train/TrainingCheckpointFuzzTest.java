package dev.mixtape.models.train;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Backends;
import dev.mixtape.engine.FuzzedFiles;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.io.SafetensorsException;
import dev.mixtape.engine.optim.AdamW;
import dev.mixtape.engine.optim.Optimizer;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Fuzz targets of training checkpoints (docs/FUZZING.md). Restoring any bytes either succeeds or
 * fails with an {@link IOException} or a {@link SafetensorsException} naming the file; a checkpoint
 * written from fuzzer-chosen parameters, optimizer state, step and data position restores all of them
 * into fresh tensors and a fresh optimizer, bit for bit.
 */
@Timeout(10)
class TrainingCheckpointFuzzTest {
    private static final Backend BACKEND = Backends.defaultBackend();
    private static final List<Class<? extends Exception>> OWN_ERRORS = List.of(IOException.class, SafetensorsException.class);
    private static final Map<String, String> SETTINGS = Map.of("seed", "7", "batch_size", "2");

    /** Any bytes restored into two parameters of shapes [2, 3] and [3] and their AdamW. */
    @FuzzTest
    void restore(byte[] bytes) throws IOException {
        Path file = FuzzedFiles.write("checkpoint.safetensors", bytes);
        Map<String, Tensor> trainable = new LinkedHashMap<>();
        trainable.put("a", Tensor.of(BACKEND, new float[6], 2, 3));
        trainable.put("b", Tensor.of(BACKEND, new float[3], 3));
        Optimizer optimizer = new AdamW(List.copyOf(trainable.values()));
        FuzzedFiles.readOrRefuse(file, OWN_ERRORS, () -> TrainingCheckpoint.restore(file, trainable, optimizer, SETTINGS));
    }

    /** Fuzzer-chosen parameters, AdamW state (for some of them), step and position, written and restored. */
    @FuzzTest
    void writeThenRestore(FuzzedDataProvider data) throws IOException {
        Map<String, Tensor> trainable = new LinkedHashMap<>();
        Map<String, Tensor> fresh = new LinkedHashMap<>();
        Map<String, Tensor> state = new LinkedHashMap<>();
        int count = data.consumeInt(1, 3);
        for (int i = 0; i < count; i++) {
            int[] shape = {data.consumeInt(1, 3), data.consumeInt(1, 3)};
            String name = "layers." + i + "." + data.consumeString(6);
            trainable.put(name, Tensor.of(BACKEND, floats(data, shape[0] * shape[1]), shape));
            fresh.put(name, Tensor.of(BACKEND, new float[shape[0] * shape[1]], shape));
            if (data.consumeBoolean()) {
                state.put("state." + i + ".step", Tensor.of(BACKEND, new float[] {data.consumeInt(1, 1 << 24)}, 1));
                state.put("state." + i + ".exp_avg", Tensor.of(BACKEND, floats(data, shape[0] * shape[1]), shape));
                state.put("state." + i + ".exp_avg_sq", Tensor.of(BACKEND, floats(data, shape[0] * shape[1]), shape));
            }
        }
        if (trainable.size() < count) {
            return;
        }
        Optimizer optimizer = new AdamW(new ArrayList<>(trainable.values()));
        optimizer.loadState(state);
        int step = data.consumeInt(0, Integer.MAX_VALUE);
        DataPosition position = new DataPosition(data.consumeInt(0, Integer.MAX_VALUE), data.consumeInt(0, Integer.MAX_VALUE));
        Path file = FuzzedFiles.emptyFolder().resolve("checkpoint.safetensors");
        TrainingCheckpoint.write(file, trainable, optimizer, step, position, SETTINGS);

        Optimizer restoredOptimizer = new AdamW(new ArrayList<>(fresh.values()));
        TrainingCheckpoint.Resumed resumed = TrainingCheckpoint.restore(file, fresh, restoredOptimizer, SETTINGS);
        assertEquals(new TrainingCheckpoint.Resumed(step, position), resumed);
        for (String name : trainable.keySet()) {
            assertArrayEquals(trainable.get(name).toFloatArray(), fresh.get(name).toFloatArray(), name);
        }
        Map<String, Tensor> restoredState = restoredOptimizer.state();
        assertEquals(state.keySet(), restoredState.keySet());
        for (String key : state.keySet()) {
            assertArrayEquals(state.get(key).toFloatArray(), restoredState.get(key).toFloatArray(), key);
        }
    }

    private static float[] floats(FuzzedDataProvider data, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = data.consumeFloat();
        }
        return values;
    }
}
