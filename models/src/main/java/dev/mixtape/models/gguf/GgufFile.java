package dev.mixtape.models.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file (llama.cpp's format: metadata, tokenizer and tensors in one file), memory-mapped and
 * validated when opened. Metadata and tensor infos are read into the heap; tensor data stays in the
 * mapping until asked for, as raw bytes ({@link #tensorData}) or as floats ({@link #readFloats}).
 * Close it to unmap: segments returned by {@link #tensorData} are invalid afterwards.
 *
 * <pre>{@code
 * try (GgufFile gguf = GgufFile.open(path)) {
 *     int layers = gguf.metadata().getInt("llama.block_count");
 *     float[] embedding = gguf.readFloats("token_embd.weight");
 * }
 * }</pre>
 */
public final class GgufFile implements AutoCloseable {
    private static final String READABLE = readableTypes();

    private final Path path;
    private final Arena arena;
    private final MemorySegment bytes;
    private final GgufParser.Layout layout;
    private final Map<String, GgufTensorInfo> tensorsByName = new LinkedHashMap<>();

    private GgufFile(Path path, Arena arena, MemorySegment bytes, GgufParser.Layout layout) {
        this.path = path;
        this.arena = arena;
        this.bytes = bytes;
        this.layout = layout;
        for (GgufTensorInfo tensor : layout.tensors()) {
            tensorsByName.put(tensor.name(), tensor);
        }
    }

    /**
     * Maps and validates a GGUF file.
     *
     * @throws GgufFormatException when the file breaks the format (the message names the file and what is wrong)
     * @throws IOException         when the file cannot be read
     */
    public static GgufFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment bytes = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            return new GgufFile(path, arena, bytes, GgufParser.parse(bytes, path));
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** The file this was opened from. */
    public Path path() {
        return path;
    }

    /** The format version (2 or 3). */
    public int version() {
        return layout.version();
    }

    /** The alignment of tensor data: {@code general.alignment}, or 32 when absent. */
    public int alignment() {
        return layout.alignment();
    }

    /** Where the data section starts, in bytes from the start of the file. */
    public long dataOffset() {
        return layout.dataOffset();
    }

    /** The key/value metadata. */
    public GgufMetadata metadata() {
        return layout.metadata();
    }

    /** The tensor infos in the order the file lists them. */
    public List<GgufTensorInfo> tensors() {
        return layout.tensors();
    }

    /** True when the file has a tensor of this name. */
    public boolean hasTensor(String name) {
        return tensorsByName.containsKey(name);
    }

    /** The info of one tensor. */
    public GgufTensorInfo tensor(String name) {
        GgufTensorInfo tensor = tensorsByName.get(name);
        if (tensor == null) {
            throw new IllegalArgumentException("GGUF file " + path + " has no tensor '" + name + "'");
        }
        return tensor;
    }

    /** The raw bytes of a tensor, as a read-only view into the mapping (valid until {@link #close}). */
    public MemorySegment tensorData(String name) {
        GgufTensorInfo tensor = tensor(name);
        return bytes.asSlice(layout.dataOffset() + tensor.offset(), tensor.byteSize()).asReadOnly();
    }

    /**
     * A tensor's elements as floats, in storage order (innermost dimension fastest), dequantised from
     * F32, F16, BF16 or one of the block formats {@link GgmlType#blockFormat()} knows.
     *
     * @throws UnsupportedOperationException for other types, naming the tensor and its type
     */
    public float[] readFloats(String name) {
        GgufTensorInfo tensor = tensor(name);
        if (!tensor.type().canDequantize()) {
            throw new UnsupportedOperationException("GGUF file " + path + " tensor '" + name + "' has type "
                    + tensor.type() + ", which Mixtape cannot dequantise yet (it reads " + READABLE + ")");
        }
        long count = tensor.elementCount();
        if (count > Integer.MAX_VALUE - 8) {
            throw new UnsupportedOperationException("GGUF file " + path + " tensor '" + name + "' has " + count
                    + " elements, too many for one float[]");
        }
        float[] values = new float[(int) count];
        Dequantizer.dequantize(tensor.type(), tensorData(name), values, values.length);
        return values;
    }

    private static String readableTypes() {
        StringBuilder names = new StringBuilder();
        for (GgmlType type : GgmlType.values()) {
            if (type.canDequantize()) {
                names.append(names.isEmpty() ? "" : ", ").append(type);
            }
        }
        return names.toString();
    }

    /** Unmaps the file. */
    @Override
    public void close() {
        arena.close();
    }
}
