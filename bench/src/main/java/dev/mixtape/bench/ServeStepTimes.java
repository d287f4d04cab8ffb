package dev.mixtape.bench;

import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.adapters.RowAdapters;
import dev.mixtape.engine.BatchInvariantProducts;
import dev.mixtape.engine.CallerThreadKernels;
import dev.mixtape.engine.FrozenWeights;
import dev.mixtape.models.generate.Sampler;
import dev.mixtape.models.llama.BatchDecoder;
import dev.mixtape.models.llama.Llama;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * {@code bench/run serve --step}: the serving engine's decoding step without HTTP, in thread CPU
 * time per generated token, so that builds compare on a busy host: 8, 16 and 64 rows over 8 adapters
 * on one thread (a backend of one kernel thread; one tree, the rows sorted by adapter as the engine
 * sorts them, each at its own position), the step {@code BatchEngine} runs for a group
 * ({@link BatchInvariantProducts} around {@link RowAdapters#perRow} around {@link BatchDecoder#step}),
 * and 16 rows as two groups of 8 decoding side by side on two threads, each running its kernels
 * itself, as the engine runs 16 streaming clients on 2 cores; beside one session decoding alone with
 * one adapter, and the heap each token allocates. The best of several rounds, the cases taking turns.
 * Then {@link PanelProductRates}: how much of a product of a group's rows waits for memory.
 */
final class ServeStepTimes {
    private static final int[] ROWS = {8, 16, 64};
    /** Rows of each of the two groups decoding side by side. */
    private static final int GROUP_ROWS = 8;
    private static final int STEPS = 32;
    private static final int ROUNDS = 5;
    private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private ServeStepTimes() {
    }

    /** Thread CPU ms and heap KiB allocated per generated token. */
    private record PerToken(double cpuMs, double allocatedKiB) {
        PerToken better(PerToken other) {
            return other.cpuMs < cpuMs ? other : this;
        }
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
        PerToken worst = new PerToken(Double.MAX_VALUE, 0);
        PerToken alone = worst;
        PerToken[] panels = new PerToken[ROWS.length + 1];
        PerToken[] rowPairs = new PerToken[ROWS.length + 1];
        Arrays.fill(panels, worst);
        Arrays.fill(rowPairs, worst);
        ExecutorService helper = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("serve-step-helper").daemon(true).factory());
        try {
            for (int round = 0; round < ROUNDS; round++) {
                alone = alone.better(alone(tree, names.getFirst()));
                for (int r = 0; r < ROWS.length; r++) {
                    panels[r] = panels[r].better(batched(tree, frozen, names, ROWS[r]));
                    rowPairs[r] = rowPairs[r].better(batched(tree, null, names, ROWS[r]));
                }
                panels[ROWS.length] = panels[ROWS.length].better(sideBySide(tree, frozen, names, helper));
                rowPairs[ROWS.length] = rowPairs[ROWS.length].better(sideBySide(tree, null, names, helper));
            }
        } finally {
            helper.shutdownNow();
        }
        System.out.println("| sequences per step | thread CPU ms per generated token | vs one session alone "
                + "| without weight panels (row-pair kernel) | panels' gain | KiB allocated per token |");
        System.out.println("|---|---:|---:|---:|---:|---:|");
        System.out.printf(Locale.ROOT, "| 1 (a session alone) | %.3f | 1.00 | | | %.0f |%n", alone.cpuMs, alone.allocatedKiB);
        for (int r = 0; r <= ROWS.length; r++) {
            String rows = r < ROWS.length ? String.valueOf(ROWS[r]) : "16 as 2 groups of 8 side by side (2 threads)";
            System.out.printf(Locale.ROOT, "| %s | %.3f | %.2f | %.3f | %.2f | %.0f |%n", rows, panels[r].cpuMs, alone.cpuMs / panels[r].cpuMs,
                    rowPairs[r].cpuMs, rowPairs[r].cpuMs / panels[r].cpuMs, panels[r].allocatedKiB);
        }
        PanelProductRates.run(tree.backend());
    }

    /** One session of adapter {@code name} decoding {@link #STEPS} tokens. */
    private static PerToken alone(Llama tree, String name) {
        RowAdapters routing = RowAdapters.sequence(name);
        Llama.Session session = tree.newSession(ServeLoadTable.PROMPT_TOKENS + STEPS + 1);
        int[] next = {Sampler.argmax(routing.run(() -> session.forward(ServeLoadTable.prompt(new SplittableRandom(7)))))};
        long start = THREADS.getCurrentThreadCpuTime();
        long allocated = THREADS.getCurrentThreadAllocatedBytes();
        for (int s = 0; s < STEPS; s++) {
            next[0] = Sampler.argmax(routing.run(() -> session.forward(next[0])));
        }
        return perToken(start, allocated, STEPS);
    }

    /**
     * {@code rows} sessions over the adapters in turn, sorted by adapter, stepping together on this
     * thread. With {@code frozen} the products read the base weights' panels, as the engine's do;
     * without (null), the row-pair kernel from the weights as they are.
     */
    private static PerToken batched(Llama tree, FrozenWeights frozen, List<String> names, int rows) {
        Group group = new Group(tree, frozen, names, 0, rows, rows);
        long start = THREADS.getCurrentThreadCpuTime();
        long allocated = THREADS.getCurrentThreadAllocatedBytes();
        for (int s = 0; s < STEPS; s++) {
            group.step();
        }
        return perToken(start, allocated, STEPS * rows);
    }

    /**
     * Two groups of {@link #GROUP_ROWS} rows (the adapters' first half and second half) stepping at
     * the same time, one on this thread and one on {@code helper}, each running its kernels itself
     * ({@link CallerThreadKernels}): the CPU of both threads per token.
     */
    private static PerToken sideBySide(Llama tree, FrozenWeights frozen, List<String> names, ExecutorService helper) {
        int rows = 2 * GROUP_ROWS;
        Group first = new Group(tree, frozen, names, 0, GROUP_ROWS, rows);
        Group second = new Group(tree, frozen, names, GROUP_ROWS, GROUP_ROWS, rows);
        Future<PerToken> other = helper.submit(() -> second.steps(STEPS));
        PerToken mine = first.steps(STEPS);
        try {
            PerToken theirs = other.get();
            return new PerToken((mine.cpuMs + theirs.cpuMs) / 2, (mine.allocatedKiB + theirs.allocatedKiB) / 2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    private static PerToken perToken(long cpuStart, long allocatedStart, int tokens) {
        return new PerToken((THREADS.getCurrentThreadCpuTime() - cpuStart) / 1e6 / tokens,
                (THREADS.getCurrentThreadAllocatedBytes() - allocatedStart) / 1024.0 / tokens);
    }

    /**
     * Rows {@code from..from+count-1} of {@code total} sessions over the adapters in turn (each its own
     * prompt and position), their prompts processed; {@link #step} feeds each its next token.
     */
    private static final class Group {
        private final FrozenWeights frozen;
        private final List<Llama.Session> sessions = new ArrayList<>();
        private final List<String> adapters = new ArrayList<>();
        private final int[] next;

        Group(Llama tree, FrozenWeights frozen, List<String> names, int from, int count, int total) {
            this.frozen = frozen;
            this.next = new int[count];
            for (int i = 0; i < count; i++) {
                int r = from + i;
                String name = names.get(r * names.size() / total);
                Llama.Session session = tree.newSession(ServeLoadTable.PROMPT_TOKENS + r % 5 + STEPS + 1);
                int[] prompt = Arrays.copyOf(ServeLoadTable.prompt(new SplittableRandom(r)), ServeLoadTable.PROMPT_TOKENS - r % 5);
                next[i] = Sampler.argmax(RowAdapters.sequence(name).run(() -> session.forward(prompt)));
                sessions.add(session);
                adapters.add(name);
            }
        }

        void step() {
            Supplier<float[][]> step = () -> RowAdapters.perRow(adapters).run(() -> BatchDecoder.step(sessions, next));
            float[][] logits = frozen != null ? BatchInvariantProducts.run(next.length, frozen, step) : BatchInvariantProducts.run(next.length, step);
            for (int r = 0; r < next.length; r++) {
                next[r] = Sampler.argmax(logits[r]);
            }
        }

        /** {@code steps} steps on this thread, its kernels on it alone. */
        PerToken steps(int steps) {
            long start = THREADS.getCurrentThreadCpuTime();
            long allocated = THREADS.getCurrentThreadAllocatedBytes();
            CallerThreadKernels.run(() -> {
                for (int s = 0; s < steps; s++) {
                    step();
                }
                return null;
            });
            return perToken(start, allocated, steps * next.length);
        }
    }
}
