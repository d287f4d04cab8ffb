package dev.mixtape.models.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes small GGUF files byte by byte for tests, following the layout in the GGUF spec rather than
 * the reader's code, so that the reader is checked against an independent writer.
 */
final class GgufTestWriter {
    private record Tensor(String name, long[] dims, int typeId, byte[] data, long offset) {
    }

    private final ByteArrayOutputStream metadata = new ByteArrayOutputStream();
    private final List<Tensor> tensors = new ArrayList<>();
    private int kvCount;
    private int version = 3;
    private int alignment = 32;

    GgufTestWriter version(int version) {
        this.version = version;
        return this;
    }

    /** Writes {@code general.alignment} and pads with it. */
    GgufTestWriter alignment(int alignment) {
        this.alignment = alignment;
        return uint32("general.alignment", alignment);
    }

    GgufTestWriter string(String key, String value) {
        key(key, 8);
        putString(metadata, value);
        return this;
    }

    GgufTestWriter uint32(String key, long value) {
        key(key, 4);
        metadata.writeBytes(le(4).putInt((int) value).array());
        return this;
    }

    GgufTestWriter int8(String key, int value) {
        key(key, 1);
        metadata.write(value);
        return this;
    }

    GgufTestWriter uint64(String key, long value) {
        key(key, 10);
        metadata.writeBytes(le(8).putLong(value).array());
        return this;
    }

    GgufTestWriter float32(String key, float value) {
        key(key, 6);
        metadata.writeBytes(le(4).putFloat(value).array());
        return this;
    }

    GgufTestWriter float64(String key, double value) {
        key(key, 12);
        metadata.writeBytes(le(8).putDouble(value).array());
        return this;
    }

    GgufTestWriter bool(String key, boolean value) {
        key(key, 7);
        metadata.write(value ? 1 : 0);
        return this;
    }

    GgufTestWriter strings(String key, String... values) {
        arrayHeader(key, 8, values.length);
        for (String value : values) {
            putString(metadata, value);
        }
        return this;
    }

    GgufTestWriter floats(String key, float... values) {
        arrayHeader(key, 6, values.length);
        for (float value : values) {
            metadata.writeBytes(le(4).putFloat(value).array());
        }
        return this;
    }

    GgufTestWriter int32s(String key, int... values) {
        arrayHeader(key, 5, values.length);
        for (int value : values) {
            metadata.writeBytes(le(4).putInt(value).array());
        }
        return this;
    }

    GgufTestWriter uint16s(String key, int... values) {
        arrayHeader(key, 2, values.length);
        for (int value : values) {
            metadata.writeBytes(le(2).putShort((short) value).array());
        }
        return this;
    }

    /** Adds a tensor; {@code dims} innermost first, {@code data} its raw bytes. */
    GgufTestWriter tensor(String name, long[] dims, int typeId, byte[] data) {
        tensors.add(new Tensor(name, dims, typeId, data, -1));
        return this;
    }

    /** Adds a tensor whose info claims {@code offset}, while its bytes go where the writer would have put them. */
    GgufTestWriter tensorAt(String name, long[] dims, int typeId, byte[] data, long offset) {
        tensors.add(new Tensor(name, dims, typeId, data, offset));
        return this;
    }

    /** Adds a metadata entry with an arbitrary type id and raw value bytes. */
    GgufTestWriter raw(String key, int typeId, byte[] value) {
        key(key, typeId);
        metadata.writeBytes(value);
        return this;
    }

    /** The whole file. */
    byte[] bytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("GGUF".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(le(4).putInt(version).array());
        out.writeBytes(le(8).putLong(tensors.size()).array());
        out.writeBytes(le(8).putLong(kvCount).array());
        out.writeBytes(metadata.toByteArray());
        long offset = 0;
        List<Long> offsets = new ArrayList<>();
        for (Tensor tensor : tensors) {
            putString(out, tensor.name());
            out.writeBytes(le(4).putInt(tensor.dims().length).array());
            for (long dim : tensor.dims()) {
                out.writeBytes(le(8).putLong(dim).array());
            }
            out.writeBytes(le(4).putInt(tensor.typeId()).array());
            out.writeBytes(le(8).putLong(tensor.offset() >= 0 ? tensor.offset() : offset).array());
            offsets.add(offset);
            offset = padded(offset + tensor.data().length);
        }
        if (!tensors.isEmpty()) {
            pad(out);
            long dataStart = out.size();
            for (int i = 0; i < tensors.size(); i++) {
                while (out.size() < dataStart + offsets.get(i)) {
                    out.write(0);
                }
                out.writeBytes(tensors.get(i).data());
            }
        }
        return out.toByteArray();
    }

    /** The offset in the file where the data section starts (after the header, padded). */
    long dataStart() {
        byte[] all = bytes();
        long dataBytes = 0;
        for (int i = 0; i < tensors.size(); i++) {
            dataBytes = (i == tensors.size() - 1) ? dataBytes + tensors.get(i).data().length
                    : padded(dataBytes + tensors.get(i).data().length);
        }
        return all.length - dataBytes;
    }

    private long padded(long offset) {
        return (offset + alignment - 1) / alignment * alignment;
    }

    private void pad(ByteArrayOutputStream out) {
        while (out.size() % alignment != 0) {
            out.write(0);
        }
    }

    private void key(String key, int type) {
        kvCount++;
        putString(metadata, key);
        metadata.writeBytes(le(4).putInt(type).array());
    }

    private void arrayHeader(String key, int elementType, int count) {
        key(key, 9);
        metadata.writeBytes(le(4).putInt(elementType).array());
        metadata.writeBytes(le(8).putLong(count).array());
    }

    private static void putString(ByteArrayOutputStream out, String value) {
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        out.writeBytes(le(8).putLong(utf8.length).array());
        out.writeBytes(utf8);
    }

    static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
