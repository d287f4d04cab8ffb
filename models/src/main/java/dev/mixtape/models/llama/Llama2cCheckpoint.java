package dev.mixtape.models.llama;


import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A llama2.c {@code .bin} checkpoint (version 0): a header of seven int32 (dim, hidden_dim, n_layers,
 * n_heads, n_kv_heads, vocab_size — negative when the classifier is stored separately — and
 * seq_len), then f32 arrays in a fixed order, memory-mapped. Per-layer arrays are stacked over
 * layers; q and k rows are in the Meta layout and are read in HF's order, straight from the mapping.
 */
public final class Llama2cCheckpoint implements Checkpoint {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int HEADER_BYTES = 7 * 4;

    /** Where one stacked array starts (in floats after the header) and the shape of one layer's slice. */
    private record Slab(long start, int rows, int cols, boolean perLayer) {
        long layerFloats() {
            return (long) rows * cols;
        }
    }

    private final Path file;
    private final Arena arena;
    private final MemorySegment data;
    private final LlamaConfig config;
    private final Map<String, Slab> slabs = new LinkedHashMap<>();

    private Llama2cCheckpoint(Path file, Arena arena, MemorySegment data, LlamaConfig config) {
        this.file = file;
        this.arena = arena;
        this.data = data;
        this.config = config;
    }

    /** Opens and validates {@code file}; the exact file size is checked against the header. */
    public static Llama2cCheckpoint open(Path file) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < HEADER_BYTES) {
                throw new IOException(file + ": " + size + " bytes is too short for a llama2.c header (28 bytes)");
            }
            MemorySegment data = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            int[] h = new int[7];
            for (int i = 0; i < 7; i++) {
                h[i] = data.get(I32, 4L * i);
            }
            LlamaConfig config = configOf(file, h);
            Llama2cCheckpoint checkpoint = new Llama2cCheckpoint(file, arena, data, config);
            long expected = HEADER_BYTES + 4 * checkpoint.layOut(h[5] < 0, h[6]);
            if (size != expected) {
                throw new IOException(file + ": " + size + " bytes, but the header (dim " + h[0] + ", hidden " + h[1]
                        + ", layers " + h[2] + ", heads " + h[3] + ", kv heads " + h[4] + ", vocab " + h[5] + ", seq " + h[6]
                        + ") implies " + expected + (size < expected ? ": the file is truncated" : ": trailing bytes"));
            }
            return checkpoint;
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static LlamaConfig configOf(Path file, int[] h) throws IOException {
        int dim = h[0];
        int heads = h[3];
        if (dim <= 0 || h[1] <= 0 || h[2] <= 0 || heads <= 0 || h[4] <= 0 || h[5] == 0 || h[6] <= 0
                || dim % heads != 0 || h[2] > 10_000 || dim > 1 << 16 || h[1] > 1 << 18 || Math.abs(h[5]) > 1 << 22) {
            throw new IOException(file + ": implausible llama2.c header " + java.util.Arrays.toString(h)
                    + " (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len)");
        }
        try {
            return new LlamaConfig(dim, h[1], h[2], heads, h[4], dim / heads, Math.abs(h[5]), h[6], 1e-5, 10000.0,
                    null, h[5] > 0, 1, 2);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /** Records where each array lies; returns the total number of floats after the header. */
    private long layOut(boolean separateClassifier, int seqLen) {
        LlamaConfig c = config;
        long at = 0;
        at = add("model.embed_tokens.weight", at, c.vocabSize(), c.dim(), false);
        at = add("input_layernorm", at, 1, c.dim(), true);
        at = add("self_attn.q_proj", at, c.qDim(), c.dim(), true);
        at = add("self_attn.k_proj", at, c.kvDim(), c.dim(), true);
        at = add("self_attn.v_proj", at, c.kvDim(), c.dim(), true);
        at = add("self_attn.o_proj", at, c.dim(), c.qDim(), true);
        at = add("post_attention_layernorm", at, 1, c.dim(), true);
        at = add("mlp.gate_proj", at, c.hiddenDim(), c.dim(), true);
        at = add("mlp.down_proj", at, c.dim(), c.hiddenDim(), true);
        at = add("mlp.up_proj", at, c.hiddenDim(), c.dim(), true);
        at = add("model.norm.weight", at, 1, c.dim(), false);
        at += 2L * seqLen * (c.headDim() / 2);
        if (separateClassifier) {
            at = add("lm_head.weight", at, c.vocabSize(), c.dim(), false);
        }
        return at;
    }

    private long add(String key, long at, int rows, int cols, boolean perLayer) {
        Slab slab = new Slab(at, rows, cols, perLayer);
        slabs.put(key, slab);
        return at + slab.layerFloats() * (perLayer ? config.layers() : 1);
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    @Override
    public List<String> names() {
        List<String> names = new ArrayList<>();
        for (var entry : slabs.entrySet()) {
            if (entry.getValue().perLayer()) {
                for (int layer = 0; layer < config.layers(); layer++) {
                    names.add(hfName(entry.getKey(), layer));
                }
            } else {
                names.add(entry.getKey());
            }
        }
        return names;
    }

    private static String hfName(String key, int layer) {
        return "model.layers." + layer + "." + key + ".weight";
    }

    /** Where one weight lies: its stacked array, its key there and its layer (0 for arrays that are not per layer). */
    private record Located(Slab slab, String key, int layer) {
    }

    private Located locate(String name) throws IOException {
        Slab slab = slabs.get(name);
        if (slab != null && !slab.perLayer()) {
            return new Located(slab, name, 0);
        }
        if (name.startsWith("model.layers.") && name.endsWith(".weight")) {
            String rest = name.substring("model.layers.".length(), name.length() - ".weight".length());
            int dot = rest.indexOf('.');
            if (dot > 0 && rest.substring(0, dot).matches("\\d{1,9}")) {
                int layer = Integer.parseInt(rest.substring(0, dot));
                String key = rest.substring(dot + 1);
                slab = slabs.get(key);
                if (slab != null && slab.perLayer() && layer < config.layers()) {
                    return new Located(slab, key, layer);
                }
            }
        }
        throw new IOException(file + ": no tensor '" + name + "' in a llama2.c checkpoint");
    }

    @Override
    public int[] shape(String name) throws IOException {
        Slab slab = locate(name).slab();
        return slab.rows() == 1 ? new int[] {slab.cols()} : new int[] {slab.rows(), slab.cols()};
    }

    @Override
    public float[] readFloats(String name) throws IOException {
        Located at = locate(name);
        Slab slab = at.slab();
        float[] values = new float[Math.toIntExact(slab.layerFloats())];
        long offset = HEADER_BYTES + 4 * (slab.start() + at.layer() * slab.layerFloats());
        if (at.key().equals("self_attn.q_proj") || at.key().equals("self_attn.k_proj")) {
            int cols = slab.cols();
            for (int row = 0; row < slab.rows(); row++) {
                long from = offset + 4L * RopePermutation.metaRow(row, config.headDim()) * cols;
                MemorySegment.copy(data, F32, from, values, row * cols, cols);
            }
        } else {
            MemorySegment.copy(data, F32, offset, values, 0, values.length);
        }
        return values;
    }

    @Override
    public StoredTensor stored(String name) throws IOException {
        long elements = 1;
        for (int dimension : shape(name)) {
            elements *= dimension;
        }
        return new StoredTensor("F32", elements * Float.BYTES);
    }

    @Override
    public Set<String> dtypes() {
        return Set.of("F32");
    }

    @Override
    public String source() {
        return file.toString();
    }

    @Override
    public void close() {
        arena.close();
    }
}
