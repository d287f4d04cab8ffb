package dev.mixtape.serve;

import dev.mixtape.engine.DType;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.llama.NonFiniteWeights;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What {@link Server#start} serves and how: the model, the adapters and MoLE folders to load at
 * start, where to listen, the API key, and the limits.
 *
 * @param model        an HF folder, a .gguf or a llama2.c .bin
 * @param weights      the type its weight matrices are kept in: {@link Llama#AS_STORED} (default: as the file holds them), F32,
 *                     BF16, Q8_0 or Q4_0 (see {@code --weights} in docs/CLI.md)
 * @param nonFinite    what loading does with a weight holding NaN or ±Inf (default: refuse the model)
 * @param tokenizer    a tokenizer overriding the model's own, or null
 * @param modelName    the name the base model is served as (default: the model's file name)
 * @param adapters     LoRA/MoSLoRA folders by served name
 * @param moles        MoLE folders by served name
 * @param host         the address to bind (default 127.0.0.1: this machine only)
 * @param port         the port (0: any free one, see {@link Server#port})
 * @param apiKey       the key every /v1 request must bear ({@code Authorization: Bearer KEY}), or null for none
 * @param engine       the batching limits
 * @param maxBodyBytes the largest request body accepted (413 above)
 * @param adapterDir   a folder whose subfolders are served as adapters under their names, watched
 *                     while serving (see {@link AdapterFolderWatcher}), or null
 * @param adapterScan  how often the adapter folder is scanned (default 1 s)
 * @param log          where the server reports what it does on its own (adapters from the folder
 *                     loaded, removed or refused), one line each; default: standard error
 */
public record ServerConfig(Path model, DType weights, NonFiniteWeights nonFinite, Path tokenizer, String modelName, Map<String, Path> adapters, Map<String, Path> moles,
                           String host, int port, String apiKey, EngineConfig engine, int maxBodyBytes, Path adapterDir, Duration adapterScan,
                           Consumer<String> log) {
    public ServerConfig {
        if (adapterScan.isNegative() || adapterScan.isZero()) {
            throw new IllegalArgumentException("the adapter folder's scan interval must be positive, got " + adapterScan);
        }
        adapters = Collections.unmodifiableMap(new LinkedHashMap<>(adapters));
        moles = Collections.unmodifiableMap(new LinkedHashMap<>(moles));
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("the port must be in 0..65535, got " + port);
        }
        if (maxBodyBytes < 1) {
            throw new IllegalArgumentException("the body limit must be >= 1 byte, got " + maxBodyBytes);
        }
        if (apiKey != null && apiKey.isEmpty()) {
            throw new IllegalArgumentException("the API key may not be empty");
        }
    }

    /** A config for {@code model} with every default; change it with the builder's methods. */
    public static Builder builder(Path model) {
        return new Builder(model);
    }

    /** Builds a {@link ServerConfig}. */
    public static final class Builder {
        private final Path model;
        private DType weights = Llama.AS_STORED;
        private NonFiniteWeights nonFinite = NonFiniteWeights.REFUSE;
        private Path tokenizer;
        private String modelName;
        private final Map<String, Path> adapters = new LinkedHashMap<>();
        private final Map<String, Path> moles = new LinkedHashMap<>();
        private String host = "127.0.0.1";
        private int port = 8080;
        private String apiKey;
        private EngineConfig engine = EngineConfig.defaults();
        private int maxBodyBytes = 1 << 20;
        private Path adapterDir;
        private Duration adapterScan = Duration.ofSeconds(1);
        private Consumer<String> log = line -> System.err.println("mixtape: " + line);

        private Builder(Path model) {
            this.model = model;
        }

        public Builder weights(DType weights, NonFiniteWeights nonFinite) {
            this.weights = weights;
            this.nonFinite = nonFinite;
            return this;
        }

        public Builder tokenizer(Path tokenizer) {
            this.tokenizer = tokenizer;
            return this;
        }

        public Builder modelName(String modelName) {
            this.modelName = modelName;
            return this;
        }

        public Builder adapter(String name, Path folder) {
            adapters.put(name, folder);
            return this;
        }

        public Builder mole(String name, Path folder) {
            moles.put(name, folder);
            return this;
        }

        public Builder host(String host) {
            this.host = host;
            return this;
        }

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder apiKey(String apiKey) {
            this.apiKey = apiKey;
            return this;
        }

        public Builder engine(EngineConfig engine) {
            this.engine = engine;
            return this;
        }

        /** Shorthand for an {@link EngineConfig} with these batch limits and the default product rows. */
        public Builder limits(int maxBatch, int maxConcurrent, Duration requestTimeout) {
            this.engine = new EngineConfig(maxBatch, maxConcurrent, EngineConfig.DEFAULT_PRODUCT_ROWS, requestTimeout);
            return this;
        }

        public Builder maxBodyBytes(int maxBodyBytes) {
            this.maxBodyBytes = maxBodyBytes;
            return this;
        }

        /** Serves every adapter folder inside {@code folder}, scanning it every {@code scan} for folders added and removed. */
        public Builder adapterDir(Path folder, Duration scan) {
            this.adapterDir = folder;
            this.adapterScan = scan;
            return this;
        }

        public Builder log(Consumer<String> log) {
            this.log = log;
            return this;
        }

        public ServerConfig build() {
            String name = modelName != null ? modelName : defaultName(model);
            return new ServerConfig(model, weights, nonFinite, tokenizer, name, adapters, moles, host, port, apiKey, engine, maxBodyBytes,
                    adapterDir, adapterScan, log);
        }

        private static String defaultName(Path model) {
            String file = model.toAbsolutePath().normalize().getFileName().toString();
            int dot = file.lastIndexOf('.');
            return dot > 0 ? file.substring(0, dot) : file;
        }
    }
}
