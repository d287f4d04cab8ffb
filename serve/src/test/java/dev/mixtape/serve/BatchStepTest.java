package dev.mixtape.serve;

import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.adapters.RowAdapters;
import dev.mixtape.engine.Backends;
import dev.mixtape.engine.FrozenWeights;
import dev.mixtape.models.generate.Sampler;
import dev.mixtape.models.llama.Llama;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The engine's step puts a whole batch in one product and still gives every row bit for bit the
 * logits its session gives alone with its adapter active: 16 rows over the base and three adapters,
 * scattered and in runs (one of six rows, whose update is one 6-row product, added into the base
 * product in place), each at its own position, for several steps. Logits, not text, because a greedy text survives most rounding
 * differences: the blocked GEMM that more than 4 rows take outside
 * {@link dev.mixtape.engine.BatchInvariantProducts} rounds some rows differently and fails here.
 *
 * <p>The same 16 rows as one group on a backend of two threads, as the engine runs a step of fewer
 * rows than two groups take: the products split by columns and the rows' RoPE, caches, attention,
 * adapter updates and logits by rows between the two threads. A row whose work was skipped (its
 * attention or update missing), done twice (its keys appended to its cache twice, which shifts its
 * later positions; its update added twice) or done outside the caller's product scope (the 6-row
 * update taking the blocked GEMM on the worker) gives other logits in some step.
 */
class BatchStepTest {
    private static final String[] ADAPTERS = {"a", null, "b", "a", "a", "a", "a", "a", "a", "b", null, "b", "a", null, "c", "c"};
    private static final int STEPS = 4;
    /** The system property the vector backend takes its thread count from. */
    private static final String THREADS = "mixtape.threads";

    @TempDir
    Path folders;

    @Test
    void sixteenRowsInOneProductEachGetTheirLogitsAlone() throws Exception {
        assertEachRowGetsItsLogitsAlone(TinyServing.model(), STEPS);
    }

    @Test
    void sixteenRowsSplitOverTwoThreadsEachGetTheirLogitsAlone() throws Exception {
        String threads = System.getProperty(THREADS);
        System.setProperty(THREADS, "2");
        Llama tree;
        try {
            tree = Llama.load(TinyServing.MODEL, Backends.create("vector"));
        } finally {
            if (threads == null) {
                System.clearProperty(THREADS);
            } else {
                System.setProperty(THREADS, threads);
            }
        }
        assertEachRowGetsItsLogitsAlone(tree, 2 * STEPS);
    }

    /** {@link #ADAPTERS}' rows stepping together {@code steps} times on {@code tree}, each row's logits against its session alone. */
    private void assertEachRowGetsItsLogitsAlone(Llama tree, int steps) throws Exception {
        PeftFiles.load(TinyServing.adapter(folders.resolve("a"), 1), tree, "a");
        PeftFiles.load(TinyServing.adapter(folders.resolve("b"), 2), tree, "b");
        PeftFiles.load(TinyServing.adapter(folders.resolve("c"), 3), tree, "c");
        Adapters.deactivate(tree);
        int rows = ADAPTERS.length;
        FrozenWeights frozen = new FrozenWeights(tree.namedParameters().values());
        List<Llama.Session> alone = new ArrayList<>();
        List<Llama.Session> together = new ArrayList<>();
        int[] next = new int[rows];
        for (int r = 0; r < rows; r++) {
            int[] prompt = prompt(r);
            RowAdapters routing = RowAdapters.sequence(ADAPTERS[r]);
            Llama.Session single = tree.newSession(64);
            next[r] = Sampler.argmax(routing.run(() -> single.forward(prompt)));
            alone.add(single);
            Llama.Session batched = tree.newSession(64);
            routing.run(() -> batched.forward(prompt));
            together.add(batched);
        }
        for (int s = 0; s < steps; s++) {
            float[][] logits = BatchEngine.stepRows(frozen, together, Arrays.asList(ADAPTERS), next);
            for (int r = 0; r < rows; r++) {
                int token = next[r];
                Llama.Session single = alone.get(r);
                float[] expected = RowAdapters.sequence(ADAPTERS[r]).run(() -> single.forward(token));
                assertArrayEquals(expected, logits[r], "row " + r + " (" + ADAPTERS[r] + "), step " + s);
                next[r] = Sampler.argmax(expected);
            }
        }
        for (int r = 0; r < rows; r++) {
            assertEquals(alone.get(r).position(), together.get(r).position(), "row " + r + "'s position");
        }
    }

    /** Prompts of different lengths, so that the rows decode at different positions. */
    private static int[] prompt(int row) {
        int[] prompt = new int[2 + row % 5];
        prompt[0] = 1;
        for (int i = 1; i < prompt.length; i++) {
            prompt[i] = 20 + 7 * row + i;
        }
        return prompt;
    }
}
