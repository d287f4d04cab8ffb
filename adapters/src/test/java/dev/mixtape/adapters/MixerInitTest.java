package dev.mixtape.adapters;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.nn.Linear;
import dev.mixtape.engine.vector.VectorBackend;
import org.junit.jupiter.api.Test;

import static dev.mixtape.adapters.Reference.maxDifference;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MoSLoRA's mixer initialisations, and the reduction of MoSLoRA with a fixed identity mixer to LoRA. */
class MixerInitTest {
    private final Backend backend = new VectorBackend(1);

    @Test
    void kaimingMixerIsUniformInOneOverRootR() {
        int r = 64;
        float[] m = MixerInit.KAIMING.initial(backend, new Rng(1), r).toFloatArray();
        double bound = 1 / Math.sqrt(r);
        double largest = 0;
        for (float value : m) {
            largest = Math.max(largest, Math.abs(value));
        }
        assertTrue(largest <= bound && largest > 0.99 * bound, "largest |M| " + largest + " for bound " + bound);
    }

    @Test
    void orthogonalMixerIsOrthogonalAndRandom() {
        int r = 16;
        Tensor m = MixerInit.ORTHOGONAL.initial(backend, new Rng(1), r);
        float[] gram = m.transpose(0, 1).matmul(m).toFloatArray();
        float[] identity = MixerInit.IDENTITY.initial(backend, new Rng(1), r).toFloatArray();
        assertTrue(maxDifference(gram, identity) < 1e-5, "MᵀM − I: " + maxDifference(gram, identity));
        float[] other = MixerInit.ORTHOGONAL.initial(backend, new Rng(2), r).toFloatArray();
        assertTrue(maxDifference(m.toFloatArray(), other) > 0.1, "two seeds give different matrices");
        assertTrue(maxDifference(m.toFloatArray(), identity) > 0.1, "not the identity");
    }

    @Test
    void identityAndZerosAreExact() {
        float[] identity = MixerInit.IDENTITY.initial(backend, new Rng(1), 3).toFloatArray();
        assertArrayEquals(new float[]{1, 0, 0, 0, 1, 0, 0, 0, 1}, identity);
        assertArrayEquals(new float[9], MixerInit.ZEROS.initial(backend, new Rng(1), 3).toFloatArray());
    }

    /**
     * With the same draws, MoSLoRA whose mixer is the identity and held fixed computes what LoRA
     * computes, outputs and gradients alike: multiplying by I is exact in floating point.
     */
    @Test
    void mosloraWithAFixedIdentityMixerEqualsLora() {
        LoraConfig.Builder config = LoraConfig.builder(TargetModules.names("q_proj", "down_proj")).r(3).alpha(5)
                .init(LoraInit.RANDOM);
        ToyModel loraModel = new ToyModel(backend, 2, 1);
        ToyModel mosloraModel = new ToyModel(backend, 2, 1);
        Adapter lora = Adapters.inject(loraModel, config.build(), "a", new Rng(9));
        Adapter moslora = Adapters.inject(mosloraModel, config.mixer(MixerInit.IDENTITY).build(), "a", new Rng(9));
        moslora.namedParameters().forEach((name, tensor) -> {
            if (name.contains(".lora_AB.")) {
                tensor.requiresGrad(false);
            }
        });
        lora.namedParameters().forEach((name, tensor) ->
                assertArrayEquals(tensor.toFloatArray(), moslora.namedParameters().get(name).toFloatArray(), name));

        Tensor x = new Rng(3).normal(backend, 0, 1, 4, ToyModel.DIM);
        Tensor loraOut = loraModel.forward(x);
        Tensor mosloraOut = mosloraModel.forward(x);
        assertArrayEquals(loraOut.toFloatArray(), mosloraOut.toFloatArray());

        Tensor weights = new Rng(4).normal(backend, 0, 1, loraOut.shape());
        loraOut.mul(weights).sum().backward();
        mosloraOut.mul(weights).sum().backward();
        assertEquals(8, lora.parameters().size());
        lora.namedParameters().forEach((name, tensor) ->
                assertArrayEquals(tensor.grad().toFloatArray(), moslora.namedParameters().get(name).grad().toFloatArray(), name));
    }
}
