package dev.mixtape.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.serve.BatchEngine;
import dev.mixtape.serve.ChatTemplate;
import dev.mixtape.serve.EngineConfig;
import dev.mixtape.serve.ServedModel;
import dev.mixtape.serve.Server;
import dev.mixtape.serve.ServerConfig;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * {@code bench/run serve --soak DURATION}: the server under minutes of mixed traffic. Streaming
 * clients finish some completions and disconnect from others mid-stream, others send non-streamed
 * requests and bad ones (broken JSON, a negative max_tokens, an unknown model, a missing prompt),
 * and one swaps adapters in and out through the API and through the watched adapter folder, all at
 * once. It reports every error a well-formed request got (a request for a name that is always served
 * must get a 200 and a finished answer; one for a name being swapped a 200 or a 404; a bad one a
 * 400 or 404), the heap after a full GC before and after (the same adapters served at both points),
 * and the sockets the process holds before and after (every connection must close).
 */
final class ServeSoak {
    /** Names loaded before the soak and never swapped: requests for them must always succeed. */
    private static final List<String> STEADY = List.of("base", "a0", "a1", "a2");
    /** The heap after the soak may exceed the heap before by at most this much. */
    private static final long HEAP_BOUND = 16L << 20;
    private static final int STREAMING_CLIENTS = 12;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final int port;
    private final HttpClient http = HttpClient.newBuilder().executor(Executors.newVirtualThreadPerTaskExecutor()).build();
    private final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    private final AtomicLong finished = new AtomicLong();
    private final AtomicLong abandoned = new AtomicLong();
    private final AtomicLong chunks = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong swaps = new AtomicLong();
    private final AtomicLong peakSockets = new AtomicLong();

    private ServeSoak(int port) {
        this.port = port;
    }

    /** A duration as {@code 3m}, {@code 90s} or a number of seconds. */
    static Duration parseDuration(String text) {
        String value = text.strip().toLowerCase(Locale.ROOT);
        try {
            if (value.endsWith("m")) {
                return Duration.ofMinutes(Long.parseLong(value.substring(0, value.length() - 1)));
            }
            return Duration.ofSeconds(Long.parseLong(value.endsWith("s") ? value.substring(0, value.length() - 1) : value));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--soak takes a duration such as 3m or 90s, got '" + text + "'");
        }
    }

    /** Runs the soak for {@code duration} against a server over {@code llama} and the adapter folders {@code adapters} (at least 8). */
    static void run(Llama llama, Tokenizer tokenizer, List<Path> adapters, Duration duration) throws Exception {
        Path watched = Files.createTempDirectory("mixtape-soak-watched-");
        AtomicLong folderEvents = new AtomicLong();
        ConcurrentLinkedQueue<String> folderProblems = new ConcurrentLinkedQueue<>();
        BatchEngine engine = new BatchEngine(llama, tokenizer, "base", EngineConfig.defaults());
        for (int i = 0; i < 3; i++) {
            engine.addAdapter("a" + i, adapters.get(i));
        }
        ServerConfig config = ServerConfig.builder(Path.of("random")).port(0).adapterDir(watched, Duration.ofMillis(250))
                .log(line -> {
                    folderEvents.incrementAndGet();
                    if (line.contains("not served")) {
                        folderProblems.add(line);
                    }
                }).build();
        try (Server server = Server.start(config, engine, ChatTemplate.plain())) {
            ServeSoak warmUp = new ServeSoak(server.port());
            warmUp.traffic(Duration.ofSeconds(10), adapters, watched);
            warmUp.http.close();
            warmUp.settle(engine, watched);
            long heapBefore = heapAfterGc();
            long socketsBefore = openSockets();

            ServeSoak soak = new ServeSoak(server.port());
            long start = System.nanoTime();
            soak.traffic(duration, adapters, watched);
            double seconds = (System.nanoTime() - start) / 1e9;
            soak.http.close();
            soak.settle(engine, watched);
            long socketsAfter = awaitSockets(socketsBefore);
            long heapAfter = heapAfterGc();
            soak.errors.addAll(folderProblems);

            System.out.printf(Locale.ROOT, "Soak of %.0f s: %d streams finished, %d abandoned mid-stream, %d bad requests refused with a 4xx, "
                            + "%d adapter swaps (API and folder), %d chunks streamed.%n",
                    seconds, soak.finished.get(), soak.abandoned.get(), soak.refused.get(), soak.swaps.get(), soak.chunks.get());
            System.out.printf(Locale.ROOT, "Errors to well-formed requests: %d%s%n", soak.errors.size(),
                    soak.errors.isEmpty() ? "" : "; the first: " + String.join(" | ", soak.errors.stream().limit(5).toList()));
            System.out.printf(Locale.ROOT, "Heap after a full GC: %.1f MiB before, %.1f MiB after (%+.1f MiB; bound +%d MiB): %s.%n",
                    heapBefore / 1048576.0, heapAfter / 1048576.0, (heapAfter - heapBefore) / 1048576.0, HEAP_BOUND >> 20,
                    heapAfter - heapBefore <= HEAP_BOUND ? "within" : "EXCEEDED");
            System.out.printf(Locale.ROOT, "Open sockets in the process: %d before, up to %d during, %d after: %s.%n", socketsBefore,
                    soak.peakSockets.get(), socketsAfter,
                    socketsAfter <= socketsBefore ? "every connection closed" : "CONNECTIONS LEFT OPEN");
            System.out.printf(Locale.ROOT, "Requests held by the engine at the end: %d; adapter-folder events logged: %d.%n",
                    engine.held(), folderEvents.get());
        }
    }

    /** Every kind of client at once for {@code duration}. */
    private void traffic(Duration duration, List<Path> adapters, Path watched) throws Exception {
        long end = System.nanoTime() + duration.toNanos();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < STREAMING_CLIENTS; c++) {
                SplittableRandom random = new SplittableRandom(c);
                running.add(clients.submit(() -> {
                    while (System.nanoTime() < end) {
                        stream(random);
                    }
                    return null;
                }));
            }
            SplittableRandom badRandom = new SplittableRandom(100);
            running.add(clients.submit(() -> {
                while (System.nanoTime() < end) {
                    badRequest(badRandom);
                    complete(badRandom);
                }
                return null;
            }));
            running.add(clients.submit(() -> {
                swapAdapters(end, adapters, watched);
                return null;
            }));
            for (Future<?> client : running) {
                client.get();
            }
        }
    }

    /** A streamed completion read to its end, or dropped after a few tokens (one in three). */
    private void stream(SplittableRandom random) {
        String model = pickModel(random);
        boolean steady = STEADY.contains(model);
        int dropAfter = random.nextInt(3) == 0 ? 1 + random.nextInt(6) : Integer.MAX_VALUE;
        Map<String, Object> body = Map.of("model", model, "prompt", prompt(random), "max_tokens", 8 + random.nextInt(40),
                "temperature", random.nextInt(2), "stream", true);
        try {
            HttpResponse<InputStream> response = http.send(post("/v1/completions", JSON.writeValueAsString(body)),
                    HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = response.body()) {
                if (response.statusCode() == 404 && !steady) {
                    return;
                }
                if (response.statusCode() != 200) {
                    errors.add(model + ": HTTP " + response.statusCode() + " " + new String(in.readAllBytes(), StandardCharsets.UTF_8));
                    return;
                }
                readEvents(model, new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)), dropAfter);
            }
        } catch (IOException e) {
            errors.add(model + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Reads a stream's events, checking it is well formed, or stops after {@code dropAfter} of them. */
    private void readEvents(String model, BufferedReader events, int dropAfter) throws IOException {
        int seen = 0;
        String finish = null;
        for (String line = events.readLine(); line != null; line = events.readLine()) {
            if (!line.startsWith("data: ")) {
                continue;
            }
            String data = line.substring(6);
            if (data.equals("[DONE]")) {
                if (finish == null) {
                    errors.add(model + ": [DONE] without a finish_reason");
                } else {
                    finished.incrementAndGet();
                }
                return;
            }
            JsonNode chunk = JSON.readTree(data);
            if (chunk.has("error")) {
                errors.add(model + ": error event " + data);
                return;
            }
            JsonNode choice = chunk.path("choices").path(0);
            if (!choice.path("finish_reason").isNull() && !choice.path("finish_reason").isMissingNode()) {
                finish = choice.path("finish_reason").asText();
            }
            chunks.incrementAndGet();
            if (++seen >= dropAfter) {
                abandoned.incrementAndGet();
                return;
            }
        }
        errors.add(model + ": the stream ended without [DONE]");
    }

    /** A non-streamed completion. */
    private void complete(SplittableRandom random) throws Exception {
        String model = pickModel(random);
        Map<String, Object> body = Map.of("model", model, "prompt", prompt(random), "max_tokens", 4 + random.nextInt(12));
        HttpResponse<String> response = http.send(post("/v1/completions", JSON.writeValueAsString(body)), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 404 && !STEADY.contains(model)) {
            return;
        }
        if (response.statusCode() != 200 || JSON.readTree(response.body()).path("choices").path(0).path("finish_reason").isMissingNode()) {
            errors.add(model + ": HTTP " + response.statusCode() + " " + response.body());
        }
    }

    /** One of four bad requests; each must get a 400 or 404 with OpenAI's error object. */
    private void badRequest(SplittableRandom random) throws Exception {
        String body = switch (random.nextInt(4)) {
            case 0 -> "{\"model\": \"base\", \"prompt\": ";
            case 1 -> "{\"model\": \"base\", \"prompt\": \"x\", \"max_tokens\": -3}";
            case 2 -> "{\"model\": \"nobody\", \"prompt\": \"x\"}";
            default -> "{\"model\": \"base\"}";
        };
        HttpResponse<String> response = http.send(post("/v1/completions", body), HttpResponse.BodyHandlers.ofString());
        if ((response.statusCode() == 400 || response.statusCode() == 404) && JSON.readTree(response.body()).has("error")) {
            refused.incrementAndGet();
        } else {
            errors.add("bad request " + body + " got HTTP " + response.statusCode() + " " + response.body());
        }
    }

    /**
     * Until {@code end}: every half second, either loads adapter {@code swap} through the API (from
     * the next folder in turn) or deletes it, or copies a folder into the watched folder as
     * {@code w<k>} (through a name starting with a dot, then renamed) or removes the oldest there.
     */
    private void swapAdapters(long end, List<Path> adapters, Path watched) throws Exception {
        boolean loaded = false;
        int next = 0;
        List<Path> inFolder = new ArrayList<>();
        for (int turn = 0; System.nanoTime() < end; turn++) {
            Thread.sleep(500);
            Path source = adapters.get(3 + next++ % (adapters.size() - 3));
            if (turn % 2 == 0) {
                HttpResponse<String> response = loaded
                        ? http.send(request("/v1/adapters/swap").DELETE().build(), HttpResponse.BodyHandlers.ofString())
                        : http.send(post("/v1/adapters", JSON.writeValueAsString(Map.of("name", "swap", "path", source.toString()))),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() / 100 != 2) {
                    errors.add("adapter swap through the API: HTTP " + response.statusCode() + " " + response.body());
                }
                loaded = !loaded;
            } else if (inFolder.size() < 3) {
                Path staging = watched.resolve(".staging-" + turn);
                copyFolder(source, staging);
                Path target = watched.resolve("w" + turn);
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
                inFolder.add(target);
            } else {
                deleteFolder(inFolder.removeFirst());
            }
            swaps.incrementAndGet();
            peakSockets.accumulateAndGet(openSockets(), Math::max);
        }
        if (loaded) {
            http.send(request("/v1/adapters/swap").DELETE().build(), HttpResponse.BodyHandlers.ofString());
        }
        for (Path folder : inFolder) {
            deleteFolder(folder);
        }
    }

    /** A name to ask for: mostly the steady ones, sometimes the swapped ones (present or not). */
    private static String pickModel(SplittableRandom random) {
        return switch (random.nextInt(8)) {
            case 0 -> "swap";
            case 1 -> "w" + (1 + 2 * random.nextInt(20));
            default -> STEADY.get(random.nextInt(STEADY.size()));
        };
    }

    private static int[] prompt(SplittableRandom random) {
        int[] ids = new int[4 + random.nextInt(24)];
        ids[0] = 1;
        for (int i = 1; i < ids.length; i++) {
            ids[i] = random.nextInt(300, DecodeShape.VOCAB_SIZE);
        }
        return ids;
    }

    /** Waits until no request is held and the watched folder's adapters are gone, so that the served set is the one of the start. */
    private void settle(BatchEngine engine, Path watched) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (engine.held() > 0 || engine.models().size() != STEADY.size()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the server did not settle: " + engine.held() + " requests held, serving "
                        + engine.models().stream().map(ServedModel::name).toList());
            }
            Thread.sleep(50);
        }
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofMinutes(2));
    }

    private HttpRequest post(String path, String body) {
        return request(path).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private static long heapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Sockets this process holds open (Linux: links in /proc/self/fd to {@code socket:[...]}). */
    private static long openSockets() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith("socket:");
                } catch (IOException e) {
                    return false;
                }
            }).count();
        }
    }

    /** The open sockets once they are down to {@code target}, or after 30 s. */
    private static long awaitSockets(long target) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        long open = openSockets();
        while (open > target && System.nanoTime() < deadline) {
            Thread.sleep(100);
            open = openSockets();
        }
        return open;
    }

    private static void copyFolder(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Files.copy(file, to.resolve(file.getFileName()));
            }
        }
    }

    private static void deleteFolder(Path folder) throws IOException {
        try (Stream<Path> walk = Files.walk(folder)) {
            for (Path path : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(path);
            }
        }
    }
}
