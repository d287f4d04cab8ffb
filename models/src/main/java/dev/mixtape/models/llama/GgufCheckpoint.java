package dev.mixtape.models.llama;

import dev.mixtape.engine.quant.BlockFormat;
import dev.mixtape.engine.quant.QuantizedMatrix;
import dev.mixtape.models.gguf.GgufFile;
import dev.mixtape.models.gguf.GgufMetadata;
import dev.mixtape.models.gguf.GgufTensorInfo;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A llama.cpp GGUF file with {@code general.architecture = llama}: the config from the {@code llama.*}
 * metadata, tensors renamed from GGUF's names ({@code blk.0.attn_q.weight}) to HF's, dequantised to
 * f32 as they are read (F32, F16, BF16 and the block formats Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K,
 * Q6_K, each tensor in its own type as mixed files like Q4_K_M store them), and q/k rows permuted from
 * the Meta layout that llama.cpp's converters write to HF's.
 */
public final class GgufCheckpoint implements Checkpoint {
    private static final Map<String, String> LAYER_NAMES = Map.of(
            "attn_q", "self_attn.q_proj", "attn_k", "self_attn.k_proj", "attn_v", "self_attn.v_proj",
            "attn_output", "self_attn.o_proj", "attn_norm", "input_layernorm", "ffn_norm", "post_attention_layernorm",
            "ffn_gate", "mlp.gate_proj", "ffn_up", "mlp.up_proj", "ffn_down", "mlp.down_proj");
    private static final Map<String, String> GLOBAL_NAMES = Map.of(
            "token_embd.weight", "model.embed_tokens.weight", "output_norm.weight", "model.norm.weight",
            "output.weight", "lm_head.weight");

    private final GgufFile file;
    private final LlamaConfig config;
    private final Map<String, String> ggufNameOf;

    private GgufCheckpoint(GgufFile file, LlamaConfig config, Map<String, String> ggufNameOf) {
        this.file = file;
        this.config = config;
        this.ggufNameOf = ggufNameOf;
    }

    /** Opens and validates {@code path}; errors name the file and the key or tensor at fault. */
    public static GgufCheckpoint open(Path path) throws IOException {
        GgufFile file = GgufFile.open(path);
        try {
            LlamaConfig config = configOf(file);
            Map<String, String> names = new LinkedHashMap<>();
            for (GgufTensorInfo info : file.tensors()) {
                names.put(hfName(path, info.name()), info.name());
            }
            return new GgufCheckpoint(file, config, names);
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    private static LlamaConfig configOf(GgufFile file) throws IOException {
        GgufMetadata meta = file.metadata();
        Path path = file.path();
        String architecture = meta.has("general.architecture") ? meta.getString("general.architecture") : "(none)";
        if (!architecture.equals("llama")) {
            throw new IOException(path + ": general.architecture is '" + architecture + "', not llama");
        }
        for (String key : new String[] {"llama.embedding_length", "llama.feed_forward_length", "llama.block_count",
                "llama.attention.head_count"}) {
            if (!meta.has(key)) {
                throw new IOException(path + ": metadata key '" + key + "' is missing");
            }
        }
        int dim = meta.getInt("llama.embedding_length");
        int heads = meta.getInt("llama.attention.head_count");
        if (heads <= 0) {
            throw new IOException(path + ": llama.attention.head_count is " + heads + "; it must be positive");
        }
        int kvHeads = meta.has("llama.attention.head_count_kv") ? meta.getInt("llama.attention.head_count_kv") : heads;
        int headDim = meta.has("llama.attention.key_length") ? meta.getInt("llama.attention.key_length")
                : meta.has("llama.rope.dimension_count") ? meta.getInt("llama.rope.dimension_count") : dim / heads;
        if (!file.hasTensor("token_embd.weight")) {
            throw new IOException(path + ": tensor 'token_embd.weight' is missing");
        }
        long vocab = file.tensor("token_embd.weight").rowMajorShape()[0];
        if (vocab > Integer.MAX_VALUE) {
            throw new IOException(path + ": tensor 'token_embd.weight' has " + vocab + " rows, more than a vocabulary can have");
        }
        int context = meta.has("llama.context_length") ? meta.getInt("llama.context_length") : 2048;
        double eps = meta.has("llama.attention.layer_norm_rms_epsilon") ? meta.getFloat("llama.attention.layer_norm_rms_epsilon") : 1e-5;
        double theta = meta.has("llama.rope.freq_base") ? meta.getFloat("llama.rope.freq_base") : 10000.0;
        int bos = meta.has("tokenizer.ggml.bos_token_id") ? meta.getInt("tokenizer.ggml.bos_token_id") : 1;
        int eos = meta.has("tokenizer.ggml.eos_token_id") ? meta.getInt("tokenizer.ggml.eos_token_id") : 2;
        try {
            return new LlamaConfig(dim, meta.getInt("llama.feed_forward_length"), meta.getInt("llama.block_count"), heads,
                    kvHeads, headDim, (int) vocab, context, eps, theta, null, !file.hasTensor("output.weight"), bos, eos);
        } catch (IllegalArgumentException e) {
            throw new IOException(path + ": " + e.getMessage(), e);
        }
    }

    private static String hfName(Path path, String ggufName) throws IOException {
        String global = GLOBAL_NAMES.get(ggufName);
        if (global != null) {
            return global;
        }
        String[] parts = ggufName.split("\\.");
        if (parts.length == 4 && parts[0].equals("blk") && parts[3].equals("weight") && LAYER_NAMES.containsKey(parts[2])) {
            return "model.layers." + parts[1] + "." + LAYER_NAMES.get(parts[2]) + ".weight";
        }
        throw new IOException(path + ": tensor '" + ggufName + "' is not part of a Llama");
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    @Override
    public List<String> names() {
        return new ArrayList<>(ggufNameOf.keySet());
    }

    @Override
    public int[] shape(String name) throws IOException {
        long[] shape = file.tensor(ggufName(name)).rowMajorShape();
        int[] dims = new int[shape.length];
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] > Integer.MAX_VALUE) {
                throw new IOException(file.path() + ": tensor '" + ggufName(name) + "' dimension " + i + " is " + shape[i]
                        + ", larger than a tensor dimension can be");
            }
            dims[i] = (int) shape[i];
        }
        return dims;
    }

    @Override
    public float[] readFloats(String name) throws IOException {
        String ggufName = ggufName(name);
        long[] shape = file.tensor(ggufName).rowMajorShape();
        if (name.endsWith("self_attn.q_proj.weight")) {
            requireShape(ggufName, shape, config.qDim(), config.dim());
        } else if (name.endsWith("self_attn.k_proj.weight")) {
            requireShape(ggufName, shape, config.kvDim(), config.dim());
        }
        float[] values = file.readFloats(ggufName);
        if (name.endsWith("self_attn.q_proj.weight")) {
            values = RopePermutation.metaToHf(values, config.heads(), config.headDim(), config.dim());
        } else if (name.endsWith("self_attn.k_proj.weight")) {
            values = RopePermutation.metaToHf(values, config.kvHeads(), config.headDim(), config.dim());
        }
        return values;
    }

    /**
     * A weight stored in a block format, as its blocks, without dequantising: a view into the file's
     * mapping (valid until {@link #close}), or for q and k a copy with the rows permuted to HF's
     * layout as {@link #readFloats} permutes them. {@code readBlocks(name).dequantize()} equals
     * {@code readFloats(name)} bit for bit.
     *
     * @throws IOException when the tensor is not a matrix in one of the block formats Mixtape reads
     */
    @Override
    public QuantizedMatrix readBlocks(String name) throws IOException {
        String ggufName = ggufName(name);
        GgufTensorInfo info = file.tensor(ggufName);
        BlockFormat format = info.type().blockFormat();
        long[] shape = info.rowMajorShape();
        if (format == null || shape.length != 2) {
            throw new IOException(file.path() + ": tensor '" + ggufName + "' of type " + info.type() + " and shape "
                    + Arrays.toString(shape) + " is not a matrix in a block format");
        }
        int rows = Math.toIntExact(shape[0]);
        int cols = Math.toIntExact(shape[1]);
        MemorySegment blocks = file.tensorData(ggufName);
        long rowBytes = cols / format.blockSize() * (long) format.blockBytes();
        if (name.endsWith("self_attn.q_proj.weight")) {
            requireShape(ggufName, shape, config.qDim(), config.dim());
            blocks = RopePermutation.metaToHf(blocks, rowBytes, config.heads(), config.headDim());
        } else if (name.endsWith("self_attn.k_proj.weight")) {
            requireShape(ggufName, shape, config.kvDim(), config.dim());
            blocks = RopePermutation.metaToHf(blocks, rowBytes, config.kvHeads(), config.headDim());
        }
        return new QuantizedMatrix(format, rows, cols, blocks);
    }

    private String ggufName(String name) throws IOException {
        String ggufName = ggufNameOf.get(name);
        if (ggufName == null) {
            throw new IOException(file.path() + ": no tensor for '" + name + "'");
        }
        return ggufName;
    }

    /** The q and k rows are permuted per head, so their shape must be the one the config's heads give. */
    private void requireShape(String ggufName, long[] shape, int rows, int cols) throws IOException {
        if (shape.length != 2 || shape[0] != rows || shape[1] != cols) {
            throw new IOException(file.path() + ": tensor '" + ggufName + "' has shape " + Arrays.toString(shape)
                    + ", but the llama.* metadata implies [" + rows + ", " + cols + "]");
        }
    }

    @Override
    public StoredTensor stored(String name) throws IOException {
        GgufTensorInfo info = file.tensor(ggufName(name));
        return new StoredTensor(info.type().name(), info.byteSize());
    }

    @Override
    public Set<String> dtypes() {
        Set<String> types = new TreeSet<>();
        for (GgufTensorInfo info : file.tensors()) {
            types.add(info.type().name());
        }
        return types;
    }

    @Override
    public String source() {
        return file.path().toString();
    }

    @Override
    public void close() {
        file.close();
    }
}
