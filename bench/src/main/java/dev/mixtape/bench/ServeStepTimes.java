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
 * time per generated token, so that builds compare on a busy host; the step {@code BatchEngine} runs
 * for a group ({@link BatchInvariantProducts} around {@link RowAdapters#perRow} around
 * {@link BatchDecoder#step}) over 8 adapters (one tree, the rows sorted by adapter as the engine sorts
 * them, each at its own position), laid out three ways: 8, 16 and 64 rows on one thread (a backend
 * of one kernel thread); 16, 32 and 64 rows as two groups side by side on two threads, each running its
 * kernels itself; 8, 16, 32 and 64 rows as one group on a backend of two threads, the products split by
 * columns and the rows' other work by rows between them ({@code IndependentRows}). Beside one session
 * decoding alone with one adapter, and the heap each token allocates. The two-thread cases count both
 * threads' CPU (the kernel team's worker included) and give the wall time per token beside it. The
 * best of several rounds, the cases taking turns. Then {@link PanelProductRates}: how much of a
 * product of a group's rows waits for memory.
 */
final class ServeStepTimes {
    private static final int STEPS = 32;
    private static final int ROUNDS = 5;
    private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    /** Threads of the kernel teams of Vector backends ({@code Parallel}'s workers). */
    private static final String TEAM_THREADS = "mixtape-vector-";

    private ServeStepTimes() {
    }

    /** Thread CPU ms, wall ms and heap KiB allocated per generated token. */
    private record PerToken(double cpuMs, double wallMs, double allocatedKiB) {
        static final PerToken WORST = new PerToken(Double.MAX_VALUE, Double.MAX_VALUE, 0);

        PerToken better(PerToken other) {
            return other.cpuMs < cpuMs ? other : this;
        }
    }

    /** How a case lays out its rows on the threads. */
    private enum Layout {
        ONE_THREAD("%d"),
        SIDE_BY_SIDE("%d as 2 groups side by side (2 threads)"),
        SPLIT("%d as 1 group split over 2 threads");

        private final String label;

        Layout(String label) {
            this.label = label;
        }
    }

    /** One line of the table: {@code rows} sessions laid out as {@code layout}. */
    private record Case(int rows, Layout layout) {
        String label() {
            return layout.label.formatted(rows);
        }
    }

    private static final List<Case> CASES = List.of(new Case(8, Layout.ONE_THREAD), new Case(16, Layout.ONE_THREAD),
            new Case(64, Layout.ONE_THREAD), new Case(16, Layout.SIDE_BY_SIDE), new Case(32, Layout.SIDE_BY_SIDE),
            new Case(64, Layout.SIDE_BY_SIDE), new Case(8, Layout.SPLIT), new Case(16, Layout.SPLIT), new Case(32, Layout.SPLIT),
            new Case(64, Layout.SPLIT));

    /**
     * Prints the table for {@code tree} (on a backend of one thread) and {@code splitTree} (the same
     * shape on a backend of two threads): the base, every adapter of {@code folders} loaded unmerged,
     * none active.
     */
    static void run(Llama tree, Llama splitTree, List<Path> folders) throws IOException {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < folders.size(); i++) {
            names.add("a" + i);
            PeftFiles.load(folders.get(i), tree, "a" + i);
            PeftFiles.load(folders.get(i), splitTree, "a" + i);
        }
        dev.mixtape.adapters.Adapters.deactivate(tree);
        dev.mixtape.adapters.Adapters.deactivate(splitTree);
        FrozenWeights frozen = new FrozenWeights(tree.namedParameters().values());
        FrozenWeights splitFrozen = new FrozenWeights(splitTree.namedParameters().values());
        PerToken alone = PerToken.WORST;
        PerToken[] panels = new PerToken[CASES.size()];
        PerToken[] rowPairs = new PerToken[CASES.size()];
        Arrays.fill(panels, PerToken.WORST);
        Arrays.fill(rowPairs, PerToken.WORST);
        ExecutorService helper = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("serve-step-helper").daemon(true).factory());
        try {
            for (int round = 0; round < ROUNDS; round++) {
                alone = alone.better(alone(tree, names.getFirst()));
                for (int c = 0; c < CASES.size(); c++) {
                    Case line = CASES.get(c);
                    boolean split = line.layout == Layout.SPLIT;
                    panels[c] = panels[c].better(measure(line, split ? splitTree : tree, split ? splitFrozen : frozen, names, helper));
                    rowPairs[c] = rowPairs[c].better(measure(line, split ? splitTree : tree, null, names, helper));
                }
            }
        } finally {
            helper.shutdownNow();
        }
        System.out.println("| sequences per step | thread CPU ms per generated token | vs one session alone | wall ms per token "
                + "| without weight panels (row-pair kernel) | panels' gain | KiB allocated per token |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|");
        System.out.printf(Locale.ROOT, "| 1 (a session alone) | %.3f | 1.00 | %.3f | | | %.0f |%n", alone.cpuMs, alone.wallMs, alone.allocatedKiB);
        for (int c = 0; c < CASES.size(); c++) {
            System.out.printf(Locale.ROOT, "| %s | %.3f | %.2f | %.3f | %.3f | %.2f | %.0f |%n", CASES.get(c).label(), panels[c].cpuMs,
                    alone.cpuMs / panels[c].cpuMs, panels[c].wallMs, rowPairs[c].cpuMs, rowPairs[c].cpuMs / panels[c].cpuMs,
                    panels[c].allocatedKiB);
        }
        PanelProductRates.run(tree.backend());
    }

    private static PerToken measure(Case line, Llama tree, FrozenWeights frozen, List<String> names, ExecutorService helper) {
        return switch (line.layout) {
            case ONE_THREAD -> batched(tree, frozen, names, line.rows, false);
            case SIDE_BY_SIDE -> sideBySide(tree, frozen, names, line.rows, helper);
            case SPLIT -> batched(tree, frozen, names, line.rows, true);
        };
    }

    /** One session of adapter {@code name} decoding {@link #STEPS} tokens. */
    private static PerToken alone(Llama tree, String name) {
        RowAdapters routing = RowAdapters.sequence(name);
        Llama.Session session = tree.newSession(ServeLoadTable.PROMPT_TOKENS + STEPS + 1);
        int[] next = {Sampler.argmax(routing.run(() -> session.forward(ServeLoadTable.prompt(new SplittableRandom(7)))))};
        long start = THREADS.getCurrentThreadCpuTime();
        long wall = System.nanoTime();
        long allocated = THREADS.getCurrentThreadAllocatedBytes();
        for (int s = 0; s < STEPS; s++) {
            next[0] = Sampler.argmax(routing.run(() -> session.forward(next[0])));
        }
        return perToken(start, wall, allocated, STEPS);
    }

    /**
     * {@code rows} sessions over the adapters in turn, sorted by adapter, stepping together on this
     * thread (with {@code split}, on this thread and the tree's kernel team: their CPU together). With
     * {@code frozen} the products read the base weights' panels, as the engine's do; without (null),
     * the row-pair kernel from the weights as they are.
     */
    private static PerToken batched(Llama tree, FrozenWeights frozen, List<String> names, int rows, boolean split) {
        Group group = new Group(tree, frozen, names, 0, rows, rows);
        long team = split ? teamCpuNanos() : 0;
        long start = THREADS.getCurrentThreadCpuTime();
        long wall = System.nanoTime();
        long allocated = THREADS.getCurrentThreadAllocatedBytes();
        for (int s = 0; s < STEPS; s++) {
            group.step();
        }
        PerToken mine = perToken(start, wall, allocated, STEPS * rows);
        double teamMs = split ? (teamCpuNanos() - team) / 1e6 / (STEPS * rows) : 0;
        return new PerToken(mine.cpuMs + teamMs, mine.wallMs, mine.allocatedKiB);
    }

    /** CPU time so far of every kernel team worker of this JVM (in {@code --step}, only the two-thread tree's). */
    private static long teamCpuNanos() {
        long nanos = 0;
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.getName().startsWith(TEAM_THREADS)) {
                nanos += Math.max(0, THREADS.getThreadCpuTime(thread.threadId()));
            }
        }
        return nanos;
    }

    /**
     * Two groups of {@code rows / 2} rows (the adapters' first half and second half) stepping at the
     * same time, one on this thread and one on {@code helper}, each running its kernels itself
     * ({@link CallerThreadKernels}): the CPU of both threads per token, the wall time of the slower.
     */
    private static PerToken sideBySide(Llama tree, FrozenWeights frozen, List<String> names, int rows, ExecutorService helper) {
        int half = rows / 2;
        Group first = new Group(tree, frozen, names, 0, half, rows);
        Group second = new Group(tree, frozen, names, half, half, rows);
        Future<PerToken> other = helper.submit(() -> second.steps(STEPS));
        PerToken mine = first.steps(STEPS);
        try {
            PerToken theirs = other.get();
            return new PerToken((mine.cpuMs + theirs.cpuMs) / 2, Math.max(mine.wallMs, theirs.wallMs) / 2,
                    (mine.allocatedKiB + theirs.allocatedKiB) / 2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    private static PerToken perToken(long cpuStart, long wallStart, long allocatedStart, int tokens) {
        return new PerToken((THREADS.getCurrentThreadCpuTime() - cpuStart) / 1e6 / tokens, (System.nanoTime() - wallStart) / 1e6 / tokens,
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
            long wall = System.nanoTime();
            long allocated = THREADS.getCurrentThreadAllocatedBytes();
            CallerThreadKernels.run(() -> {
                for (int s = 0; s < steps; s++) {
                    step();
                }
                return null;
            });
            return perToken(start, wall, allocated, steps * next.length);
        }
    }
}
