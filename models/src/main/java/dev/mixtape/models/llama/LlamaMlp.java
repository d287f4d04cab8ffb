package dev.mixtape.models.llama;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.F;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.nn.Linear;
import dev.mixtape.engine.nn.Module;

/** The SwiGLU feed-forward of one decoder block: {@code down_proj(silu(gate_proj(x)) ⊙ up_proj(x))}. */
final class LlamaMlp extends Module {
    private final Linear gateProj;
    private final Linear upProj;
    private final Linear downProj;

    LlamaMlp(LlamaConfig config, Backend backend, Rng rng) {
        gateProj = registerModule("gate_proj", new Linear(backend, config.dim(), config.hiddenDim(), false, rng));
        upProj = registerModule("up_proj", new Linear(backend, config.dim(), config.hiddenDim(), false, rng));
        downProj = registerModule("down_proj", new Linear(backend, config.hiddenDim(), config.dim(), false, rng));
    }

    Tensor forward(Tensor x) {
        return downProj.forward(F.swiglu(gateProj.forward(x), upProj.forward(x)));
    }
}
