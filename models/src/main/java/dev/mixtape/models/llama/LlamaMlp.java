package dev.mixtape.models.llama;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.F;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.nn.Layer;
import dev.mixtape.engine.nn.Linear;
import dev.mixtape.engine.nn.Module;

/** The SwiGLU feed-forward of one decoder block: {@code down_proj(silu(gate_proj(x)) ⊙ up_proj(x))}. */
final class LlamaMlp extends Module {
    LlamaMlp(LlamaConfig config, Backend backend, Rng rng) {
        registerModule("gate_proj", new Linear(backend, config.dim(), config.hiddenDim(), false, rng));
        registerModule("up_proj", new Linear(backend, config.dim(), config.hiddenDim(), false, rng));
        registerModule("down_proj", new Linear(backend, config.hiddenDim(), config.dim(), false, rng));
    }

    Tensor forward(Tensor x) {
        Tensor[] gateAndUp = SharedInputLayers.forward(x, projection("gate_proj"), projection("up_proj"));
        return projection("down_proj").forward(F.swiglu(gateAndUp[0], gateAndUp[1]));
    }

    /** The projection registered as {@code name}: a Linear, or an adapter that replaced it. */
    private Layer projection(String name) {
        return (Layer) child(name);
    }
}
