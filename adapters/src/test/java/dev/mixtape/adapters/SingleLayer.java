package dev.mixtape.adapters;

import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.nn.Layer;
import dev.mixtape.engine.nn.Linear;
import dev.mixtape.engine.nn.Module;

/** A model made of one Linear layer named {@code proj}, for tests that look at a single adapted layer. */
final class SingleLayer extends Module {
    SingleLayer(Linear proj) {
        registerModule("proj", proj);
    }

    Tensor forward(Tensor x) {
        return ((Layer) child("proj")).forward(x);
    }

    /** The layer now in place: the Linear, or the LoraLinear that replaced it. */
    Module proj() {
        return child("proj");
    }
}
