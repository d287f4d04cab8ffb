package dev.mixtape.engine.nn;

import dev.mixtape.engine.Precision;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Replacing a child module (how adapters wrap a layer) keeps names and order and changes the forward. */
class ReplaceModuleTest {

    /** A layer that doubles the wrapped layer's output, standing in for an adapter. */
    private static final class Doubled extends Module implements Layer {
        private final Linear base;

        Doubled(Linear base) {
            this.base = registerModule("base_layer", base);
        }

        @Override
        public Tensor forward(Tensor x) {
            return base.forward(x).mul(2);
        }
    }

    private static final class Net extends Module {
        Net(Rng rng) {
            registerModule("first", new Linear(Precision.vectorF32().backend(), 3, 3, false, rng));
            registerModule("second", new Linear(Precision.vectorF32().backend(), 3, 2, false, rng));
        }

        Tensor forward(Tensor x) {
            return ((Layer) child("second")).forward(((Layer) child("first")).forward(x));
        }
    }

    @Test
    void aReplacedChildTakesPartInForwardAndNaming() {
        Net net = new Net(new Rng(1));
        Tensor x = new Rng(2).normal(Precision.vectorF32().backend(), 0, 1, 4, 3);
        float[] before = net.forward(x).toFloatArray();
        Linear second = (Linear) net.namedModules().get("second");
        net.replaceModule("second", new Doubled(second));

        float[] after = net.forward(x).toFloatArray();
        for (int i = 0; i < before.length; i++) {
            assertEquals(2 * before[i], after[i], 1e-6f);
        }
        assertEquals(List.of("first.weight", "second.base_layer.weight"), List.copyOf(net.namedParameters().keySet()));
        assertArrayEquals(second.weight().toFloatArray(), net.parameter("second.base_layer.weight").toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> net.replaceModule("third", new Doubled(second)));
    }
}
