package dev.mixtape.engine.nn;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Backends;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModuleTest {
    private static final Backend BACKEND = Backends.defaultBackend();

    /** A Llama-shaped toy: names follow Hugging Face's Llama so the test reads like the real thing. */
    static final class Attention extends Module {
        Attention(Rng rng) {
            registerModule("q_proj", new Linear(BACKEND, 4, 4, false, rng));
            registerModule("o_proj", new Linear(BACKEND, 4, 4, true, rng));
        }
    }

    static final class Block extends Module {
        Block(Rng rng) {
            registerModule("self_attn", new Attention(rng));
            registerModule("input_layernorm", new RMSNorm(BACKEND, 4, 1e-5));
        }
    }

    static final class Toy extends Module {
        final ModuleList<Block> layers;

        Toy(Rng rng) {
            registerModule("embed_tokens", new Embedding(BACKEND, 10, 4, rng));
            layers = registerModule("layers", new ModuleList<>());
            layers.add(new Block(rng));
            layers.add(new Block(rng));
            registerModule("norm", new RMSNorm(BACKEND, 4, 1e-5));
            registerParameter("scale", Tensor.of(BACKEND, new float[] {1f}, 1));
        }
    }

    @Test
    void namesAreDottedOwnParametersFirstThenChildrenInRegistrationOrder() {
        Toy toy = new Toy(new Rng(1));
        List<String> expected = List.of(
                "scale",
                "embed_tokens.weight",
                "layers.0.self_attn.q_proj.weight",
                "layers.0.self_attn.o_proj.weight",
                "layers.0.self_attn.o_proj.bias",
                "layers.0.input_layernorm.weight",
                "layers.1.self_attn.q_proj.weight",
                "layers.1.self_attn.o_proj.weight",
                "layers.1.self_attn.o_proj.bias",
                "layers.1.input_layernorm.weight",
                "norm.weight");
        assertEquals(expected, List.copyOf(toy.namedParameters().keySet()));
        assertEquals(List.copyOf(toy.namedParameters().values()), toy.parameters());
        assertEquals(List.of("", "embed_tokens", "layers", "layers.0", "layers.0.self_attn", "layers.0.self_attn.q_proj",
                        "layers.0.self_attn.o_proj", "layers.0.input_layernorm", "layers.1", "layers.1.self_attn",
                        "layers.1.self_attn.q_proj", "layers.1.self_attn.o_proj", "layers.1.input_layernorm", "norm"),
                List.copyOf(toy.namedModules().keySet()));
    }

    @Test
    void parameterByDottedNameIsTheTensorTheLayerUses() {
        Toy toy = new Toy(new Rng(2));
        Linear oProj = (Linear) toy.namedModules().get("layers.1.self_attn.o_proj");
        assertSame(oProj.weight(), toy.parameter("layers.1.self_attn.o_proj.weight"));
        assertSame(oProj.bias(), toy.parameter("layers.1.self_attn.o_proj.bias"));
        assertSame(toy.layers.get(1), toy.namedModules().get("layers.1"));
    }

    @Test
    void unknownNameSaysWhereThePathBreaks() {
        Toy toy = new Toy(new Rng(3));
        var badChild = assertThrows(IllegalArgumentException.class, () -> toy.parameter("layers.0.mlp.up_proj.weight"));
        assertTrue(badChild.getMessage().contains("'layers.0.mlp.up_proj.weight'"), badChild.getMessage());
        assertTrue(badChild.getMessage().contains("module 'layers.0'"), badChild.getMessage());
        assertTrue(badChild.getMessage().contains("[self_attn, input_layernorm]"), badChild.getMessage());

        var badLeaf = assertThrows(IllegalArgumentException.class, () -> toy.parameter("norm.bias"));
        assertTrue(badLeaf.getMessage().contains("module 'norm'") && badLeaf.getMessage().contains("[weight]"),
                badLeaf.getMessage());
        assertThrows(IllegalArgumentException.class, () -> toy.parameter("layers"));
        assertThrows(IllegalArgumentException.class, () -> toy.parameter(""));
        assertThrows(IllegalArgumentException.class, () -> toy.parameter("layers..weight"));
    }

    @Test
    void setParameterChecksTheShapeAndNamesBothShapes() {
        Toy toy = new Toy(new Rng(4));
        Tensor wrong = Tensor.zeros(BACKEND, toy.parameter("norm.weight").dtype(), 5);
        var e = assertThrows(IllegalArgumentException.class, () -> toy.setParameter("norm.weight", wrong));
        assertEquals("parameter 'norm.weight' has shape [4], cannot set a tensor of shape [5]", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> toy.setParameter("norm.nothing", wrong));
    }

    @Test
    void setParameterReplacesTheTensorUsedInForwardAndKeepsTrainability() {
        Linear linear = new Linear(BACKEND, 2, 1, false, new Rng(5));
        Tensor replacement = Tensor.of(BACKEND, new float[] {3f, -1f}, 1, 2);
        assertFalse(replacement.requiresGrad());
        linear.setParameter("weight", replacement);
        assertSame(replacement, linear.weight());
        assertTrue(replacement.requiresGrad(), "the new tensor takes over requiresGrad=true");
        // x = [2, 5]: 3·2 + (−1)·5 = 1
        assertArrayEquals(new float[] {1f}, linear.forward(Tensor.of(BACKEND, new float[] {2f, 5f}, 1, 2)).toFloatArray());

        linear.freeze();
        Tensor frozenReplacement = Tensor.of(BACKEND, new float[] {1f, 1f}, 1, 2).requiresGrad(true);
        linear.setParameter("weight", frozenReplacement);
        assertFalse(frozenReplacement.requiresGrad(), "a frozen parameter stays frozen when replaced");
    }

    @Test
    void setParameterRejectsTheOutputOfAnOp() {
        Linear linear = new Linear(BACKEND, 2, 1, false, new Rng(6));
        Tensor computed = linear.weight().mul(2.0);
        var e = assertThrows(IllegalArgumentException.class, () -> linear.setParameter("weight", computed));
        assertTrue(e.getMessage().contains("'weight'") && e.getMessage().contains("leaf"), e.getMessage());
    }

    @Test
    void registrationRejectsDuplicateAndDottedNames() {
        class Twice extends Module {
            Twice(String second) {
                registerParameter("w", Tensor.zeros(BACKEND, DType.F32, 1));
                registerModule(second, new RMSNorm(BACKEND, 1, 1e-5));
            }
        }
        var duplicate = assertThrows(IllegalArgumentException.class, () -> new Twice("w"));
        assertTrue(duplicate.getMessage().contains("'w' is already registered"), duplicate.getMessage());
        var dotted = assertThrows(IllegalArgumentException.class, () -> new Twice("a.b"));
        assertTrue(dotted.getMessage().contains("'a.b'"), dotted.getMessage());
    }

    @Test
    void registeredParametersAreTrainableAndFreezeUnfreezeSwitchThem() {
        Toy toy = new Toy(new Rng(7));
        assertEquals(toy.parameters(), toy.trainableParameters());

        toy.freeze();
        assertEquals(List.of(), toy.trainableParameters());

        toy.unfreeze();
        toy.layers.get(0).freeze();
        List<Tensor> expected = toy.namedParameters().entrySet().stream()
                .filter(e -> !e.getKey().startsWith("layers.0."))
                .map(Map.Entry::getValue)
                .toList();
        assertEquals(7, expected.size());
        assertEquals(expected, toy.trainableParameters());
    }

    @Test
    void zeroGradClearsEveryGradient() {
        Linear linear = new Linear(BACKEND, 3, 2, true, new Rng(8));
        linear.forward(Tensor.of(BACKEND, new float[] {1f, 2f, 3f}, 1, 3)).sum().backward();
        assertNotNull(linear.weight().grad());
        assertNotNull(linear.bias().grad());
        linear.zeroGrad();
        assertNull(linear.weight().grad());
        assertNull(linear.bias().grad());
    }

    @Test
    void aTiedTensorIsListedOnceUnderItsFirstName() {
        class Tied extends Module {
            Tied() {
                Rng rng = new Rng(9);
                Embedding embed = registerModule("embed_tokens", new Embedding(BACKEND, 5, 3, rng));
                registerModule("lm_head", new Linear(BACKEND, 3, 5, false, rng)).setParameter("weight", embed.weight());
            }
        }
        Tied tied = new Tied();
        assertEquals(List.of("embed_tokens.weight"), List.copyOf(tied.namedParameters().keySet()));
        assertSame(tied.parameter("embed_tokens.weight"), tied.parameter("lm_head.weight"));
    }

    @Test
    void moduleListIndexesItsChildren() {
        ModuleList<RMSNorm> list = new ModuleList<>();
        RMSNorm first = list.add(new RMSNorm(BACKEND, 2, 1e-6));
        RMSNorm second = list.add(new RMSNorm(BACKEND, 3, 1e-6));
        assertEquals(2, list.size());
        assertSame(first, list.get(0));
        assertSame(second, list.get(1));
        assertEquals(List.of(first, second), StreamSupport.stream(list.spliterator(), false).toList());
        assertEquals(List.of("0.weight", "1.weight"), List.copyOf(list.namedParameters().keySet()));
        var e = assertThrows(IndexOutOfBoundsException.class, () -> list.get(2));
        assertEquals("module index 2 outside a list of 2", e.getMessage());
    }

    /**
     * train and eval reach every descendant (a flag set on the root alone fails), eval is the default,
     * each module that draws random numbers takes one long from the generator in module order, and a
     * module refusing to train leaves every module as it was (checking while switching fails).
     */
    @Test
    void trainAndEvalSwitchEveryModuleAndARefusalChangesNone() {
        List<String> seeded = new java.util.ArrayList<>();
        class Noisy extends Module {
            final String name;
            boolean refuses;

            Noisy(String name) {
                this.name = name;
            }

            @Override
            protected void onTrain(Rng rng) {
                seeded.add(name + ":" + rng.nextLong());
            }

            @Override
            protected void checkCanTrain(String path) {
                if (refuses) {
                    throw new IllegalStateException(path + " refuses");
                }
            }
        }
        class Holder extends Module {
            final Noisy first = registerModule("first", new Noisy("first"));
            final Noisy second = registerModule("second", new Noisy("second"));
        }
        Toy toy = new Toy(new Rng(1));
        Holder holder = new Holder();
        assertTrue(toy.namedModules().values().stream().noneMatch(Module::isTraining), "evaluation mode by default");

        assertSame(toy, toy.train(new Rng(3)));
        assertTrue(toy.namedModules().values().stream().allMatch(Module::isTraining));
        toy.eval();
        assertTrue(toy.namedModules().values().stream().noneMatch(Module::isTraining));

        holder.train(new Rng(3));
        Rng expected = new Rng(3);
        assertEquals(List.of("first:" + expected.nextLong(), "second:" + expected.nextLong()), seeded);

        holder.eval();
        holder.second.refuses = true;
        var e = assertThrows(IllegalStateException.class, () -> holder.train(new Rng(3)));
        assertEquals("second refuses", e.getMessage());
        assertTrue(holder.namedModules().values().stream().noneMatch(Module::isTraining));
        assertEquals(2, seeded.size());
    }
}
