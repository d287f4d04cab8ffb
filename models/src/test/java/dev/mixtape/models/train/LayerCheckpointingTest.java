package dev.mixtape.models.train;

import dev.mixtape.engine.DType;
import dev.mixtape.engine.vector.VectorBackend;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.train.TinyFineTuning.Run;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link Llama#checkpointLayers}: fine-tuning with each decoder layer checkpointed gives, step by
 * step, the very losses and adapter gradients of fine-tuning without it, bit for bit, with LoRA
 * dropout on, in recycled step memory as the trainer runs, on f32 and on Q4_0 base weights. A
 * recomputation that drew other dropout masks, summed gradients in another order, missed a
 * parameter's gradient or handed back an array still in use would change some bit or fail.
 */
class LayerCheckpointingTest {
    @AutoClose
    private static final VectorBackend backend = new VectorBackend(2);

    @ParameterizedTest(name = "{0} on {1}")
    @CsvSource({"LoRA, F32", "MoSLoRA, F32", "LoRA, Q4_0"})
    void checkpointedLayersGiveTheSameLossesAndGradients(String adapterKind, DType weights) {
        Run plain = TinyFineTuning.train(backend, adapterKind, weights, false, backend.stepMemory(), 3);
        Run checkpointed = TinyFineTuning.train(backend, adapterKind, weights, true, backend.stepMemory(), 3);
        assertArrayEquals(plain.losses(), checkpointed.losses());
        assertEquals(plain.gradients().size(), checkpointed.gradients().size());
        for (int i = 0; i < plain.gradients().size(); i++) {
            assertArrayEquals(plain.gradients().get(i), checkpointed.gradients().get(i), "gradient " + i + " (step, then parameter)");
        }
    }
}
