package dev.mixtape.models.train;

import dev.mixtape.engine.DType;
import dev.mixtape.engine.StepMemory;
import dev.mixtape.engine.vector.VectorBackend;
import dev.mixtape.models.train.TinyFineTuning.Run;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Fine-tuning a Llama with recycled step memory gives the very bits fine-tuning without it gives.
 * From the second step on, every op's output is a previous step's array, zeroed only where the op
 * asked for zeros: an op that asked for an array to overwrite and left part of it unwritten would
 * leak the previous step's values into this one and change the bits.
 */
class StepMemoryTrainingTest {
    @AutoClose
    private static final VectorBackend backend = new VectorBackend(2);

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"LoRA", "MoSLoRA"})
    void recycledStepsTrainToTheSameBits(String adapterKind) {
        Run plain = TinyFineTuning.train(backend, adapterKind, DType.F32, false, StepMemory.NONE, 4);
        Run recycled = TinyFineTuning.train(backend, adapterKind, DType.F32, false, backend.stepMemory(), 4);
        assertArrayEquals(plain.losses(), recycled.losses());
        assertEquals(plain.parameters().size(), recycled.parameters().size());
        for (int i = 0; i < plain.parameters().size(); i++) {
            assertArrayEquals(plain.parameters().get(i), recycled.parameters().get(i), "trainable parameter " + i);
        }
    }
}
