package dev.mixtape.models.llama;

import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.LoraConfig;
import dev.mixtape.adapters.LoraInit;
import dev.mixtape.adapters.RowAdapters;
import dev.mixtape.adapters.TargetModules;
import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Backends;
import dev.mixtape.engine.Rng;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link BatchDecoder} and {@link RowAdapters}: a sequence decoded in a batch, among others at other
 * positions and running other adapters, gets bit for bit the logits it gets decoded alone by
 * {@link Llama.Session#forward} with its adapter active. A row attending over another row's cache,
 * a RoPE angle taken at the batch's position instead of the row's, an adapter's update applied to
 * the wrong row or to all rows, or a product whose rows mix would each change some row's logits.
 */
class BatchDecoderTest {
    private static final Backend BACKEND = Backends.create("vector");
    private static final LlamaConfig CONFIG = new LlamaConfig(64, 160, 2, 4, 2, 16, 97, 128, 1e-5, 10000, null, false, 0, 1);
    private static final int[][] PROMPTS = {{1, 5, 9}, {1, 40, 41, 42, 43, 44, 45}, {1, 7}, {1, 90, 3, 3, 3, 8, 8, 8, 8, 20, 21}};
    /** Which adapter each row runs: scattered, and in runs longer than one product of updates takes. */
    private static final String[][] LAYOUTS = {{"a", null, "b", "a"}, {"a", "a", "a", "a", "a", "b", "b", null}};

    /** A model holding adapters "a" and "b" with non-zero updates on attention and MLP projections. */
    private static Llama modelWithAdapters() {
        Llama llama = Llama.random(CONFIG, BACKEND, 11);
        LoraConfig config = LoraConfig.builder(TargetModules.names("q_proj", "v_proj", "o_proj", "down_proj"))
                .r(4).alpha(8).init(LoraInit.RANDOM).build();
        Adapters.inject(llama, config, "a", new Rng(1));
        Adapters.inject(llama, config, "b", new Rng(2));
        Adapters.deactivate(llama);
        return llama;
    }

    /** Each row decoded alone for {@code steps} greedy steps, its adapter active: the logits of every step. */
    private static List<List<float[]>> alone(Llama llama, String[] adapters, int steps) {
        List<List<float[]>> all = new ArrayList<>();
        for (int r = 0; r < adapters.length; r++) {
            if (adapters[r] == null) {
                Adapters.deactivate(llama);
            } else {
                Adapters.get(llama, adapters[r]).activate();
            }
            Llama.Session session = llama.newSession(64);
            List<float[]> rows = new ArrayList<>();
            float[] logits = session.forward(PROMPTS[r % PROMPTS.length]);
            for (int s = 0; s < steps; s++) {
                logits = session.forward(argmax(logits));
                rows.add(logits);
            }
            all.add(rows);
        }
        Adapters.deactivate(llama);
        return all;
    }

    /**
     * Rows of at most a decoding-shaped product's size (4), as the server runs them, and a batch of 8
     * whose updates run a few rows per product: each row gets bit for bit what it gets alone.
     */
    @Test
    void rowsOfABatchGetWhatEachGetsAloneWithItsAdapter() {
        Llama llama = modelWithAdapters();
        for (String[] adapters : LAYOUTS) {
            int steps = 5;
            List<List<float[]>> expected = alone(llama, adapters, steps);
            List<Llama.Session> sessions = new ArrayList<>();
            int[] next = new int[adapters.length];
            for (int r = 0; r < adapters.length; r++) {
                Llama.Session session = llama.newSession(64);
                int[] prompt = PROMPTS[r % PROMPTS.length];
                float[] logits = RowAdapters.sequence(adapters[r]).run(() -> session.forward(prompt));
                sessions.add(session);
                next[r] = argmax(logits);
            }
            for (int s = 0; s < steps; s++) {
                for (int from = 0; from < adapters.length; from += 4) {
                    int to = Math.min(adapters.length, from + 4);
                    int[] tokens = Arrays.copyOfRange(next, from, to);
                    List<Llama.Session> part = sessions.subList(from, to);
                    float[][] logits = RowAdapters.perRow(Arrays.asList(adapters).subList(from, to)).run(() -> BatchDecoder.step(part, tokens));
                    for (int r = from; r < to; r++) {
                        assertArrayEquals(expected.get(r).get(s), logits[r - from], Arrays.toString(adapters) + " row " + r + ", step " + s);
                        next[r] = argmax(logits[r - from]);
                    }
                }
            }
        }
    }

    /**
     * Batches of more rows than a decoding-shaped product takes: a row's logits are the same whatever
     * other rows (and how many) share its step, also when its adapter's run of rows is longer than
     * one product of updates takes.
     */
    @Test
    void aRowOfALargeBatchDoesNotDependOnItsCompany() {
        Llama llama = modelWithAdapters();
        float[][] small = stepped(llama, 6);
        float[][] large = stepped(llama, 12);
        for (int r = 0; r < 6; r++) {
            assertArrayEquals(small[r], large[r], "row " + r);
        }
    }

    /**
     * The logits of one step of {@code rows} sessions, row r prefilled with prompt r mod 4, in runs of
     * five rows sharing an adapter: row 5 starts a run of one in a batch of 6 and of five in a batch of 12.
     */
    private static float[][] stepped(Llama llama, int rows) {
        List<Llama.Session> sessions = new ArrayList<>();
        List<String> adapters = new ArrayList<>();
        int[] tokens = new int[rows];
        for (int r = 0; r < rows; r++) {
            String adapter = new String[] {"a", "b", null}[r / 5 % 3];
            Llama.Session session = llama.newSession(64);
            int[] prompt = PROMPTS[r % PROMPTS.length];
            RowAdapters.sequence(adapter).run(() -> session.forward(prompt));
            sessions.add(session);
            adapters.add(adapter);
            tokens[r] = 10 + r;
        }
        return RowAdapters.perRow(adapters).run(() -> BatchDecoder.step(sessions, tokens));
    }

    @Test
    void aFullSessionOrARepeatedOneIsRefusedBeforeAnythingRuns() {
        Llama llama = Llama.random(CONFIG, BACKEND, 3);
        Llama.Session full = llama.newSession(2);
        full.forward(1, 2);
        Llama.Session open = llama.newSession(8);
        open.forward(1);
        assertThrows(IllegalStateException.class, () -> BatchDecoder.step(List.of(open, full), new int[] {3, 4}));
        assertThrows(IllegalArgumentException.class, () -> BatchDecoder.step(List.of(open, open), new int[] {3, 4}));
        assertArrayEquals(new int[] {1}, new int[] {open.position()});
    }

    private static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
