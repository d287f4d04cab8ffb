package dev.mixtape.engine.vector;

import dev.mixtape.engine.DType;
import dev.mixtape.engine.F;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.StepMemory;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.nn.Linear;
import dev.mixtape.engine.optim.AdamW;
import dev.mixtape.engine.optim.Optimizer;
import dev.mixtape.engine.optim.SGD;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Vector backend's {@link StepMemory}: a step's tensors are unreadable once it closes, their
 * arrays serve the next step's tensors of the same size (zeroed again), what is made outside a step
 * or through {@code outsideStep} lives on, and training in steps gives the very bits training
 * without them gives.
 */
class StepMemoryTest {
    @AutoClose
    private static final VectorBackend backend = new VectorBackend(2);

    @Test
    void aStepsTensorsAreReleasedAndTheirArraysServeTheNextStep() {
        StepMemory memory = backend.stepMemory();
        Tensor kept = Tensor.zeros(backend, DType.F32, 5, 7);
        Tensor early;
        float[] earlyArray;
        try (StepMemory.Step step = memory.open()) {
            early = Tensor.full(backend, DType.F32, 3.0, 5, 7);
            earlyArray = array(early);
            assertSame(earlyArray, array(early.transpose(0, 1)), "a view shares its storage");
        }
        IllegalStateException thrown = assertThrows(IllegalStateException.class, early::toFloatArray);
        assertTrue(thrown.getMessage().contains("after the training step it was made in had closed"), thrown.getMessage());
        assertEquals(0.0, kept.sum().item(), "a tensor made outside the step lives on");
        try (StepMemory.Step step = memory.open()) {
            Tensor next = Tensor.zeros(backend, DType.F32, 35);
            assertSame(earlyArray, array(next), "the same size takes the released array");
            assertArrayEquals(new float[35], next.toFloatArray(), "and gets it zeroed");
            Tensor other = Tensor.zeros(backend, DType.F32, 36);
            assertNotSame(earlyArray, array(other));
        }
    }

    @Test
    void outsideStepMakesTensorsThatOutliveIt() {
        StepMemory memory = backend.stepMemory();
        Tensor state;
        try (StepMemory.Step step = memory.open()) {
            state = backend.outsideStep(() -> Tensor.full(backend, DType.F32, 2.0, 4));
            Tensor inside = Tensor.zeros(backend, DType.F32, 4);
            state.assign(state.add(inside.add(1.0)));
        }
        assertArrayEquals(new float[] {3, 3, 3, 3}, state.toFloatArray());
    }

    @Test
    void beyondItsBudgetAStepAllocatesAsUsual() {
        StepMemory memory = new RecycledSteps(backend.memory(), 10);
        Tensor small;
        Tensor large;
        try (StepMemory.Step step = memory.open()) {
            small = Tensor.zeros(backend, DType.F32, 8);
            large = Tensor.zeros(backend, DType.F32, 8);
        }
        assertThrows(IllegalStateException.class, small::toFloatArray);
        assertArrayEquals(new float[8], large.toFloatArray(), "the second array would have passed the budget of 10 floats");
    }

    @Test
    void oneOpenStepPerThreadClosedWhereItWasOpened() throws ExecutionException, InterruptedException {
        StepMemory memory = backend.stepMemory();
        StepMemory.Step step = memory.open();
        assertThrows(IllegalStateException.class, memory::open);
        assertThrows(IllegalStateException.class, () -> backend.stepMemory().open());
        Throwable elsewhere = CompletableFuture.supplyAsync(() -> assertThrows(IllegalStateException.class, step::close)).get();
        assertTrue(elsewhere.getMessage().contains("thread that opened it"), elsewhere.getMessage());
        step.close();
        memory.open().close();
    }

    /** Five optimizer steps of a small model: the same parameters bit for bit, with and without step memory. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"adamw", "sgd with momentum"})
    void trainingInStepsGivesTheSameBits(String optimizerName) {
        float[] plain = train(optimizerName, StepMemory.NONE, false);
        float[] recycled = train(optimizerName, backend.stepMemory(), false);
        assertArrayEquals(plain, recycled);
    }

    /**
     * The same with the first layer checkpointed ({@link F#checkpoint}), whose scopes hand arrays back
     * in the middle of each step: were one handed back while still in use (a gradient it leaves, its
     * output), the step would read a released tensor or another tensor's values, and fail or differ.
     */
    @Test
    void checkpointedTrainingInStepsGivesTheSameBits() {
        float[] plain = train("adamw", StepMemory.NONE, false);
        float[] recycled = train("adamw", backend.stepMemory(), true);
        assertArrayEquals(plain, recycled);
    }

    /** A scope's arrays, all but those of the tensors kept, go back to the step, which lends them again before it closes. */
    @Test
    void aScopeHandsItsArraysBackToTheStepButThoseKept() {
        StepMemory memory = backend.stepMemory();
        try (StepMemory.Step step = memory.open()) {
            StepMemory.Scope scope = backend.stepScope();
            Tensor dropped = Tensor.zeros(backend, DType.F32, 9);
            Tensor kept = Tensor.full(backend, DType.F32, 2.0, 9);
            float[] droppedArray = array(dropped);
            scope.closeKeeping(List.of(kept.reshape(3, 3)));
            assertThrows(IllegalStateException.class, dropped::toFloatArray);
            assertArrayEquals(new float[] {2, 2, 2, 2, 2, 2, 2, 2, 2}, kept.toFloatArray(), "a view keeps its storage");
            Tensor next = Tensor.zeros(backend, DType.F32, 9);
            assertSame(droppedArray, array(next), "the same step lends the array again");
            assertArrayEquals(new float[9], next.toFloatArray());
        }
        assertSame(StepMemory.Scope.NONE, backend.stepScope(), "outside a step, a scope hands nothing back");
    }

    private static float[] train(String optimizerName, StepMemory memory, boolean checkpointFirstLayer) {
        Rng rng = new Rng(7);
        Linear first = new Linear(backend, 6, 16, true, rng);
        Linear second = new Linear(backend, 16, 3, true, rng);
        List<Tensor> parameters = new ArrayList<>(first.trainableParameters());
        parameters.addAll(second.trainableParameters());
        Optimizer optimizer = optimizerName.equals("adamw") ? new AdamW(parameters, 0.01, 0.01) : new SGD(parameters, 0.05, 0.9, 0.0, false);
        Tensor x = rng.normal(backend, 0, 1, 12, 6);
        int[] labels = {0, 1, 2, 0, 1, 2, 2, 1, 0, 0, 1, 2};
        for (int step = 0; step < 5; step++) {
            try (StepMemory.Step open = memory.open()) {
                Tensor hidden = checkpointFirstLayer ? F.checkpoint(in -> F.silu(first.forward(in)), x) : F.silu(first.forward(x));
                Tensor loss = F.crossEntropy(second.forward(hidden), labels, -100);
                loss.backward();
                optimizer.step();
                optimizer.zeroGrad();
            }
        }
        float[] out = new float[0];
        for (Tensor parameter : parameters) {
            float[] values = parameter.toFloatArray();
            float[] joined = Arrays.copyOf(out, out.length + values.length);
            System.arraycopy(values, 0, joined, out.length, values.length);
            out = joined;
        }
        return out;
    }

    private static float[] array(Tensor t) {
        return ((HeapStorage) t.storage()).data();
    }
}
