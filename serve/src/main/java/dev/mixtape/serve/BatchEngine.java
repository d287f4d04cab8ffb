package dev.mixtape.serve;

import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.RowAdapters;
import dev.mixtape.engine.BatchInvariantProducts;
import dev.mixtape.engine.CallerThreadKernels;
import dev.mixtape.engine.FrozenWeights;
import dev.mixtape.models.llama.BatchDecoder;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Continuous batching over one base model and its adapters, usable without HTTP: requests submitted
 * from any thread decode together on the engine's one thread, a step at a time, each step feeding
 * every running sequence its next token through {@link BatchDecoder} (the weights read once per
 * product for all its rows), each row with its own KV cache, position and adapter, and each row's
 * arithmetic that of a session decoding alone ({@link BatchInvariantProducts}): a request's greedy
 * output does not depend on its company. New requests join between steps (their prompt processed
 * alone first); a finished, cancelled or timed-out one leaves before the next step. Adapters are
 * added and removed between steps.
 * <pre>{@code
 * try (BatchEngine engine = new BatchEngine(llama, tokenizer, "stories", EngineConfig.defaults())) {
 *     engine.addAdapter("pirate", Path.of("adapters/pirate"));
 *     engine.submit(new GenerationRequest("pirate", ids, 64, SamplingSettings.greedy(), List.of(), null), listener);
 * }
 * }</pre>
 */
public final class BatchEngine implements AutoCloseable {
    /** Rows of one adapter side by side, so that their updates share products (see {@link RowAdapters}). */
    private static final Comparator<Sequence> ADAPTER_ORDER = Comparator.comparing(sequence -> String.valueOf(sequence.served.routed()));
    /**
     * Fewest rows a group decoding beside others takes: fewer would read the weights more often than
     * they gain. A step of fewer rows than two groups take is one group on all the backend's threads,
     * its products split by columns and its rows' other work by rows ({@code IndependentRows}); from
     * two groups on, groups side by side, which never wait for each other until the step ends, cost
     * no more than one group split over threads that meet at every product (docs/BENCHMARKS.md, "Serving").
     */
    private static final int MIN_GROUP_ROWS = 8;
    private static final int PROCESSORS = Runtime.getRuntime().availableProcessors();

    private final ServedModels models;
    private final Tokenizer tokenizer;
    private final EngineConfig config;
    /**
     * The base's weights, which stay as loaded while serving: the steps' products keep copies of them
     * laid out for many rows; null when {@link EngineConfig#weightPanels} is off.
     */
    private final FrozenWeights frozen;
    private final int eos;
    private final int bos;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final ArrayDeque<Sequence> waiting = new ArrayDeque<>();
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private final List<Sequence> running = new ArrayList<>();
    /** Removed adapters and MoLEs whose matrices go once no request holds them. */
    private final List<ServedModel> retiring = new ArrayList<>();
    private final Thread thread;
    /** Threads decoding a step's further groups beside the engine's thread ({@link #groups}). */
    private final ExecutorService helpers = Executors.newFixedThreadPool(Math.max(1, PROCESSORS - 1),
            Thread.ofPlatform().name("mixtape-batch-decoder-", 1).daemon(true).factory());
    private int held;
    private boolean closed;
    private volatile long steps;

    /** Serves {@code base} (a plain model: nothing attached) as {@code baseName}, decoding with {@code tokenizer}. */
    public BatchEngine(Llama base, Tokenizer tokenizer, String baseName, EngineConfig config) {
        this.models = new ServedModels(base, baseName);
        this.tokenizer = tokenizer;
        this.config = config;
        this.frozen = config.weightPanels() ? new FrozenWeights(base.namedParameters().values()) : null;
        this.eos = tokenizer.eosId().orElse(base.config().eosId());
        this.bos = tokenizer.bosId().orElse(base.config().bosId());
        this.thread = Thread.ofPlatform().name("mixtape-batch-engine").daemon(true).start(this::loop);
    }

    /** The tokenizer requests are encoded with. */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The base model (its config: context length, special ids). */
    public Llama baseModel() {
        return models.all().getFirst().model();
    }

    /** The names served, the base first. */
    public List<ServedModel> models() {
        return models.all();
    }

    /** The served name {@code name}, or throws {@link UnknownModelException}. */
    public ServedModel model(String name) {
        return models.get(name);
    }

    /** Decoding steps run so far (each a product pass over every running sequence). */
    public long steps() {
        return steps;
    }

    /** Loads a LoRA/MoSLoRA adapter folder (PEFT's format) as {@code name}, between steps; running requests go on. */
    public ServedModel addAdapter(String name, Path folder) throws IOException {
        return betweenSteps(() -> models.addAdapter(name, folder));
    }

    /** Loads a MoLE folder as {@code name}; running requests go on. */
    public ServedModel addMole(String name, Path folder) throws IOException {
        return betweenSteps(() -> models.addMole(name, folder));
    }

    /**
     * Stops serving adapter or MoLE {@code name}; requests already running or waiting with it finish
     * with it, and then its matrices are dropped from the model (their memory can be collected).
     */
    public ServedModel removeAdapter(String name) {
        ServedModel removed = models.remove(name);
        lock.lock();
        try {
            retiring.add(removed);
            work.signal();
        } finally {
            lock.unlock();
        }
        return removed;
    }

    /**
     * Queues {@code request}; {@code listener} hears its text and its end on the engine's thread.
     * Throws {@link UnknownModelException} for a name not served, {@link QueueFullException} when
     * {@link EngineConfig#maxConcurrent} requests are already held, {@link IllegalStateException}
     * once closed.
     */
    public RunningRequest submit(GenerationRequest request, TokenListener listener) {
        Sequence sequence;
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("the engine is closed");
            }
            // Looked up under the lock: a removed adapter's matrices are dropped under it once no request holds it.
            sequence = new Sequence(request, models.get(request.model()), listener, this::release, eos, bos);
            if (held >= config.maxConcurrent()) {
                throw new QueueFullException(config.maxConcurrent());
            }
            held++;
            waiting.add(sequence);
            work.signal();
        } finally {
            lock.unlock();
        }
        return sequence;
    }

    /** Requests held now, decoding or waiting. */
    public int held() {
        lock.lock();
        try {
            return held;
        } finally {
            lock.unlock();
        }
    }

    /** Ends every request (as cancelled) and stops the engine's thread. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            work.signal();
        } finally {
            lock.unlock();
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        helpers.shutdown();
    }

    private void loop() {
        while (true) {
            List<Runnable> due = new ArrayList<>();
            List<Sequence> joining = new ArrayList<>();
            lock.lock();
            try {
                while (!closed && waiting.isEmpty() && tasks.isEmpty() && running.isEmpty() && retiring.isEmpty()) {
                    work.awaitUninterruptibly();
                }
                if (closed) {
                    break;
                }
                due.addAll(tasks);
                tasks.clear();
                while (!waiting.isEmpty() && running.size() + joining.size() < config.maxBatch()) {
                    joining.add(waiting.poll());
                }
            } finally {
                lock.unlock();
            }
            due.forEach(Runnable::run);
            admit(joining);
            dropEnded();
            if (!running.isEmpty()) {
                step();
                dropEnded();
            }
            dropRetired();
        }
        lock.lock();
        try {
            running.addAll(waiting);
            waiting.clear();
            tasks.forEach(Runnable::run);
            tasks.clear();
        } finally {
            lock.unlock();
        }
        running.forEach(sequence -> sequence.end(FinishReason.CANCELLED));
        running.clear();
    }

    /**
     * Processes the newcomers' prompts, shared out between this thread and the helpers (each prompt
     * alone, as {@code ./mixtape generate} processes it; a MoLE's in turn, see {@link #oneAtATime});
     * those that go on decoding join the batch.
     */
    private void admit(List<Sequence> joining) {
        List<Sequence> opened = new ArrayList<>(joining.size());
        List<Sequence> moles = new ArrayList<>();
        for (Sequence sequence : joining) {
            if (!sequence.endedByClientOrClock() && open(sequence)) {
                (oneAtATime(sequence) ? moles : opened).add(sequence);
            }
        }
        List<List<Sequence>> shares = new ArrayList<>();
        int count = Math.min(PROCESSORS, opened.size());
        for (int s = 0; s < count; s++) {
            shares.add(opened.subList(s * opened.size() / count, (s + 1) * opened.size() / count));
        }
        if (!moles.isEmpty()) {
            shares.add(moles);
        }
        if (shares.isEmpty()) {
            return;
        }
        List<Future<List<Outcome<float[]>>>> prefilled = atOnce(shares.stream()
                .<Callable<List<Outcome<float[]>>>>map(share -> () -> share.stream().map(BatchEngine::prefill).toList()).toList());
        for (int s = 0; s < shares.size(); s++) {
            List<Outcome<float[]>> outcomes = resultOf(prefilled.get(s));
            for (int i = 0; i < outcomes.size(); i++) {
                Sequence sequence = shares.get(s).get(i);
                try {
                    if (sequence.advance(outcomes.get(i).value())) {
                        running.add(sequence);
                    }
                } catch (RuntimeException e) {
                    sequence.fail(e);
                }
            }
        }
    }

    /**
     * Whether {@code sequence}'s passes must not overlap others on its tree: a MoLE's gates keep a
     * forward pass's state in the tree (a shared gate's weights, computed at its first layer).
     */
    private static boolean oneAtATime(Sequence sequence) {
        return sequence.served.kind() == ServedModel.Kind.MOLE;
    }

    /** Makes a newcomer's session; returns whether it goes on to its prompt. */
    private boolean open(Sequence sequence) {
        try {
            return sequence.open(sequence.served.model(), tokenizer.newStreamingDecoder());
        } catch (RuntimeException e) {
            sequence.fail(e);
            return false;
        }
    }

    /** A value computed on whichever thread, or the failure computing it. */
    private record Outcome<T>(T result, RuntimeException failure) {
        static <T> Outcome<T> of(Supplier<T> computation) {
            try {
                return new Outcome<>(computation.get(), null);
            } catch (RuntimeException e) {
                return new Outcome<>(null, e);
            }
        }

        /** The value, or throws the failure. */
        T value() {
            if (failure != null) {
                throw failure;
            }
            return result;
        }
    }

    private static Outcome<float[]> prefill(Sequence sequence) {
        RowAdapters routing = RowAdapters.sequence(sequence.served.routed());
        return Outcome.of(() -> routing.run(() -> sequence.session().forward(sequence.prompt())));
    }

    /**
     * One token for every running sequence: per model tree, in products of at most
     * {@link EngineConfig#productRows} rows, each split into {@link #groups} decoded at once on this
     * thread and the helpers (a MoLE tree's products in turn, see {@link #oneAtATime}); each row's
     * text is then taken on this thread, in order.
     */
    private void step() {
        Map<Llama, List<Sequence>> byTree = new IdentityHashMap<>();
        for (Sequence sequence : running) {
            byTree.computeIfAbsent(sequence.served.model(), tree -> new ArrayList<>()).add(sequence);
        }
        List<List<List<Sequence>>> lanes = new ArrayList<>();
        List<List<Sequence>> inTurn = new ArrayList<>();
        for (List<Sequence> tree : byTree.values()) {
            tree.sort(ADAPTER_ORDER);
            for (int from = 0; from < tree.size(); from += config.productRows()) {
                List<Sequence> rows = tree.subList(from, Math.min(tree.size(), from + config.productRows()));
                if (oneAtATime(tree.getFirst())) {
                    inTurn.add(rows);
                } else {
                    groups(rows).forEach(group -> lanes.add(List.of(group)));
                }
            }
        }
        if (!inTurn.isEmpty()) {
            lanes.add(inTurn);
        }
        List<Future<List<Outcome<float[][]>>>> decoded = atOnce(lanes.stream().map(this::decoding).toList());
        for (int l = 0; l < lanes.size(); l++) {
            List<Outcome<float[][]>> outcomes = resultOf(decoded.get(l));
            for (int g = 0; g < outcomes.size(); g++) {
                List<Sequence> group = lanes.get(l).get(g);
                try {
                    float[][] logits = outcomes.get(g).value();
                    for (int r = 0; r < group.size(); r++) {
                        group.get(r).advance(logits[r]);
                    }
                } catch (RuntimeException e) {
                    group.forEach(sequence -> sequence.fail(e));
                }
            }
        }
        steps++;
    }

    /**
     * {@code rows} (one product's) as groups of at least {@link #MIN_GROUP_ROWS} rows, at most one
     * per processor, that decode at the same time: a step's work outside the products (attention,
     * the KV caches, RoPE, norms) is per row, and groups side by side keep every core busy with it
     * without meeting. Each group reads the weights once for its rows. Fewer rows are one group,
     * decoded on all the backend's threads, its rows' work split between them.
     */
    private List<List<Sequence>> groups(List<Sequence> rows) {
        int count = Math.max(1, Math.min(PROCESSORS, rows.size() / MIN_GROUP_ROWS));
        List<List<Sequence>> groups = new ArrayList<>(count);
        for (int g = 0; g < count; g++) {
            groups.add(rows.subList(g * rows.size() / count, (g + 1) * rows.size() / count));
        }
        return groups;
    }

    /**
     * The logits of each group's next tokens, the groups decoded in turn when called (on whichever
     * thread); the rows' inputs are read now.
     */
    private Callable<List<Outcome<float[][]>>> decoding(List<List<Sequence>> lane) {
        List<Supplier<float[][]>> steps = new ArrayList<>(lane.size());
        for (List<Sequence> rows : lane) {
            List<Llama.Session> sessions = new ArrayList<>(rows.size());
            List<String> adapters = new ArrayList<>(rows.size());
            int[] tokens = new int[rows.size()];
            for (int r = 0; r < rows.size(); r++) {
                Sequence sequence = rows.get(r);
                sessions.add(sequence.session());
                adapters.add(sequence.served.routed());
                tokens[r] = sequence.nextToken();
            }
            steps.add(() -> stepRows(frozen, sessions, adapters, tokens));
        }
        return () -> steps.stream().map(Outcome::of).toList();
    }

    /**
     * Runs the first task on this thread and the others on the helpers, all at once; their results in
     * order. Several tasks keep every core busy by themselves, so each then runs its kernels on its own
     * thread ({@link CallerThreadKernels}): the backend's workers joining them would be threads beyond
     * the cores, spinning between kernels (a profile of 16 streaming clients on 2 cores found them
     * taking a fifth of the process's CPU).
     */
    private <T> List<Future<T>> atOnce(List<Callable<T>> tasks) {
        List<Future<T>> results = new ArrayList<>(tasks.size());
        for (Callable<T> task : tasks.subList(1, tasks.size())) {
            results.add(helpers.submit(() -> CallerThreadKernels.run(() -> call(task))));
        }
        try {
            Callable<T> first = tasks.getFirst();
            results.addFirst(CompletableFuture.completedFuture(tasks.size() == 1 ? first.call() : CallerThreadKernels.run(() -> call(first))));
        } catch (RuntimeException e) {
            results.addFirst(CompletableFuture.failedFuture(e));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return results;
    }

    /** {@code task}'s result; a checked exception (the tasks here throw none) as an unchecked one. */
    private static <T> T call(Callable<T> task) {
        try {
            return task.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The result of a task that catches its own failures (an Error still ends the engine, as on this thread). */
    private static <T> T resultOf(Future<T> task) {
        try {
            return task.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a helper", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw (RuntimeException) e.getCause();
        }
    }

    /**
     * One step of {@code sessions} (one model tree), row r feeding {@code tokens[r]} through adapter
     * {@code adapters.get(r)} (null: the base): each row's logits bit for bit what its session alone
     * gives, however many rows share the products ({@code frozen}: the tree's base weights, or null to
     * read them as they are).
     */
    static float[][] stepRows(FrozenWeights frozen, List<Llama.Session> sessions, List<String> adapters, int[] tokens) {
        Supplier<float[][]> step = () -> RowAdapters.perRow(adapters).run(() -> BatchDecoder.step(sessions, tokens));
        return frozen == null ? BatchInvariantProducts.run(sessions.size(), step) : BatchInvariantProducts.run(sessions.size(), frozen, step);
    }

    /** Takes ended, cancelled and timed-out sequences out of the batch. */
    private void dropEnded() {
        running.removeIf(sequence -> sequence.isDone() || sequence.endedByClientOrClock());
    }

    /** Drops the matrices of removed adapters that no request holds any more (MoLE trees simply become unreachable). */
    private void dropRetired() {
        lock.lock();
        try {
            retiring.removeIf(served -> {
                boolean inUse = running.stream().anyMatch(sequence -> sequence.served == served)
                        || waiting.stream().anyMatch(sequence -> sequence.served == served);
                if (!inUse && served.kind() == ServedModel.Kind.ADAPTER) {
                    Adapters.delete(served.model(), served.routed());
                }
                return !inUse;
            });
        } finally {
            lock.unlock();
        }
    }

    /** A request ended: its place is free. */
    private void release() {
        lock.lock();
        try {
            held--;
        } finally {
            lock.unlock();
        }
    }

    /** Runs {@code task} on the engine's thread between steps and returns its result. */
    private <T> T betweenSteps(Callable<T> task) throws IOException {
        CompletableFuture<T> result = new CompletableFuture<>();
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("the engine is closed");
            }
            tasks.add(() -> {
                try {
                    result.complete(task.call());
                } catch (Exception | Error e) {
                    result.completeExceptionally(e);
                }
            });
            work.signal();
        } finally {
            lock.unlock();
        }
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the engine", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(cause);
        }
    }
}
