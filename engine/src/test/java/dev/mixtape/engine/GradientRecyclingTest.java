package dev.mixtape.engine;

import dev.mixtape.engine.vector.VectorBackend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * In an open {@link StepMemory} step, the back-propagation hands a gradient back to the step as soon
 * as it has been read and passed on ({@link PendingGradients}), and not before: a node's incoming
 * gradient is unreadable after its backward function ran, while a gradient that function handed on
 * unchanged (the same tensor, now the input's pending gradient) stays readable until the input's own
 * backward has read it, so the leaf's gradient is right. Recycling a gradient still pending would make
 * the next backward function throw or read another tensor's values; never recycling one would leave
 * the first gradient readable.
 */
class GradientRecyclingTest {

    @ParameterizedTest(name = "the watched op hands its gradient on {0}")
    @ValueSource(strings = {"as a new tensor", "as it is"})
    void aGradientGoesBackToTheStepOnceReadAndPassedOn(String handedOn) {
        try (VectorBackend backend = new VectorBackend(1)) {
            Tensor x = Tensor.full(backend, DType.F32, 1.5, 4, 8).requiresGrad(true);
            List<Tensor> seen = new ArrayList<>();
            try (StepMemory.Step step = backend.stepMemory().open()) {
                Tensor y = x.mul(2.0);
                Tensor value;
                try (var off = Grad.off()) {
                    value = y.mul(1.0);
                }
                Tensor watched = Tape.record("watch", value, g -> {
                    seen.add(g);
                    return new Tensor[] {handedOn.equals("as it is") ? g : g.mul(1.0)};
                }, y);
                watched.mul(3.0).sum().backward();
                float[] expected = new float[32];
                Arrays.fill(expected, 6f);
                assertArrayEquals(expected, x.grad().toFloatArray(), "d(sum(3·2x))/dx");
                assertThrows(IllegalStateException.class, () -> seen.getFirst().toFloatArray(),
                        "the watched op's incoming gradient went back to the step once passed on");
            }
        }
    }
}
