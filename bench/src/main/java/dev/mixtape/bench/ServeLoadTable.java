package dev.mixtape.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixtape.adapters.Adapter;
import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.LoraConfig;
import dev.mixtape.adapters.LoraInit;
import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.adapters.TargetModules;
import dev.mixtape.engine.Backends;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.vector.VectorBackend;
import dev.mixtape.models.generate.Sampler;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.tokenizer.Tokenizers;
import dev.mixtape.serve.BatchEngine;
import dev.mixtape.serve.ChatTemplate;
import dev.mixtape.serve.EngineConfig;
import dev.mixtape.serve.Server;
import dev.mixtape.serve.ServerConfig;

import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code bench/run serve}: the server under load. A random-weight stories15M-shape Llama serves 8
 * random LoRA adapters (r = 8 on all seven projections); 1, 4, 16 and 64 clients each stream one
 * completion at once over HTTP (16-token prompts, the adapters taken in turn, greedy, a fixed number
 * of tokens: EOS never wins with these weights). For each: aggregate generated tokens per second
 * (all tokens over the wall time), time to first token and the gaps between tokens (p50, p99) as
 * the clients see them; beside one session decoding alone with an unmerged adapter, the figure a
 * lone request cannot beat, measured just before each row. Runs with products of at most 4 rows
 * and with whole-batch products (64 rows, the default); both give every request a single
 * session's output bit for bit. Before the table every client count streams in warm-up rounds (half
 * the tokens) until the JIT settles ({@link #warmUp}): the figures are the server's steady state, not
 * the JIT's (with one warm-up round, compiling the batched paths took 10-40% of the process's CPU).
 *
 * <p>The clients run in this JVM, one platform thread each, and read the stream with {@link SseClient}
 * (a plain socket, the chunked body decoded, a chunk's text found without a JSON parse): on a host of
 * two cores every client's CPU is taken from the server, and the JDK's HTTP client with Jackson per
 * event cost about 0.1 ms per token. After the table, the process's CPU per token by thread
 * ({@link ThreadCpuShares}) shows the server's share (engine, its helpers, the kernel team, the
 * request threads) apart from the clients' and the JVM's. {@code --step} prints {@link ServeStepTimes} instead.
 */
public final class ServeLoadTable {
    private static final int ADAPTERS = 8;
    /** The length of {@link #prompt}: a serving bench's prompt. */
    static final int PROMPT_TOKENS = 16;
    private static final int[] CLIENTS = {1, 4, 16, 64};
    private static final ObjectMapper JSON = new ObjectMapper();
    /** What precedes a streamed completion chunk's text. */
    private static final String TEXT_FIELD = "\"text\":\"";
    /** JIT compilation time (ms) below which a warm-up round counts as steady state. */
    private static final long SETTLED_JIT_MS = 200;
    /** The most warm-up rounds. */
    private static final int WARM_UP_ROUNDS = 12;

    private ServeLoadTable() {
    }

    /**
     * Runs the table; {@code --quick} streams fewer tokens per client; {@code --clients 16,64} and
     * {@code --product-rows 64} run only those rows; {@code --step} runs {@link ServeStepTimes} and
     * {@code --soak DURATION} runs {@link ServeSoak} instead.
     */
    public static void main(String[] args) throws Exception {
        Duration soak = args.length == 2 && args[0].equals("--soak") ? ServeSoak.parseDuration(args[1]) : null;
        List<String> options = List.of(args);
        boolean quick = options.contains("--quick");
        int tokens = quick ? 24 : 96;
        int[] clientCounts = numbers(options, "--clients", CLIENTS);
        int[] productRowCounts = numbers(options, "--product-rows", new int[] {4, EngineConfig.DEFAULT_PRODUCT_ROWS});
        DecodeShape shape = DecodeShape.ALL.getFirst();
        System.out.println(Host.describe() + " Load average at start: " + FinetuneTable.loadAverage() + ".");
        System.out.println();
        try (RandomLlama2cFiles files = new RandomLlama2cFiles(DecodeShape.VOCAB_SIZE)) {
            Llama llama = Llama.load(files.checkpoint(shape.key(), shape.config(), 512, 1), Backends.create("vector"));
            Tokenizer tokenizer = Tokenizers.load(files.tokenizer());
            Path adapters = Files.createTempDirectory("mixtape-serve-bench-");
            List<Path> folders = writeAdapters(llama, adapters);
            if (soak != null) {
                ServeSoak.run(llama, tokenizer, folders, soak);
                return;
            }
            if (options.contains("--step")) {
                ServeStepTimes.run(Llama.load(files.checkpoint(shape.key() + "-step", shape.config(), 512, 1), new VectorBackend(1)), llama, folders);
                System.out.println("Load average at the end: " + FinetuneTable.loadAverage() + ".");
                return;
            }
            Llama solo = soloModel(llama, folders.getFirst());
            List<Row> rows = new ArrayList<>();
            for (int productRows : productRowCounts) {
                BatchEngine engine = new BatchEngine(llama, tokenizer, "base", new EngineConfig(64, 256, productRows, null));
                for (int i = 0; i < folders.size(); i++) {
                    engine.addAdapter("a" + i, folders.get(i));
                }
                try (Server server = Server.start(ServerConfig.builder(Path.of("random")).port(0).build(), engine, ChatTemplate.plain())) {
                    warmUp(server.port(), clientCounts, tokens);
                    singleSession(solo, tokens);
                    for (int clients : clientCounts) {
                        Single single = singleSession(solo, tokens);
                        rows.add(new Row(productRows, clients, single, load(server.port(), clients, tokens)));
                    }
                }
            }
            System.out.printf(Locale.ROOT, "%s, %d LoRA adapters (r=8, all projections); %d generated tokens per client.%n",
                    shape.description(), ADAPTERS, tokens);
            System.out.println("\"One session\": a session decoding alone, adapter unmerged, warm, best of 3 runs, measured just before each row, so that");
            System.out.println("each ratio compares figures of the same minute (a shared host's load drifts over the run). Process CPU per token counts");
            System.out.println("every thread of this JVM (server, engine, clients); on a shared host it is steadier than wall time.");
            System.out.println();
            System.out.println("Load average at the end: " + FinetuneTable.loadAverage() + ".");
            System.out.println();
            System.out.println("| product rows | clients | one session tok/s | aggregate tok/s | vs one session | one session CPU ms/token | CPU ms/token | vs one session (CPU) | TTFT p50 ms | TTFT p99 ms | inter-token p50 ms | inter-token p99 ms |");
            System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|");
            for (Row row : rows) {
                Load result = row.load();
                Single single = row.single();
                System.out.printf(Locale.ROOT, "| %d | %d | %.1f | %.1f | %.2f | %.2f | %.2f | %.2f | %.1f | %.1f | %.1f | %.1f |%n", row.productRows(), row.clients(),
                        single.tokensPerSecond(), result.tokensPerSecond(), result.tokensPerSecond() / single.tokensPerSecond(),
                        single.cpuMsPerToken(), result.cpuMsPerToken(), single.cpuMsPerToken() / result.cpuMsPerToken(),
                        percentile(result.firstTokenMs, 0.5),
                        percentile(result.firstTokenMs, 0.99), percentile(result.gapsMs, 0.5), percentile(result.gapsMs, 0.99));
            }
            System.out.println();
            System.out.println("Process CPU ms per generated token by thread:");
            for (Row row : rows) {
                System.out.printf(Locale.ROOT, "- %d product rows, %d clients: %s%n", row.productRows(), row.clients(),
                        ThreadCpuShares.perToken(row.load().cpuByThread(), row.load().totalTokens()));
            }
        }
    }

    /**
     * Streams every client count's load (half the tokens) in rounds until a round adds less than
     * {@link #SETTLED_JIT_MS} of JIT compilation, at most {@link #WARM_UP_ROUNDS} rounds: the table's
     * figures are then the server's steady state, not the JIT's (the compilers were still busy
     * with the batched paths 40 seconds into a run, a quarter of the process's CPU).
     */
    private static void warmUp(int port, int[] clientCounts, int tokens) throws Exception {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        long compiled = jit.getTotalCompilationTime();
        for (int round = 1; ; round++) {
            for (int clients : clientCounts) {
                load(port, clients, tokens / 2);
            }
            long now = jit.getTotalCompilationTime();
            System.out.printf(Locale.ROOT, "warm-up round %d: %d ms of JIT compilation%n", round, now - compiled);
            if (now - compiled < SETTLED_JIT_MS || round == WARM_UP_ROUNDS) {
                return;
            }
            compiled = now;
        }
    }

    /** The comma-separated numbers after {@code option} in {@code options}, else {@code fallback}. */
    private static int[] numbers(List<String> options, String option, int[] fallback) {
        int at = options.indexOf(option);
        if (at < 0) {
            return fallback;
        }
        if (at + 1 >= options.size()) {
            throw new IllegalArgumentException(option + " needs a value, such as 16 or 16,64");
        }
        return java.util.Arrays.stream(options.get(at + 1).split(",")).mapToInt(Integer::parseInt).toArray();
    }

    /** One line of the table. */
    private record Row(int productRows, int clients, Single single, Load load) {
    }

    /** One session decoding alone: its best tokens per second and its process CPU per token. */
    private record Single(double tokensPerSecond, double cpuMsPerToken) {
    }

    /** Writes the random adapters' PEFT folders under {@code folder}. */
    private static List<Path> writeAdapters(Llama llama, Path folder) throws IOException {
        List<Path> folders = new ArrayList<>();
        LoraConfig config = LoraConfig.builder(TargetModules.names("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"))
                .r(8).alpha(16).init(LoraInit.RANDOM).build();
        for (int i = 0; i < ADAPTERS; i++) {
            Llama twin = llama.sharingWeights();
            Adapter adapter = Adapters.inject(twin, config, "default", new Rng(100 + i));
            Path out = Files.createDirectories(folder.resolve("a" + i));
            PeftFiles.write(out, adapter);
            folders.add(out);
        }
        return folders;
    }

    /** A model over {@code llama}'s weights with {@code adapter} loaded and active, unmerged. */
    private static Llama soloModel(Llama llama, Path adapter) throws IOException {
        Llama twin = llama.sharingWeights();
        PeftFiles.load(adapter, twin, "default");
        return twin;
    }

    /** Greedy decoding of one session of {@code solo} alone: the best of three runs of {@code tokens} tokens. */
    private static Single singleSession(Llama solo, int tokens) {
        double best = 0;
        long cpuBefore = processCpuNanos();
        for (int round = 0; round < 3; round++) {
            Llama.Session session = solo.newSession(PROMPT_TOKENS + tokens);
            float[] logits = session.forward(prompt(new SplittableRandom(round)));
            long start = System.nanoTime();
            for (int t = 0; t < tokens - 1; t++) {
                logits = session.forward(Sampler.argmax(logits));
            }
            best = Math.max(best, (tokens - 1) / ((System.nanoTime() - start) / 1e9));
        }
        return new Single(best, (processCpuNanos() - cpuBefore) / 1e6 / (3.0 * tokens));
    }

    /** BOS and {@link #PROMPT_TOKENS} − 1 random ids above the byte tokens: the prompt of a serving bench's request. */
    static int[] prompt(SplittableRandom random) {
        int[] ids = new int[PROMPT_TOKENS];
        ids[0] = 1;
        for (int i = 1; i < ids.length; i++) {
            ids[i] = random.nextInt(300, DecodeShape.VOCAB_SIZE);
        }
        return ids;
    }

    /** The clients' measurements: every generated token's arrival, per client. */
    private record Load(long totalTokens, double seconds, long cpuNanos, Map<String, Long> cpuByThread, List<Double> firstTokenMs,
                        List<Double> gapsMs) {
        double tokensPerSecond() {
            return totalTokens / seconds;
        }

        double cpuMsPerToken() {
            return cpuNanos / 1e6 / totalTokens;
        }
    }

    /** CPU time of every thread of this process so far. */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** {@code clients} streaming completions at once, each of {@code tokens} tokens. */
    private static Load load(int port, int clients, int tokens) throws Exception {
        List<Double> firstTokens = Collections.synchronizedList(new ArrayList<>());
        List<Double> gaps = Collections.synchronizedList(new ArrayList<>());
        long start = System.nanoTime();
        long cpuStart = processCpuNanos();
        ThreadCpuShares shares = new ThreadCpuShares(ServeLoadTable::threadKind);
        long total = 0;
        try (ExecutorService threads = Executors.newFixedThreadPool(clients, Thread.ofPlatform().name("bench-client-", 1).daemon(true).factory())) {
            List<Future<Integer>> streams = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                streams.add(threads.submit(() -> stream(port, client, tokens, firstTokens, gaps)));
            }
            for (Future<Integer> stream : streams) {
                total += stream.get();
            }
            // Counted while the clients' threads live: an ended thread's CPU time is no longer its own.
            return new Load(total, (System.nanoTime() - start) / 1e9, processCpuNanos() - cpuStart, shares.sinceStart(), firstTokens, gaps);
        }
    }

    /** The kind of this process's thread {@code name}, for {@link ThreadCpuShares}. */
    private static String threadKind(String name) {
        if (name.equals("mixtape-batch-engine")) {
            return "engine thread";
        }
        if (name.startsWith("mixtape-batch-decoder-")) {
            return "engine helpers";
        }
        if (name.startsWith("mixtape-vector-")) {
            return "kernel team workers";
        }
        if (name.startsWith("ForkJoinPool")) {
            return "server request threads (virtual)";
        }
        if (name.startsWith("HTTP-Dispatcher")) {
            return "server dispatcher";
        }
        if (name.startsWith("bench-client-")) {
            return "bench clients";
        }
        return "other (" + name + ")";
    }

    /**
     * One client's streamed completion; returns the tokens it received: the events whose text is not
     * empty ({@code "text":""} is the last chunk's, which carries the finish reason). The server writes
     * every chunk with Jackson, so a chunk's text is the characters after {@code "text":"}.
     */
    private static int stream(int port, int client, int tokens, List<Double> firstTokens, List<Double> gaps) throws Exception {
        String body = JSON.writeValueAsString(Map.of("model", "a" + client % ADAPTERS, "prompt", prompt(new SplittableRandom(client)),
                "max_tokens", tokens, "temperature", 0, "stream", true));
        long sent = System.nanoTime();
        try (SseClient response = SseClient.post(port, "/v1/completions", body)) {
            if (response.status() != 200) {
                throw new IllegalStateException("client " + client + ": HTTP " + response.status());
            }
            long last = -1;
            int received = 0;
            for (String line = response.nextLine(); line != null; line = response.nextLine()) {
                int text = line.startsWith("data: {") ? line.indexOf(TEXT_FIELD) : -1;
                if (text < 0 || line.startsWith("\"", text + TEXT_FIELD.length())) {
                    continue;
                }
                long now = System.nanoTime();
                if (last < 0) {
                    firstTokens.add((now - sent) / 1e6);
                } else {
                    gaps.add((now - last) / 1e6);
                }
                last = now;
                received++;
            }
            return received;
        }
    }

    private static double percentile(List<Double> values, double p) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        return sorted.get(Math.max(0, (int) Math.ceil(p * sorted.size()) - 1));
    }
}
