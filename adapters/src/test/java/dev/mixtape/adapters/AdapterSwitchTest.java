package dev.mixtape.adapters;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.vector.VectorBackend;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.mixtape.adapters.Reference.maxDifference;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Several named adapters on one model: switching, "none", merging and unmerging. */
class AdapterSwitchTest {
    private final Backend backend = new VectorBackend(1);
    private final ToyModel model = new ToyModel(backend, 2, 1);
    private final Tensor x = new Rng(3).normal(backend, 0, 1, 4, ToyModel.DIM);
    private final float[] baseOutput = model.forward(x).toFloatArray();
    private final Adapter a = Adapters.inject(model,
            LoraConfig.builder(TargetModules.names("q_proj")).r(2).alpha(4).init(LoraInit.RANDOM).build(), "a", new Rng(4));
    private final float[] aOutput = model.forward(x).toFloatArray();
    private final Adapter b = Adapters.inject(model,
            LoraConfig.builder(TargetModules.names("q_proj", "up_proj")).r(3).init(LoraInit.RANDOM).mixer(MixerInit.ORTHOGONAL).build(),
            "b", new Rng(5));

    @Test
    void theLastAddedAdapterIsActiveAndOnlyItTrains() {
        assertEquals(List.of("a", "b"), Adapters.names(model));
        assertEquals(b.parameters(), model.trainableParameters());
        a.parameters().forEach(p -> assertFalse(p.requiresGrad()));
        float[] bOutput = model.forward(x).toFloatArray();
        assertTrue(maxDifference(bOutput, aOutput) > 1e-3 && maxDifference(bOutput, baseOutput) > 1e-3);
    }

    @Test
    void activatingSwitchesEveryLayerAndNoneGivesTheBaseModel() {
        float[] bOutput = model.forward(x).toFloatArray();
        a.activate();
        assertArrayEquals(aOutput, model.forward(x).toFloatArray());
        LoraLinear up = (LoraLinear) model.namedModules().get("model.layers.0.mlp.up_proj");
        assertTrue(up.activeAdapter().isEmpty(), "a layer without adapter a runs its base");
        Adapters.deactivate(model);
        assertArrayEquals(baseOutput, model.forward(x).toFloatArray());
        Adapters.get(model, "b").activate();
        assertArrayEquals(bOutput, model.forward(x).toFloatArray());
        assertEquals(b.config(), Adapters.get(model, "b").config());
    }

    @Test
    void mergingGivesTheSameOutputsAndUnmergingRestoresTheOriginalWeights() {
        float[] adapted = model.forward(x).toFloatArray();
        LoraLinear q = (LoraLinear) model.namedModules().get("model.layers.1.attn.q_proj");
        Tensor original = q.base().weight();
        float[] originalValues = original.toFloatArray();

        b.merge();
        assertTrue(b.isMerged());
        assertNotSame(original, q.base().weight());
        float[] merged = model.forward(x).toFloatArray();
        assertTrue(maxDifference(adapted, merged) < 1e-5, "merged vs adapted: " + maxDifference(adapted, merged));
        assertTrue(maxDifference(originalValues, q.base().weight().toFloatArray()) > 1e-3, "the weight changed");
        assertFalse(q.base().weight().requiresGrad());

        b.unmerge();
        assertFalse(b.isMerged());
        assertSame(original, q.base().weight());
        assertArrayEquals(originalValues, original.toFloatArray());
        assertArrayEquals(adapted, model.forward(x).toFloatArray());
    }

    @Test
    void whileMergedSwitchingTrainingAndASecondMergeAreRefused() {
        b.merge();
        assertTrue(assertThrows(IllegalStateException.class, a::activate).getMessage().contains("adapter 'b' is merged"));
        assertThrows(IllegalStateException.class, a::merge);
        assertThrows(IllegalStateException.class, () -> Adapters.deactivate(model));
        assertThrows(IllegalStateException.class, () -> model.train(new Rng(1)));
        assertThrows(IllegalStateException.class, () -> Adapters.inject(model,
                LoraConfig.builder(TargetModules.names("v_proj")).build(), "c", new Rng(1)));
        assertThrows(IllegalStateException.class, a::unmerge);
        b.unmerge();
        a.activate();
        assertArrayEquals(aOutput, model.forward(x).toFloatArray());
    }

    @Test
    void namesMustBeNewAndDotFree() {
        LoraConfig config = LoraConfig.builder(TargetModules.names("v_proj")).build();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Adapters.inject(model, config, "a", new Rng(1)))
                .getMessage().contains("already holds an adapter named 'a'"));
        assertThrows(IllegalArgumentException.class, () -> Adapters.inject(model, config, "x.y", new Rng(1)));
        assertThrows(IllegalArgumentException.class, () -> Adapters.get(model, "c"));
    }

    /**
     * Deleting b (PEFT's delete_adapter) takes its matrices out of every layer and the parameter
     * listings (what lets a server's memory return), leaves none active, and a keeps computing as
     * before; a second delete, and deleting a merged adapter, are refused.
     */
    @Test
    void deletingAnAdapterDropsItsMatricesAndKeepsTheOthers() {
        assertTrue(model.namedParameters().keySet().stream().anyMatch(name -> name.contains(".b.")), "b's matrices are listed");
        Adapters.delete(model, "b");
        assertEquals(List.of("a"), Adapters.names(model));
        assertTrue(model.namedParameters().keySet().stream().noneMatch(name -> name.contains(".b.")),
                "b's matrices are gone: " + model.namedParameters().keySet());
        assertArrayEquals(baseOutput, model.forward(x).toFloatArray(), "b was active: now none is");
        a.activate();
        assertArrayEquals(aOutput, model.forward(x).toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> Adapters.delete(model, "b"));
        a.merge();
        assertThrows(IllegalStateException.class, () -> Adapters.delete(model, "a"));
        assertEquals(List.of("a"), Adapters.names(model));
    }
}
