package dev.mixtape.engine.io;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file, memory-mapped read-only and with its header checked (see
 * {@link SafetensorsHeader}) before anything is read, so that a truncated or corrupt file fails with a
 * {@link SafetensorsException} at {@link #open} instead of reading past its end or returning wrong
 * numbers. Tensors are read on demand: as floats (F32, F16 and BF16, widened exactly), as integers
 * (I32, I64), or as a zero-copy {@link MemorySegment} of their raw little-endian bytes.
 *
 * <p>Close it (try-with-resources) to unmap the file; segments obtained from it become unusable then.
 * It may be read from several threads at once. As with any memory-mapped file, it must not be
 * truncated by another process while open.
 */
public final class SafetensorsFile implements AutoCloseable {
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Java arrays stop a little short of {@code Integer.MAX_VALUE} elements. */
    private static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    private final Path path;
    private final Arena arena;
    private final MemorySegment data;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, MemorySegment data, SafetensorsHeader header) {
        this.path = path;
        this.arena = arena;
        this.data = data;
        this.tensors = new LinkedHashMap<>();
        for (TensorInfo info : header.tensors()) {
            tensors.put(info.name(), info);
        }
        this.metadata = header.metadata();
    }

    /**
     * Maps {@code path} and checks its header. Throws {@link SafetensorsException} if the file breaks
     * the format, {@link IOException} if it cannot be opened or mapped.
     */
    public static SafetensorsFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment content = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            SafetensorsHeader header = SafetensorsHeader.parse(path, content);
            return new SafetensorsFile(path, arena, content.asSlice(header.dataStart()), header);
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** The file this was opened from. */
    public Path path() {
        return path;
    }

    /** The tensor names, in the order the header lists them. */
    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    /** Every tensor's description, in the order the header lists them. */
    public List<TensorInfo> tensors() {
        return List.copyOf(tensors.values());
    }

    /** Whether the file holds a tensor called {@code name}. */
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** The description of tensor {@code name}; a {@link SafetensorsException} if there is none. */
    public TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new SafetensorsException(path, name, "no such tensor in this file (it holds " + tensors.size()
                    + " tensors)");
        }
        return info;
    }

    /** The header's {@code __metadata__} map (unmodifiable; empty when the file has none). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * The raw bytes of tensor {@code name} (little-endian, row-major), a read-only slice of the mapped
     * file: no copy is made. Valid until this file is closed.
     */
    public MemorySegment segment(String name) {
        return bytesOf(info(name));
    }

    /**
     * The elements of tensor {@code name} in row-major order as floats: F32 as stored, F16 and BF16
     * widened (exactly). Other dtypes are a {@link SafetensorsException}.
     */
    public float[] readFloats(String name) {
        TensorInfo info = info(name);
        MemorySegment bytes = bytesOf(info);
        float[] values = switch (info.dtype()) {
            case F32 -> copyF32(bytes, arrayLength(info));
            case F16 -> widenF16(bytes, arrayLength(info));
            case BF16 -> widenBf16(bytes, arrayLength(info));
            default -> throw new SafetensorsException(path, name, "is " + info.dtype()
                    + "; floats can be read from F32, F16 and BF16 tensors" + integerHint(info.dtype()));
        };
        giveBack(bytes);
        return values;
    }

    /**
     * Takes a tensor's pages of the mapping out of this process's resident memory once its elements
     * have been copied out (they stay mapped, and are read from the file again if asked for again), so
     * that loading a model holds the tensor being read rather than every tensor read so far: a
     * checkpoint quantised while it loads never has the whole f32 file resident beside its blocks.
     */
    private static void giveBack(MemorySegment bytes) {
        if (bytes.isMapped() && bytes.byteSize() > 0) {
            bytes.unload();
        }
    }

    private static float[] copyF32(MemorySegment bytes, int count) {
        float[] values = new float[count];
        MemorySegment.copy(bytes, F32_LE, 0, values, 0, count);
        return values;
    }

    private static float[] widenF16(MemorySegment bytes, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = DType.halfToFloat(bytes.getAtIndex(I16_LE, i));
        }
        return values;
    }

    private static float[] widenBf16(MemorySegment bytes, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = DType.bf16ToFloat(bytes.getAtIndex(I16_LE, i));
        }
        return values;
    }

    /** Tensor {@code name} as a new f32 tensor of its shape on {@code backend} (see {@link #readFloats}). */
    public Tensor read(String name, Backend backend) {
        float[] values = readFloats(name);
        return Tensor.of(backend, values, info(name).shape());
    }

    /**
     * The elements of integer tensor {@code name} in row-major order: I32 as stored, I64 narrowed
     * when every value fits in an int (otherwise a {@link SafetensorsException} naming the first that
     * does not). Other dtypes are a {@link SafetensorsException}.
     */
    public int[] readInts(String name) {
        TensorInfo info = info(name);
        MemorySegment bytes = bytesOf(info);
        if (info.dtype() == SafetensorsDtype.I32) {
            int[] values = new int[arrayLength(info)];
            MemorySegment.copy(bytes, I32_LE, 0, values, 0, values.length);
            giveBack(bytes);
            return values;
        }
        if (info.dtype() == SafetensorsDtype.I64) {
            int[] values = new int[arrayLength(info)];
            for (int i = 0; i < values.length; i++) {
                long value = bytes.getAtIndex(I64_LE, i);
                if (value != (int) value) {
                    throw new SafetensorsException(path, name, "element " + i + " is " + value
                            + ", outside the int range; use readLongs");
                }
                values[i] = (int) value;
            }
            giveBack(bytes);
            return values;
        }
        throw new SafetensorsException(path, name, "is " + info.dtype() + "; ints can be read from I32 and I64 tensors");
    }

    /** The elements of integer tensor {@code name} in row-major order: I64 as stored, I32 widened. */
    public long[] readLongs(String name) {
        TensorInfo info = info(name);
        MemorySegment bytes = bytesOf(info);
        if (info.dtype() == SafetensorsDtype.I64) {
            long[] values = new long[arrayLength(info)];
            MemorySegment.copy(bytes, I64_LE, 0, values, 0, values.length);
            giveBack(bytes);
            return values;
        }
        if (info.dtype() == SafetensorsDtype.I32) {
            long[] values = new long[arrayLength(info)];
            for (int i = 0; i < values.length; i++) {
                values[i] = bytes.getAtIndex(I32_LE, i);
            }
            giveBack(bytes);
            return values;
        }
        throw new SafetensorsException(path, name, "is " + info.dtype() + "; longs can be read from I64 and I32 tensors");
    }

    /** Unmaps the file. Closing twice is harmless. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    private MemorySegment bytesOf(TensorInfo info) {
        if (!arena.scope().isAlive()) {
            throw new IllegalStateException(path + " is closed; tensor " + StrictJson.quote(info.name()) + " cannot be read");
        }
        return data.asSlice(info.begin(), info.byteSize()).asReadOnly();
    }

    private int arrayLength(TensorInfo info) {
        if (info.numel() > MAX_ARRAY_LENGTH) {
            throw new SafetensorsException(path, info.name(), "has " + info.numel()
                    + " elements, more than one Java array can hold; use segment() to read it in place");
        }
        return (int) info.numel();
    }

    private static String integerHint(SafetensorsDtype dtype) {
        return dtype == SafetensorsDtype.I32 || dtype == SafetensorsDtype.I64 ? " (use readInts or readLongs)" : "";
    }
}
