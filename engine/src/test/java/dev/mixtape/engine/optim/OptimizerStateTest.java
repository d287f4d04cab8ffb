package dev.mixtape.engine.optim;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Backends;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OptimizerStateTest {
    private static final Backend BACKEND = Backends.defaultBackend();

    /** Parameters a [4] and b [2, 2], plus c [3] that never gets a gradient. */
    private static List<Tensor> params(long seed) {
        Rng rng = new Rng(seed);
        return List.of(rng.normal(BACKEND, 0, 1, 4).requiresGrad(true),
                rng.normal(BACKEND, 0, 1, 2, 2).requiresGrad(true),
                rng.normal(BACKEND, 0, 1, 3).requiresGrad(true));
    }

    private static List<Tensor> copies(List<Tensor> params) {
        List<Tensor> out = new ArrayList<>();
        for (Tensor p : params) {
            out.add(p.copy().requiresGrad(true));
        }
        return out;
    }

    /** Gives a and b the gradient for step {@code step} (the same for any list of the same shapes); c gets none. */
    private static void gradients(List<Tensor> params, int step) {
        Rng rng = new Rng(1000 + step);
        TestGradients.set(params.get(0), rng.normal(4, 0, 1));
        TestGradients.set(params.get(1), rng.normal(4, 0, 1));
        params.get(2).zeroGrad();
    }

    /**
     * Steps A three times, exports, imports into B over copies of A's parameters, then steps both
     * twice more with equal gradients: their parameters must stay bit for bit equal. A third
     * optimizer over copies but without the state must differ, or the test would prove nothing.
     */
    private static void roundTrip(Function<List<Tensor>, Optimizer> make, List<String> expectedKeys) {
        List<Tensor> pa = params(5);
        Optimizer a = make.apply(pa);
        for (int step = 0; step < 3; step++) {
            gradients(pa, step);
            a.step();
        }
        Map<String, Tensor> exported = a.state();
        assertEquals(expectedKeys, List.copyOf(exported.keySet()));

        List<Tensor> pb = copies(pa);
        List<Tensor> pFresh = copies(pa);
        Optimizer b = make.apply(pb);
        b.loadState(exported);
        Optimizer fresh = make.apply(pFresh);
        for (int step = 3; step < 5; step++) {
            gradients(pa, step);
            gradients(pb, step);
            gradients(pFresh, step);
            a.step();
            b.step();
            fresh.step();
        }
        for (int i = 0; i < pa.size(); i++) {
            assertArrayEquals(pa.get(i).toFloatArray(), pb.get(i).toFloatArray(), "parameter " + i);
        }
        assertFalse(Arrays.equals(pa.get(0).toFloatArray(), pFresh.get(0).toFloatArray()),
                "without the imported state the optimizer must behave differently");
    }

    @Test
    void adamwStateRoundTripsExactly() {
        roundTrip(p -> new AdamW(p, 0.01, 0.1),
                List.of("state.0.step", "state.0.exp_avg", "state.0.exp_avg_sq",
                        "state.1.step", "state.1.exp_avg", "state.1.exp_avg_sq"));
    }

    @Test
    void sgdMomentumStateRoundTripsExactly() {
        roundTrip(p -> new SGD(p, 0.05, 0.9, 0.01, true), List.of("state.0.momentum_buffer", "state.1.momentum_buffer"));
    }

    @Test
    void exportedStateIsACopyHoldingTheStepCount() {
        List<Tensor> p = params(6);
        AdamW adamw = new AdamW(p, 0.01, 0.0);
        gradients(p, 0);
        adamw.step();
        gradients(p, 1);
        adamw.step();
        Map<String, Tensor> exported = adamw.state();
        assertEquals(2.0, exported.get("state.0.step").item());
        float[] before = exported.get("state.0.exp_avg").toFloatArray();
        adamw.step();
        assertArrayEquals(before, exported.get("state.0.exp_avg").toFloatArray());
        assertEquals(3.0, adamw.state().get("state.0.step").item());
    }

    @Test
    void loadingAnEmptyStateStartsFresh() {
        List<Tensor> p = params(7);
        AdamW adamw = new AdamW(p, 0.01, 0.0);
        gradients(p, 0);
        adamw.step();
        adamw.loadState(Map.of());
        assertEquals(Map.of(), adamw.state());
    }

    @Test
    void badStateIsRejectedNamingTheKey() {
        List<Tensor> p = params(8);
        AdamW adamw = new AdamW(p, 0.01, 0.0);
        gradients(p, 0);
        adamw.step();
        Map<String, Tensor> good = adamw.state();

        var unknown = assertThrows(IllegalArgumentException.class, () -> adamw.loadState(with(good, "state.0.momentum", good.get("state.0.step"))));
        assertTrue(unknown.getMessage().contains("'state.0.momentum'"), unknown.getMessage());
        var outOfRange = assertThrows(IllegalArgumentException.class, () -> adamw.loadState(with(good, "state.3.step", good.get("state.0.step"))));
        assertTrue(outOfRange.getMessage().contains("'state.3.step'"), outOfRange.getMessage());
        assertThrows(IllegalArgumentException.class, () -> adamw.loadState(with(good, "exp_avg", good.get("state.0.step"))));

        Map<String, Tensor> incomplete = new LinkedHashMap<>(good);
        incomplete.remove("state.1.exp_avg_sq");
        var missing = assertThrows(IllegalArgumentException.class, () -> adamw.loadState(incomplete));
        assertEquals("optimizer state for parameter 1 lacks [state.1.exp_avg_sq]", missing.getMessage());

        var shape = assertThrows(IllegalArgumentException.class,
                () -> adamw.loadState(with(good, "state.1.exp_avg", Tensor.zeros(BACKEND, DType.F32, 4))));
        assertEquals("optimizer state 'state.1.exp_avg' has shape [4], but parameter 1 has shape [2, 2]", shape.getMessage());

        var step = assertThrows(IllegalArgumentException.class,
                () -> adamw.loadState(with(good, "state.0.step", Tensor.full(BACKEND, DType.F32, 2.5))));
        assertTrue(step.getMessage().contains("'state.0.step'"), step.getMessage());

        Map<String, Tensor> after = adamw.state();
        assertEquals(good.keySet(), after.keySet(), "a rejected load changes nothing");
        for (String key : good.keySet()) {
            assertArrayEquals(good.get(key).toFloatArray(), after.get(key).toFloatArray(), key);
        }
    }

    private static Map<String, Tensor> with(Map<String, Tensor> base, String key, Tensor value) {
        Map<String, Tensor> out = new LinkedHashMap<>(base);
        out.put(key, value);
        return out;
    }
}
