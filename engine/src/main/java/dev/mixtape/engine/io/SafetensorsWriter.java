package dev.mixtape.engine.io;

import dev.mixtape.engine.DType;
import dev.mixtape.engine.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Writes tensors to a safetensors file, atomically: the bytes go to a temporary file beside the
 * target, are flushed to disk, and the temporary file is then renamed over the target in one step.
 * Readers therefore see the old file or the complete new one, never a half-written one; if anything
 * fails, the temporary file is deleted and the target is untouched.
 *
 * <p>Tensors are stored in the map's iteration order (use a {@link java.util.LinkedHashMap} to
 * choose it), each as F32, F16 or BF16. The header is padded with spaces so that the data section
 * starts at a multiple of 8 bytes.
 */
public final class SafetensorsWriter {
    private static final int CHUNK_BYTES = 1 << 16;

    private SafetensorsWriter() {
    }

    /** Writes {@code tensors} as F32 with no metadata. */
    public static void write(Path target, Map<String, Tensor> tensors) throws IOException {
        write(target, tensors, Map.of(), DType.F32);
    }

    /**
     * Writes {@code tensors} (f32 tensors, any view) in {@code storeAs} ({@link DType#F32},
     * {@link DType#F16} or {@link DType#BF16}, narrowing rounds to nearest even) with
     * {@code metadata} as the header's {@code __metadata__} (omitted when empty). Throws
     * {@link SafetensorsException} for anything that cannot be written faithfully: a reserved name, a
     * tensor that is not f32, a finite value that would overflow to infinity in {@code storeAs}.
     */
    public static void write(Path target, Map<String, Tensor> tensors, Map<String, String> metadata, DType storeAs)
            throws IOException {
        SafetensorsDtype stored = storedType(target, storeAs);
        byte[] header = header(target, tensors, metadata, stored);
        AtomicFile.write(target, channel -> {
            AtomicFile.writeFully(channel, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length));
            AtomicFile.writeFully(channel, ByteBuffer.wrap(header));
            ByteBuffer chunk = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (Map.Entry<String, Tensor> entry : tensors.entrySet()) {
                writeValues(target, entry.getKey(), entry.getValue().toFloatArray(), stored, channel, chunk);
            }
        });
    }

    private static SafetensorsDtype storedType(Path target, DType storeAs) {
        return switch (storeAs) {
            case F32 -> SafetensorsDtype.F32;
            case F16 -> SafetensorsDtype.F16;
            case BF16 -> SafetensorsDtype.BF16;
            case F64 -> throw new SafetensorsException(target, "cannot store as F64: tensors are written as F32, F16 or BF16");
            default -> throw new SafetensorsException(target, "cannot store as " + storeAs
                    + ": tensors are written as F32, F16 or BF16 (safetensors has no ggml block formats)");
        };
    }

    /** The header JSON, padded with spaces to a multiple of 8 bytes. Checks every name and tensor first. */
    private static byte[] header(Path target, Map<String, Tensor> tensors, Map<String, String> metadata,
                                 SafetensorsDtype stored) {
        StringJoiner members = new StringJoiner(",", "{", "}");
        if (!metadata.isEmpty()) {
            StringJoiner entries = new StringJoiner(",", "{", "}");
            metadata.forEach((key, value) -> entries.add(StrictJson.quote(key) + ":" + StrictJson.quote(value)));
            members.add(StrictJson.quote(SafetensorsHeader.METADATA_KEY) + ":" + entries);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> entry : tensors.entrySet()) {
            String name = entry.getKey();
            Tensor tensor = entry.getValue();
            if (name.equals(SafetensorsHeader.METADATA_KEY)) {
                throw new SafetensorsException(target, name, "this name is reserved for the metadata map");
            }
            if (tensor.dtype() != DType.F32) {
                throw new SafetensorsException(target, name, "is " + tensor.dtype() + "; only f32 tensors are written");
            }
            long end = offset + (long) tensor.numel() * stored.bytes();
            String shape = Arrays.toString(tensor.shape()).replace(" ", "");
            members.add(StrictJson.quote(name) + ":{\"dtype\":\"" + stored + "\",\"shape\":" + shape
                    + ",\"data_offsets\":[" + offset + "," + end + "]}");
            offset = end;
        }
        byte[] text = members.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (text.length + 7) / 8 * 8;
        byte[] header = Arrays.copyOf(text, padded);
        Arrays.fill(header, text.length, padded, (byte) ' ');
        return header;
    }

    private static void writeValues(Path target, String name, float[] values, SafetensorsDtype stored,
                                    FileChannel channel, ByteBuffer chunk) throws IOException {
        chunk.clear();
        for (int i = 0; i < values.length; i++) {
            if (chunk.remaining() < stored.bytes()) {
                AtomicFile.writeFully(channel, chunk.flip());
                chunk.clear();
            }
            float value = values[i];
            switch (stored) {
                case F32 -> chunk.putFloat(value);
                case F16 -> chunk.putShort(checkFinite(target, name, i, value, DType.floatToHalf(value), stored));
                default -> chunk.putShort(checkFinite(target, name, i, value, DType.floatToBf16(value), stored));
            }
        }
        AtomicFile.writeFully(channel, chunk.flip());
    }

    /** {@code narrowed}, unless a finite {@code value} became infinite on the way (too large for the type). */
    private static short checkFinite(Path target, String name, int index, float value, short narrowed,
                                     SafetensorsDtype stored) {
        float back = stored == SafetensorsDtype.F16 ? DType.halfToFloat(narrowed) : DType.bf16ToFloat(narrowed);
        if (Float.isFinite(value) && Float.isInfinite(back)) {
            throw new SafetensorsException(target, name, "element " + index + " is " + value
                    + ", too large for " + stored + " (it would become infinite)");
        }
        return narrowed;
    }
}
