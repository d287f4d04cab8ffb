package dev.mixtape.bench;

import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.adapters.RowAdapters;
import dev.mixtape.engine.BatchInvariantProducts;
import dev.mixtape.engine.FrozenWeights;
import dev.mixtape.models.generate.Sampler;
import dev.mixtape.models.llama.BatchDecoder;
import dev.mixtape.models.llama.Llama;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * {@code bench/run serve --step}: the serving engine's decoding step without HTTP, in thread CPU
 * time per generated token on one thread (a backend of one kernel thread), so that builds compare on
 * a busy host: 16 and 64 rows over 8 adapters (one tree, the rows sorted by adapter as the engine
 * sorts them, each at its own position), the step {@code BatchEngine} runs for a group
 * ({@link BatchInvariantProducts} around {@link RowAdapters#perRow} around {@link BatchDecoder#step}),
 * beside one session decoding alone with one adapter. The best of several rounds, the two taking turns.
 */
final class ServeStepTimes {
    private static final int[] ROWS = {8, 16, 64};
    private static final int STEPS = 32;
    private static final int ROUNDS = 5;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private ServeStepTimes() {
    }

    /** Prints the table for {@code tree} (the base, every adapter of {@code folders} loaded unmerged, none active). */
    static void run(Llama tree, List<Path> folders) throws IOException {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < folders.size(); i++) {
            names.add("a" + i);
            PeftFiles.load(folders.get(i), tree, "a" + i);
        }
        dev.mixtape.adapters.Adapters.deactivate(tree);
        FrozenWeights frozen = new FrozenWeights(tree.namedParameters().values());
        double alone = Double.MAX_VALUE;
        double[] panels = new double[ROWS.length];
        double[] rowPairs = new double[ROWS.length];
        Arrays.fill(panels, Double.MAX_VALUE);
        Arrays.fill(rowPairs, Double.MAX_VALUE);
        for (int round = 0; round < ROUNDS; round++) {
            alone = Math.min(alone, alone(tree, names.getFirst()));
            for (int r = 0; r < ROWS.length; r++) {
                panels[r] = Math.min(panels[r], batched(tree, frozen, names, ROWS[r]));
                rowPairs[r] = Math.min(rowPairs[r], batched(tree, null, names, ROWS[r]));
            }
        }
        System.out.println("| sequences per step | thread CPU ms per generated token | vs one session alone "
                + "| without weight panels (row-pair kernel) | panels' gain |");
        System.out.println("|---:|---:|---:|---:|---:|");
        System.out.printf(Locale.ROOT, "| 1 (a session alone) | %.3f | 1.00 | | |%n", alone);
        for (int r = 0; r < ROWS.length; r++) {
            System.out.printf(Locale.ROOT, "| %d | %.3f | %.2f | %.3f | %.2f |%n", ROWS[r], panels[r], alone / panels[r],
                    rowPairs[r], rowPairs[r] / panels[r]);
        }
    }

    /** One session of adapter {@code name} decoding {@link #STEPS} tokens: thread CPU ms per token. */
    private static double alone(Llama tree, String name) {
        RowAdapters routing = RowAdapters.sequence(name);
        Llama.Session session = tree.newSession(ServeLoadTable.PROMPT_TOKENS + STEPS + 1);
        int[] next = {Sampler.argmax(routing.run(() -> session.forward(ServeLoadTable.prompt(new SplittableRandom(7)))))};
        long start = THREADS.getCurrentThreadCpuTime();
        for (int s = 0; s < STEPS; s++) {
            next[0] = Sampler.argmax(routing.run(() -> session.forward(next[0])));
        }
        return (THREADS.getCurrentThreadCpuTime() - start) / 1e6 / STEPS;
    }

    /**
     * {@code rows} sessions over the adapters in turn, sorted by adapter, stepping together: thread CPU
     * ms per token. With {@code frozen} the products read the base weights' panels, as the engine's
     * do; without (null), the row-pair kernel from the weights as they are.
     */
    private static double batched(Llama tree, FrozenWeights frozen, List<String> names, int rows) {
        List<Llama.Session> sessions = new ArrayList<>();
        List<String> adapters = new ArrayList<>();
        int[] next = new int[rows];
        for (int r = 0; r < rows; r++) {
            String name = names.get(r * names.size() / rows);
            Llama.Session session = tree.newSession(ServeLoadTable.PROMPT_TOKENS + r % 5 + STEPS + 1);
            int[] prompt = Arrays.copyOf(ServeLoadTable.prompt(new SplittableRandom(r)), ServeLoadTable.PROMPT_TOKENS - r % 5);
            next[r] = Sampler.argmax(RowAdapters.sequence(name).run(() -> session.forward(prompt)));
            sessions.add(session);
            adapters.add(name);
        }
        long start = THREADS.getCurrentThreadCpuTime();
        for (int s = 0; s < STEPS; s++) {
            Supplier<float[][]> step = () -> RowAdapters.perRow(adapters).run(() -> BatchDecoder.step(sessions, next));
            float[][] logits = frozen != null ? BatchInvariantProducts.run(rows, frozen, step) : BatchInvariantProducts.run(rows, step);
            for (int r = 0; r < rows; r++) {
                next[r] = Sampler.argmax(logits[r]);
            }
        }
        return (THREADS.getCurrentThreadCpuTime() - start) / 1e6 / ((double) STEPS * rows);
    }
}
