package dev.mixtape.cli;

import dev.mixtape.serve.EngineConfig;
import dev.mixtape.serve.ServedModel;
import dev.mixtape.serve.Server;
import dev.mixtape.serve.ServerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;

/**
 * {@code mixtape serve}: an OpenAI-compatible server over a model and any number of adapters and
 * MoLE folders, until the process is stopped (Ctrl-C); docs/SERVING.md describes it.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve a model and its adapters over OpenAI's HTTP API (completions, chat completions, streaming). "
                + "See docs/SERVING.md.")
final class ServeCommand implements Callable<Integer> {
    /** The environment variable that gives the API key when --api-key does not. */
    static final String KEY_VARIABLE = "MIXTAPE_API_KEY";

    @Mixin
    ModelOption model;

    @Mixin
    TokenizerOption tokenizer;

    @Option(names = "--model-name", description = "The name clients ask for the base model by (default: the model's file name).")
    String modelName;

    @Option(names = "--adapter", paramLabel = "NAME=DIR", description = "A LoRA/MoSLoRA adapter folder (PEFT's format) served as NAME; repeatable.")
    Map<String, Path> adapters = new LinkedHashMap<>();

    @Option(names = "--mole", paramLabel = "NAME=DIR", description = "A MoLE folder (from compose) served as NAME; repeatable.")
    Map<String, Path> moles = new LinkedHashMap<>();

    @Option(names = "--adapter-dir", paramLabel = "DIR", description = "Serve every adapter or MoLE folder inside DIR under its folder's name, "
            + "watching DIR while serving: folders added are loaded once their files stand still, folders removed stop being served.")
    Path adapterDir;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}, this machine only; 0.0.0.0 for every interface).")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "Port (default: ${DEFAULT-VALUE}; 0 for any free one).")
    int port;

    @Option(names = "--api-key", description = "Require 'Authorization: Bearer KEY' on every /v1 request (default: $" + KEY_VARIABLE + ", else none).")
    String apiKey;

    @Option(names = "--max-batch", defaultValue = "64", description = "Most sequences decoding together (default: ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(names = "--max-concurrent", defaultValue = "256", description = "Most requests held, decoding or waiting; more get 429 (default: ${DEFAULT-VALUE}).")
    int maxConcurrent;

    @Option(names = "--product-rows", defaultValue = "64", description = "Most rows per weight product (default: ${DEFAULT-VALUE}); a step of more "
            + "sequences reads the weights once per product. Any value gives each request bit for bit what 'generate' gives it.")
    int productRows;

    @Option(names = "--weight-panels", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Steps of several requests read the f32 base weights from a copy laid out for many rows: faster batches, "
                    + "the same output, as much memory again as those weights (default: on; --no-weight-panels saves the memory).")
    boolean weightPanels;

    @Option(names = "--timeout", defaultValue = "600", description = "Seconds a request may take, waiting included (default: ${DEFAULT-VALUE}; 0: no limit).")
    long timeoutSeconds;

    @Option(names = "--max-body-bytes", defaultValue = "1048576", description = "Largest request body (default: ${DEFAULT-VALUE}).")
    int maxBodyBytes;

    @Mixin
    WeightsOption weights;

    @Override
    public Integer call() throws Exception {
        if (timeoutSeconds < 0) {
            throw new IllegalArgumentException("--timeout must be >= 0, got " + timeoutSeconds);
        }
        String key = apiKey != null ? apiKey : System.getenv(KEY_VARIABLE);
        ServerConfig.Builder config = ServerConfig.builder(model.path()).tokenizer(tokenizer.given).modelName(modelName).host(host).port(port)
                .apiKey(key == null || key.isEmpty() ? null : key).maxBodyBytes(maxBodyBytes).weights(weights.dtype(), weights.nonFinite())
                .engine(new EngineConfig(maxBatch, maxConcurrent, productRows, timeoutSeconds == 0 ? null : Duration.ofSeconds(timeoutSeconds), weightPanels));
        if (adapterDir != null) {
            config.adapterDir(adapterDir, Duration.ofSeconds(1));
        }
        adapters.forEach(config::adapter);
        moles.forEach(config::mole);
        Server server = Server.start(config.build());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }));
        PrintStream err = System.err;
        err.printf(Locale.ROOT, "mixtape: serving %s on http://%s:%d/v1%s%n",
                server.engine().models().stream().map(ServedModel::name).collect(Collectors.joining(", ")),
                host, server.port(), key == null || key.isEmpty() ? "" : " (API key required)");
        stopped.await();
        return 0;
    }
}
