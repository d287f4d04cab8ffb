package dev.mixtape.models.llama;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.F;
import dev.mixtape.engine.Grad;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.RopeTable;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.nn.Embedding;
import dev.mixtape.engine.nn.Linear;
import dev.mixtape.engine.nn.Module;
import dev.mixtape.engine.nn.ModuleList;
import dev.mixtape.engine.nn.RMSNorm;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * A Llama causal language model, with parameters named exactly as Hugging Face's
 * {@code LlamaForCausalLM} ({@code model.layers.0.self_attn.q_proj.weight}, ..., {@code lm_head.weight}
 * unless tied). Two paths over the same weights: {@link #forward} runs whole sequences through the
 * tape (training, evaluation), and {@link #newSession} decodes incrementally with a KV cache and no
 * tape (generation). The model itself is not modified by either, so one loaded model can serve
 * several threads, each with its own session.
 */
public final class Llama extends Module {
    private static final String LAYER_PREFIX = "model.layers.";
    /**
     * The {@code weights} argument of {@link #load(Path, Backend, DType, NonFiniteWeights)} that keeps
     * each matrix as the file stores it (block formats as blocks, the rest F32): null.
     */
    public static final DType AS_STORED = null;

    private final LlamaConfig config;
    private final Backend backend;
    private final LlamaDecoder model;
    private final Linear lmHead;
    private final GrowingRopeTable rope;
    private boolean checkpointLayers;

    /** A model of this shape; a null {@code rng} leaves its parameters {@code unloaded} for {@link #load}. */
    private Llama(LlamaConfig config, Backend backend, Rng rng) {
        this.config = config;
        this.backend = backend;
        model = registerModule("model", new LlamaDecoder(config, backend, rng));
        lmHead = config.tieWordEmbeddings() ? null : registerModule("lm_head", new Linear(backend, config.dim(), config.vocabSize(), false, rng));
        rope = new GrowingRopeTable(backend, config.ropeInverseFrequencies(), config.maxPositions());
    }

    /** A model of this shape with PyTorch's default initialisation from {@code seed} (benchmarks, pretraining). */
    public static Llama random(LlamaConfig config, Backend backend, long seed) {
        return new Llama(config, backend, new Rng(seed));
    }

    /**
     * Loads the model at {@code path} (an HF folder, a {@code .gguf} or a llama2.c {@code .bin}; see
     * {@link Checkpoints#open}) onto {@code backend}, each matrix as the file stores it: a GGUF's
     * block-format matrices (Q8_0, Q4_K, ...) stay in their formats, frozen; everything else is F32.
     */
    public static Llama load(Path path, Backend backend) throws IOException {
        return load(path, backend, AS_STORED);
    }

    /**
     * Loads the model at {@code path} with its weight matrices kept in {@code weights} (see
     * {@link #keepWeightsIn}): F32 (block formats widened too), BF16, or Q8_0 / Q4_0, into which an
     * f32, f16 or bf16 checkpoint's matrices are quantised as they are read (those whose rows are
     * whole blocks; see {@link WeightQuantization}), so the f32 model never exists whole. A weight
     * holding NaN or ±Inf is refused.
     */
    public static Llama load(Path path, Backend backend, DType weights) throws IOException {
        return load(path, backend, weights, NonFiniteWeights.REFUSE);
    }

    /**
     * {@link #load(Path, Backend, DType)}, with weights holding NaN or ±Inf handled as {@code nonFinite}
     * says; {@code weights} {@link #AS_STORED} (null) loads each matrix as {@link #load(Path, Backend)} does.
     */
    public static Llama load(Path path, Backend backend, DType weights, NonFiniteWeights nonFinite) throws IOException {
        try (Checkpoint checkpoint = Checkpoints.open(path)) {
            return load(checkpoint, backend, weights, nonFinite);
        }
    }

    /**
     * Loads every weight of {@code checkpoint}. Each parameter must be present with its exact shape;
     * a missing, extra or misshapen tensor is an error naming the checkpoint and the tensor.
     */
    public static Llama load(Checkpoint checkpoint, Backend backend) throws IOException {
        return load(checkpoint, backend, AS_STORED, NonFiniteWeights.REFUSE);
    }

    /**
     * {@link #load(Checkpoint, Backend)} with the weight matrices narrowed to {@code weights} as they
     * are read. The config is checked against the stored shapes, by name, before any weight is read
     * or anything is allocated for the config's sake; every weight is scanned for NaN and ±Inf as it
     * is read. {@code weights} {@link #AS_STORED} keeps block-format matrices as stored.
     */
    public static Llama load(Checkpoint checkpoint, Backend backend, DType weights, NonFiniteWeights nonFinite) throws IOException {
        if (weights != AS_STORED) {
            requireWeightType(weights);
        }
        LlamaConfig config = checkpoint.config();
        requireLayerCount(checkpoint, config);
        Llama llama = new Llama(config, backend, null);
        Set<String> available = new HashSet<>(checkpoint.names());
        Map<String, Tensor> standIns = llama.namedParameters();
        for (Map.Entry<String, Tensor> standIn : standIns.entrySet()) {
            String name = standIn.getKey();
            if (!available.remove(name)) {
                throw new IOException(checkpoint.source() + ": missing tensor '" + name + "'");
            }
            int[] stored = checkpoint.shape(name);
            int[] expected = standIn.getValue().shape();
            if (!Arrays.equals(expected, stored)) {
                throw new IOException(checkpoint.source() + ": tensor '" + name + "' has shape " + Arrays.toString(stored)
                        + " but the config implies " + Arrays.toString(expected));
            }
        }
        available.remove("lm_head.weight");
        if (!available.isEmpty()) {
            throw new IOException(checkpoint.source() + ": tensors the config does not account for: " + available);
        }
        WeightLoading loading = new WeightLoading(checkpoint, backend, weights, nonFinite);
        for (Map.Entry<String, Tensor> standIn : standIns.entrySet()) {
            String name = standIn.getKey();
            Tensor weight = loading.read(name, standIn.getValue().shape());
            llama.setParameter(name, weight);
            if (weight.dtype() != DType.F32) {
                weight.requiresGrad(false);
            }
        }
        return llama;
    }

    /**
     * Refuses a config whose layer count differs from the checkpoint's before a module is built for
     * it, so that an absurd {@code num_hidden_layers} costs nothing.
     */
    private static void requireLayerCount(Checkpoint checkpoint, LlamaConfig config) throws IOException {
        Set<String> layers = new HashSet<>();
        for (String name : checkpoint.names()) {
            if (name.startsWith(LAYER_PREFIX)) {
                int dot = name.indexOf('.', LAYER_PREFIX.length());
                layers.add(dot < 0 ? name : name.substring(LAYER_PREFIX.length(), dot));
            }
        }
        if (layers.size() != config.layers()) {
            throw new IOException(checkpoint.source() + ": the config has " + config.layers()
                    + " layers (num_hidden_layers) but the weights have " + layers.size());
        }
    }

    /**
     * Keeps the weight matrices (the token embedding, every projection, {@code lm_head}) in
     * {@code dtype}: {@link DType#BF16}, {@link DType#Q8_0}, {@link DType#Q4_0} or {@link DType#F32};
     * the norms stay F32. BF16 halves their memory and the bytes each decoded token streams, at
     * bf16's precision (8 significant bits), and freezes them; Q8_0 and Q4_0 quantise each matrix
     * whose rows are whole blocks of 32 (about 3.8× and 7.1× smaller than f32), frozen; the backend
     * decodes each value as it reads it, so generation, evaluation and adapter training work as
     * before. F32 widens BF16 and block-format matrices back (still frozen) and leaves F32 ones as
     * they are. Call it on the plain model, before attaching adapters or a MoLE (merge an adapter first).
     */
    public void keepWeightsIn(DType dtype) {
        requireWeightType(dtype);
        for (Module module : namedModules().values()) {
            if (!PLAIN_MODULES.contains(module.getClass())) {
                throw new IllegalStateException("keepWeightsIn(" + dtype + ") needs the plain model, but it holds a "
                        + module.getClass().getSimpleName() + "; change the weights' type before attaching adapters or a MoLE");
            }
        }
        namedParameters().forEach((name, weight) -> {
            if (WeightLoading.keptType(weight.shape(), dtype) != weight.dtype()) {
                Tensor kept = WeightLoading.kept(backend, weight.toFloatArray(), weight.shape(), dtype);
                setParameter(name, kept);
                kept.requiresGrad(false);
            }
        });
    }

    /**
     * A second model over the very same weight tensors, nothing copied: adapters or a MoLE attached
     * to one do not touch the other, so that one copy of the weights can serve a MoLE beside other
     * adapters. Call it on the plain model (before attaching anything).
     */
    public Llama sharingWeights() {
        for (Module module : namedModules().values()) {
            if (!PLAIN_MODULES.contains(module.getClass())) {
                throw new IllegalStateException("sharingWeights() needs the plain model, but it holds a " + module.getClass().getSimpleName());
            }
        }
        Llama twin = new Llama(config, backend, null);
        namedParameters().forEach((name, weight) -> {
            boolean trainable = weight.requiresGrad();
            twin.setParameter(name, weight);
            weight.requiresGrad(trainable);
        });
        return twin;
    }

    /** The module types of a Llama as built and loaded: anything else is an adapter or a MoLE. */
    private static final Set<Class<?>> PLAIN_MODULES = Set.of(Llama.class, LlamaDecoder.class, DecoderLayer.class,
            LlamaAttention.class, LlamaMlp.class, ModuleList.class, Linear.class, Embedding.class, RMSNorm.class);

    private static void requireWeightType(DType dtype) {
        if (dtype != DType.F32 && dtype != DType.BF16 && dtype != DType.Q8_0 && dtype != DType.Q4_0) {
            throw new IllegalArgumentException("weight matrices are kept in F32, BF16, Q8_0 or Q4_0, not " + dtype
                    + (dtype.isBlockFormat() ? " (" + dtype + " matrices are kept as a GGUF file stores them)" : ""));
        }
    }

    /**
     * The bytes the weights of {@code checkpoint} would take once loaded with {@code weights} (as
     * {@link #load(Checkpoint, Backend, DType, NonFiniteWeights)} on the Vector backend keeps them),
     * from the stored types and shapes alone, nothing read; refused as loading refuses.
     */
    public static long weightBytes(Checkpoint checkpoint, DType weights) throws IOException {
        if (weights != AS_STORED) {
            requireWeightType(weights);
        }
        return WeightLoading.bytesOnceLoaded(checkpoint, weights);
    }

    /**
     * The bytes the weights take in memory as the model holds them: block-format matrices at their
     * blocks' size, the rest at their type's bytes per element.
     */
    public long weightBytes() {
        long bytes = 0;
        for (Tensor weight : namedParameters().values()) {
            bytes += weight.dtype().storageBytes(weight.numel());
        }
        return bytes;
    }

    public LlamaConfig config() {
        return config;
    }

    /** The backend holding the weights. */
    public Backend backend() {
        return backend;
    }

    /**
     * Activation checkpointing in the passes recorded for training ({@link #forward}, {@link #loss} with
     * gradients on), like Hugging Face's {@code gradient_checkpointing_enable()}: each decoder layer
     * keeps only its input, and runs again during the backward pass ({@link F#checkpoint}). The
     * gradients are the same bit for bit; a step costs one more forward pass of the layers, and holds
     * one layer's activations at a time instead of every layer's (a SmolLM2-135M-shape LoRA step of
     * 4×256 tokens: 0.94 GB less live heap, peak RSS 2.39 → 1.36 GB on an f32 base, for 1.3–1.4× the
     * CPU time). Off by default; passes without gradients (generation, evaluation) are not affected.
     * Returns this model.
     */
    public Llama checkpointLayers(boolean enabled) {
        checkpointLayers = enabled;
        return this;
    }

    /**
     * Logits {@code [batch, seq, vocab]} for {@code ids} (row-major {@code [batch, seq]}), recorded on
     * the tape. Sequences of different lengths are padded on the right with any id: the causal mask
     * keeps every real position from attending to later padding, and giving padded positions the
     * ignore index as target keeps them out of {@link #loss}.
     */
    public Tensor forward(int[] ids, int batch, int seq) {
        return head(hidden(ids, batch, seq));
    }

    /**
     * Mean next-token cross-entropy of {@code [batch, seq]} ids against {@code targets}; {@code ignoreIndex}
     * rows do not count. The output head and the loss are one fused op ({@link F#linearCrossEntropy}),
     * so the {@code [batch·seq, vocab]} logits are never held whole; it is meant to end a training
     * forward pass (gradients are enabled) or to be evaluated under {@code Grad.off()}.
     */
    public Tensor loss(int[] ids, int[] targets, int batch, int seq, int ignoreIndex) {
        return F.linearCrossEntropy(hidden(ids, batch, seq), headWeight(), targets, ignoreIndex);
    }

    /** The final norm's output {@code [batch, seq, dim]} for {@code ids}, recorded on the tape. */
    private Tensor hidden(int[] ids, int batch, int seq) {
        if (ids.length != batch * seq) {
            throw new IllegalArgumentException(ids.length + " ids for a batch of " + batch + " × " + seq);
        }
        if (seq > config.maxPositions()) {
            throw new IllegalArgumentException("sequence of " + seq + " tokens exceeds the model's " + config.maxPositions() + " positions");
        }
        RopeTable table = rope.covering(seq);
        Tensor x = model.embedTokens.forward(ids).reshape(batch, seq, config.dim());
        for (DecoderLayer layer : model.layers) {
            x = checkpointLayers ? F.checkpoint(input -> layer.forward(input, table), x) : layer.forward(x, table);
        }
        return model.norm.forward(x);
    }

    /** The output head's weight {@code [vocab, dim]}: the token embedding when tied. */
    private Tensor headWeight() {
        return lmHead == null ? model.embedTokens.weight() : lmHead.weight();
    }

    private Tensor head(Tensor hidden) {
        return F.linear(hidden, headWeight(), null);
    }

    /** The embedding, blocks and final norm, for {@link BatchDecoder}. */
    LlamaDecoder decoder() {
        return model;
    }

    /** The RoPE table shared by every pass, for {@link BatchDecoder}. */
    GrowingRopeTable ropeTable() {
        return rope;
    }

    /** Logits of the output head for the final norm's output {@code hidden}, for {@link BatchDecoder}. */
    Tensor logits(Tensor hidden) {
        return head(hidden);
    }

    /** A new incremental-decoding session holding up to {@code capacity} positions. */
    public Session newSession(int capacity) {
        if (capacity < 1 || capacity > config.maxPositions()) {
            throw new IllegalArgumentException("session capacity must be in 1.." + config.maxPositions() + ", got " + capacity);
        }
        return new Session(capacity);
    }

    /**
     * One generation's state: a KV cache and the position reached. Not thread-safe; give each thread
     * its own session over the shared model.
     */
    public final class Session {
        private final KvCache cache;

        private Session(int capacity) {
            cache = new KvCache(config, backend, capacity);
        }

        /** The KV cache, for {@link BatchDecoder}. */
        KvCache cache() {
            return cache;
        }

        /** The model this session decodes with. */
        public Llama model() {
            return Llama.this;
        }

        /** Positions this session can hold. */
        public int capacity() {
            return cache.capacity();
        }

        /** Number of positions processed so far. */
        public int position() {
            return cache.length();
        }

        /** Processes {@code tokens} at the next positions in one batched pass; returns the logits of the last. */
        public float[] forward(int... tokens) {
            if (tokens.length == 0) {
                throw new IllegalArgumentException("no tokens to process");
            }
            try (var scope = Grad.off()) {
                RopeTable table = rope.covering(cache.length() + tokens.length);
                Tensor x = model.embedTokens.forward(tokens).reshape(1, tokens.length, config.dim());
                for (int i = 0; i < model.layers.size(); i++) {
                    x = model.layers.get(i).forward(x, table, cache.layer(i));
                }
                Tensor last = x.slice(1, tokens.length - 1, tokens.length);
                return head(model.norm.forward(last)).toFloatArray();
            }
        }
    }
}
