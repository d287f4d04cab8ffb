package dev.mixtape.engine;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tape's contract: accumulation, no-grad scopes, detach, zeroGrad, graph release, what the graph keeps alive. */
class TapeTest {
    private final Backend backend = Precision.vectorF32().backend();

    private Tensor param(float... values) {
        return Tensor.of(backend, values, values.length).requiresGrad(true);
    }

    @Test
    void gradientsOfATensorUsedTwiceAreSummed() {
        Tensor x = param(1, 2, 3);
        x.mul(x).add(x.mul(3)).sum().backward();
        assertArrayEquals(new float[] {5, 7, 9}, x.grad().toFloatArray());
    }

    @Test
    void gradientsAccumulateAcrossBackwardCallsUntilZeroed() {
        Tensor x = param(1, 2);
        x.mul(2).sum().backward();
        x.mul(2).sum().backward();
        assertArrayEquals(new float[] {4, 4}, x.grad().toFloatArray());
        x.zeroGrad();
        assertNull(x.grad());
    }

    @Test
    void noGradScopeRecordsNothing() {
        Tensor x = param(1, 2);
        Tensor y;
        try (var scope = Grad.off()) {
            y = x.mul(2).sum();
        }
        assertFalse(y.requiresGrad());
        assertThrows(IllegalStateException.class, y::backward);
        assertTrue(Grad.isEnabled());
    }

    @Test
    void detachCutsTheGraph() {
        Tensor x = param(1, 2);
        Tensor y = x.mul(x).detach().mul(x).sum();
        y.backward();
        assertArrayEquals(new float[] {1, 4}, x.grad().toFloatArray());
    }

    @Test
    void theGraphIsReleasedAfterBackward() {
        Tensor x = param(1, 2);
        Tensor hidden = x.mul(3);
        Tensor loss = hidden.sum();
        assertTrue(hidden.hasGradFn());
        loss.backward();
        assertFalse(hidden.hasGradFn());
        assertFalse(loss.hasGradFn());
    }

    @Test
    void onlyLeavesTakeRequiresGradAndOnlyScalarsBackward() {
        Tensor x = param(1, 2);
        Tensor y = x.mul(2);
        assertThrows(IllegalStateException.class, () -> y.requiresGrad(true));
        assertThrows(IllegalStateException.class, y::backward);
    }

    @Test
    void frozenInputsGetNoGradient() {
        Tensor w = param(1, 2);
        Tensor frozen = Tensor.of(backend, new float[] {3, 4}, 2);
        w.mul(frozen).sum().backward();
        assertNull(frozen.grad());
        assertArrayEquals(new float[] {3, 4}, w.grad().toFloatArray());
    }

    /**
     * The graph from the loss holds no activation that no backward function reads: neither the input of
     * a product with a frozen matrix nor the output of that product (multiplied by a constant). Checked
     * by following the loss's references ({@link Reachability}), not by hoping for a collection; a
     * backward that captured either (say, a matmul that always kept both operands) fails it.
     */
    @Test
    void anActivationNoBackwardReadsIsNotKeptByTheGraph() {
        Tensor w = param(1, 2, 3, 4);
        Tensor frozen = Tensor.of(backend, new float[] {1, 0, 0, 1}, 2, 2);
        Tensor hidden = w.reshape(2, 2).add(1);
        Tensor projected = hidden.matmul(frozen);
        Tensor loss = projected.mul(2).sum();
        assertFalse(Reachability.reaches(loss, hidden), "the input of a product with a frozen matrix is not needed by its backward");
        assertFalse(Reachability.reaches(loss, projected), "the input of a multiplication by a constant is not needed by its backward");
        assertTrue(Reachability.reaches(loss, frozen), "the frozen matrix is, for the input's gradient");
        loss.backward();
        assertArrayEquals(new float[] {2, 2, 2, 2}, w.grad().toFloatArray());
    }

    /**
     * A product keeps each factor for the other's gradient until its backward has run, then lets go:
     * a node not released after back-propagation (the graph growing across steps) fails it.
     */
    @Test
    void anActivationABackwardReadsIsKeptUntilThatBackwardHasRun() {
        Tensor w = param(1, 2);
        Tensor hidden = w.add(1);
        Tensor loss = hidden.mul(w).sum();
        assertTrue(Reachability.reaches(loss, hidden), "a product keeps each factor for the other's gradient");
        loss.backward();
        assertArrayEquals(new float[] {3, 5}, w.grad().toFloatArray());
        assertFalse(Reachability.reaches(loss, hidden), "released once back-propagated through");
    }
}
