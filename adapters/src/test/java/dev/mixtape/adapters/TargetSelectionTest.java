package dev.mixtape.adapters;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.vector.VectorBackend;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** PEFT's target_modules, layers_to_transform and rank/alpha pattern rules. */
class TargetSelectionTest {
    private final Backend backend = new VectorBackend(1);
    private final ToyModel model = new ToyModel(backend, 3, 1);

    private List<String> selected(LoraConfig.Builder config) {
        return List.copyOf(TargetSelection.select(model, config.build()).keySet());
    }

    @Test
    void listEntriesMatchWholeNamesOrDottedSuffixes() {
        assertEquals(List.of("model.layers.0.attn.q_proj", "model.layers.1.attn.q_proj", "model.layers.2.attn.q_proj"),
                selected(LoraConfig.builder(TargetModules.names("q_proj"))));
        assertEquals(List.of("model.layers.1.attn.q_proj", "model.layers.1.mlp.up_proj"),
                selected(LoraConfig.builder(TargetModules.names("model.layers.1.attn.q_proj", "1.mlp.up_proj"))));
        assertEquals(List.of("lm_head"), selected(LoraConfig.builder(TargetModules.names("lm_head"))));
    }

    @Test
    void aSuffixMustStartAtADot() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> selected(LoraConfig.builder(TargetModules.names("proj"))));
        assertTrue(e.getMessage().contains("[proj]") && e.getMessage().contains("...q_proj"), e.getMessage());
    }

    @Test
    void anEntryThatMatchesNothingIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> selected(LoraConfig.builder(TargetModules.names("q_porj", "v_proj"))));
        assertEquals("target_modules entry [q_porj] match no module; its Linear layers are named ...q_proj, ...v_proj, "
                + "...up_proj, ...down_proj, ...lm_head", e.getMessage());
    }

    @Test
    void aMatchThatIsNotALinearIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> selected(LoraConfig.builder(TargetModules.names("mlp"))));
        assertEquals("target_modules entry 'mlp' matches module 'model.layers.0.mlp', a Pair, not a Linear: "
                + "LoRA adapts Linear layers only", e.getMessage());
    }

    @Test
    void aRegexMustMatchTheWholeName() {
        assertEquals(List.of("model.layers.1.attn.v_proj", "model.layers.1.mlp.up_proj"),
                selected(LoraConfig.builder(TargetModules.regex("model\\.layers\\.1\\..*\\.(v|up)_proj"))));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> selected(LoraConfig.builder(TargetModules.regex("v_proj"))));
        assertTrue(e.getMessage().startsWith("target_modules regex 'v_proj' matches no module of ToyModel"), e.getMessage());
    }

    @Test
    void allLinearTakesEveryLinearButTheOutputHead() {
        List<String> all = selected(LoraConfig.builder(TargetModules.allLinear()));
        assertEquals(12, all.size());
        assertTrue(all.stream().noneMatch(name -> name.contains("lm_head")), all.toString());
    }

    @Test
    void layersToTransformFiltersSuffixMatchesButNotExactNames() {
        assertEquals(List.of("model.layers.0.attn.v_proj", "model.layers.2.attn.v_proj"),
                selected(LoraConfig.builder(TargetModules.names("v_proj")).layersToTransform(List.of(0, 2))));
        assertEquals(List.of("model.layers.1.mlp.down_proj", "model.layers.2.attn.q_proj"),
                selected(LoraConfig.builder(TargetModules.names("q_proj", "model.layers.1.mlp.down_proj")).layersToTransform(List.of(2))
                        .layersPattern(List.of("layers"))));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> selected(LoraConfig.builder(TargetModules.names("v_proj")).layersToTransform(List.of(7))));
        assertTrue(e.getMessage().contains("in layers [7]"), e.getMessage());
    }

    @Test
    void theLayerIndexIsTheLastNumberBetweenNames() {
        assertEquals(OptionalInt.of(12), TargetSelection.layerIndex("model.layers.12.self_attn.q_proj", List.of()));
        assertEquals(OptionalInt.of(3), TargetSelection.layerIndex("model.layers.12.experts.3.up_proj", List.of()));
        assertEquals(OptionalInt.of(12), TargetSelection.layerIndex("model.layers.12.experts.3.up_proj", List.of("layers")));
        assertEquals(OptionalInt.empty(), TargetSelection.layerIndex("lm_head", List.of()));
        // As in PEFT, the number must follow a name that itself follows a dot.
        assertEquals(OptionalInt.empty(), TargetSelection.layerIndex("layers.0.attn.q_proj", List.of()));
        assertEquals(OptionalInt.empty(), TargetSelection.layerIndex("model.h.0.attn", List.of("layers")));
    }

    @Test
    void layersToTransformNeedsAListOfNames() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LoraConfig.builder(TargetModules.allLinear()).layersToTransform(List.of(0)).build());
        assertTrue(e.getMessage().startsWith("layers_to_transform cannot be used when target_modules is a string"), e.getMessage());
    }

    @Test
    void rankAndAlphaPatternsTakeTheFirstKeyMatchingANameOrDottedSuffix() {
        LoraConfig config = LoraConfig.builder(TargetModules.names("q_proj", "v_proj")).r(8).alpha(16)
                .rankPattern(Map.of("layers\\.0\\.attn\\.q_proj", 2))
                .alphaPattern(Map.of("v_proj", 4.0))
                .build();
        assertEquals(2, config.rankFor("model.layers.0.attn.q_proj"));
        assertEquals(8, config.rankFor("model.layers.1.attn.q_proj"));
        assertEquals(8, config.rankFor("model.xlayers.0.attn.q_proj"));
        assertEquals(16 / 2.0, config.scalingFor("model.layers.0.attn.q_proj"));
        assertEquals(4 / 8.0, config.scalingFor("model.layers.2.attn.v_proj"));
        assertEquals(16 / 8.0, config.scalingFor("model.layers.2.attn.q_proj"));

        Adapter adapter = Adapters.inject(model, config, "a", new Rng(1));
        assertArrayEquals(new int[]{2, ToyModel.DIM}, adapter.namedParameters().get("model.layers.0.attn.q_proj.lora_A.a.weight").shape());
        assertEquals(8, adapter.namedParameters().get("model.layers.1.attn.q_proj.lora_A.a.weight").dim(0));
    }

    @Test
    void aSecondAdapterOnAnAdaptedLayerSharesItsWrapper() {
        Adapters.inject(model, LoraConfig.builder(TargetModules.names("q_proj")).build(), "a", new Rng(1));
        Adapter second = Adapters.inject(model, LoraConfig.builder(TargetModules.allLinear()).build(), "b", new Rng(2));
        assertEquals(12, second.layerNames().size());
        LoraLinear q = (LoraLinear) model.namedModules().get("model.layers.0.attn.q_proj");
        assertEquals(List.of("a", "b"), q.adapterNames());
        assertEquals(12, model.namedModules().values().stream().filter(m -> m instanceof LoraLinear).count());
        assertFalse(model.namedModules().get("model.layers.0.attn.q_proj.base_layer") instanceof LoraLinear);
    }
}
