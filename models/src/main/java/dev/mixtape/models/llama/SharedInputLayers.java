package dev.mixtape.models.llama;

import dev.mixtape.engine.F;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.nn.Layer;
import dev.mixtape.engine.nn.Linear;

import java.util.Arrays;

/**
 * Several layers applied to one input: as one {@link F#linears} where every layer is a bias-free
 * {@link Linear} (so that a decoding step hands its query, key and value projections, or its gate and
 * up projections, to the backend's threads once), else each layer's own forward (an adapter in a
 * layer's place). Both give the same values.
 */
final class SharedInputLayers {
    private SharedInputLayers() {
    }

    /** Each layer's output for {@code x}, in the order given. */
    static Tensor[] forward(Tensor x, Layer... layers) {
        Tensor[] weights = new Tensor[layers.length];
        for (int i = 0; i < layers.length; i++) {
            if (!(layers[i] instanceof Linear linear) || linear.bias() != null || x.rank() == 0
                    || linear.inFeatures() != x.dim(-1)) {
                return Arrays.stream(layers).map(layer -> layer.forward(x)).toArray(Tensor[]::new);
            }
            weights[i] = linear.weight();
        }
        return F.linears(x, weights);
    }
}
