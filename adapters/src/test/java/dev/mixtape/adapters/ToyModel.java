package dev.mixtape.adapters;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.F;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.nn.Layer;
import dev.mixtape.engine.nn.Linear;
import dev.mixtape.engine.nn.Module;
import dev.mixtape.engine.nn.ModuleList;

/**
 * A small model named like a Hugging Face Llama, for adapter tests: {@code model.layers.{i}.attn.q_proj},
 * {@code model.layers.{i}.attn.v_proj}, {@code model.layers.{i}.mlp.up_proj},
 * {@code model.layers.{i}.mlp.down_proj} and an output head {@code lm_head}. Like the Llama, it calls its layers through {@code child()},
 * so adapters that replace them take effect.
 */
final class ToyModel extends Module {
    static final int DIM = 6;
    static final int HIDDEN = 10;
    static final int OUT = 5;

    private final ModuleList<Block> layers = new ModuleList<>();

    ToyModel(Backend backend, int blocks, long seed) {
        Rng rng = new Rng(seed);
        registerModule("model", new Decoder(layers));
        for (int i = 0; i < blocks; i++) {
            layers.add(new Block(backend, rng));
        }
        registerModule("lm_head", new Linear(backend, DIM, OUT, true, rng));
    }

    /** {@code x [.., DIM]} through every block and the head: {@code [.., OUT]}. */
    Tensor forward(Tensor x) {
        for (Block block : layers) {
            x = block.forward(x);
        }
        return ((Layer) child("lm_head")).forward(x);
    }

    /** The {@code model.} part, holding the blocks as {@code layers}. */
    static final class Decoder extends Module {
        Decoder(ModuleList<Block> layers) {
            registerModule("layers", layers);
        }
    }

    static final class Block extends Module {
        Block(Backend backend, Rng rng) {
            registerModule("attn", new Pair(backend, "q_proj", DIM, DIM, "v_proj", DIM, rng));
            registerModule("mlp", new Pair(backend, "up_proj", DIM, HIDDEN, "down_proj", DIM, rng));
        }

        Tensor forward(Tensor x) {
            Tensor h = x.add(((Pair) child("attn")).forward(x));
            return h.add(((Pair) child("mlp")).forward(h));
        }
    }

    /** Two Linear layers with SiLU between them. */
    static final class Pair extends Module {
        private final String first;
        private final String second;

        Pair(Backend backend, String first, int in, int mid, String second, int out, Rng rng) {
            this.first = first;
            this.second = second;
            registerModule(first, new Linear(backend, in, mid, false, rng));
            registerModule(second, new Linear(backend, mid, out, false, rng));
        }

        Tensor forward(Tensor x) {
            Tensor h = ((Layer) child(first)).forward(x);
            return ((Layer) child(second)).forward(F.silu(h));
        }
    }
}
