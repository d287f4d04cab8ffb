package dev.mixtape.models.gguf;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;

/**
 * Reads and checks everything in a GGUF file before its data section: header, metadata and tensor
 * infos. Layout (all little-endian):
 * <pre>
 * "GGUF"  uint32 version  uint64 tensor_count  uint64 metadata_kv_count
 * metadata_kv_count × (string key, uint32 value_type, value)
 * tensor_count × (string name, uint32 n_dims, n_dims × uint64 dim, uint32 ggml_type, uint64 offset)
 * padding to general.alignment (default 32), then the data section
 * </pre>
 * A string is a uint64 byte length and UTF-8 bytes; an array is a uint32 element type, a uint64
 * count and the elements. Versions 2 and 3 share this layout; version 1 (32-bit counts) is refused.
 */
final class GgufParser {
    /** What the parser found: everything {@link GgufFile} needs. */
    record Layout(int version, GgufMetadata metadata, List<GgufTensorInfo> tensors, int alignment, long dataOffset) {
    }

    static final String ALIGNMENT_KEY = "general.alignment";
    static final int DEFAULT_ALIGNMENT = 32;
    private static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian int
    private static final int MAX_DIMENSIONS = 4;
    private static final long MINIMUM_KV_BYTES = 8 + 4 + 1;
    private static final long MINIMUM_TENSOR_INFO_BYTES = 8 + 4 + 4 + 8;

    private final Path file;
    private final GgufCursor cursor;

    private GgufParser(MemorySegment bytes, Path file) {
        this.file = file;
        this.cursor = new GgufCursor(bytes, file);
    }

    /** Parses and validates the part of the file before the data section. */
    static Layout parse(MemorySegment bytes, Path file) throws GgufFormatException {
        return new GgufParser(bytes, file).parse();
    }

    private Layout parse() throws GgufFormatException {
        int magic = cursor.readInt("the magic number");
        if (magic != MAGIC) {
            throw cursor.error("does not start with the magic bytes 'GGUF' (found 0x" + Integer.toHexString(magic) + ")");
        }
        int version = cursor.readInt("the version");
        if (version != 2 && version != 3) {
            String hint = Integer.reverseBytes(version) == 3 || Integer.reverseBytes(version) == 2
                    ? " (a big-endian file? Mixtape reads little-endian GGUF only)"
                    : version == 1 ? " (version 1 used 32-bit counts and is obsolete)" : "";
            throw cursor.error("has version " + Integer.toUnsignedString(version) + "; Mixtape reads versions 2 and 3" + hint);
        }
        long tensorCount = cursor.readCount("tensors", MINIMUM_TENSOR_INFO_BYTES);
        long kvCount = cursor.readCount("metadata entries", MINIMUM_KV_BYTES);

        LinkedHashMap<String, GgufMetadata.Value> values = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = cursor.readString("metadata key #" + i);
            GgufMetadata.Value value = readValue(key);
            if (values.putIfAbsent(key, value) != null) {
                throw cursor.error("has the metadata key '" + key + "' twice");
            }
        }
        GgufMetadata metadata = new GgufMetadata(file, values);
        int alignment = alignment(metadata);

        List<GgufTensorInfo> tensors = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (long i = 0; i < tensorCount; i++) {
            GgufTensorInfo tensor = readTensorInfo(i, alignment);
            if (!names.add(tensor.name())) {
                throw cursor.error("has the tensor '" + tensor.name() + "' twice");
            }
            tensors.add(tensor);
        }
        cursor.alignTo(alignment);
        long dataOffset = cursor.position();
        checkDataSection(tensors, dataOffset, cursor.position() + cursor.remaining());
        return new Layout(version, metadata, List.copyOf(tensors), alignment, dataOffset);
    }

    private GgufMetadata.Value readValue(String key) throws GgufFormatException {
        GgufValueType type = readValueType("the type of metadata key '" + key + "'");
        if (type == GgufValueType.ARRAY) {
            return new GgufMetadata.Value(type, readArray(key));
        }
        return new GgufMetadata.Value(type, readScalar(type, "metadata key '" + key + "'"));
    }

    private GgufValueType readValueType(String what) throws GgufFormatException {
        long at = cursor.position();
        int id = cursor.readInt(what);
        GgufValueType type = GgufValueType.fromId(id);
        if (type == null) {
            throw cursor.error("has an unknown value type id " + id + " at offset " + at + " (" + what + ")");
        }
        return type;
    }

    private Object readScalar(GgufValueType type, String what) throws GgufFormatException {
        return switch (type) {
            case UINT8 -> (long) Byte.toUnsignedInt(cursor.readByte(what));
            case INT8 -> (long) cursor.readByte(what);
            case UINT16 -> (long) Short.toUnsignedInt(cursor.readShort(what));
            case INT16 -> (long) cursor.readShort(what);
            case UINT32 -> Integer.toUnsignedLong(cursor.readInt(what));
            case INT32 -> (long) cursor.readInt(what);
            case UINT64, INT64 -> cursor.readLong(what);
            case FLOAT32 -> cursor.readFloat(what);
            case FLOAT64 -> cursor.readDouble(what);
            case BOOL -> readBool(what);
            case STRING -> cursor.readString(what);
            case ARRAY -> throw new IllegalStateException("arrays are read by readArray");
        };
    }

    private boolean readBool(String what) throws GgufFormatException {
        long at = cursor.position();
        byte b = cursor.readByte(what);
        if (b != 0 && b != 1) {
            throw cursor.error("has the boolean byte " + b + " at offset " + at + " (" + what + "); only 0 and 1 are valid");
        }
        return b == 1;
    }

    private GgufMetadata.ArrayValue readArray(String key) throws GgufFormatException {
        GgufValueType elementType = readValueType("the element type of metadata key '" + key + "'");
        if (elementType == GgufValueType.ARRAY) {
            throw cursor.error("has nested arrays in metadata key '" + key + "', which GGUF readers do not support");
        }
        long count = cursor.readCount("elements in metadata key '" + key + "'", elementType.minimumBytes());
        if (count > Integer.MAX_VALUE - 8) {
            throw cursor.error("has " + count + " elements in metadata key '" + key + "', too many for a Java array");
        }
        int n = (int) count;
        String what = "an element of metadata key '" + key + "'";
        Object elements = switch (elementType) {
            case FLOAT32 -> {
                float[] floats = new float[n];
                for (int i = 0; i < n; i++) {
                    floats[i] = cursor.readFloat(what);
                }
                yield floats;
            }
            case FLOAT64 -> {
                double[] doubles = new double[n];
                for (int i = 0; i < n; i++) {
                    doubles[i] = cursor.readDouble(what);
                }
                yield doubles;
            }
            case BOOL -> {
                boolean[] booleans = new boolean[n];
                for (int i = 0; i < n; i++) {
                    booleans[i] = readBool(what);
                }
                yield booleans;
            }
            case STRING -> {
                String[] strings = new String[n];
                for (int i = 0; i < n; i++) {
                    strings[i] = cursor.readString("element " + i + " of metadata key '" + key + "'");
                }
                yield strings;
            }
            default -> {
                long[] longs = new long[n];
                for (int i = 0; i < n; i++) {
                    longs[i] = (Long) readScalar(elementType, what);
                }
                yield longs;
            }
        };
        return new GgufMetadata.ArrayValue(elementType, elements);
    }

    private int alignment(GgufMetadata metadata) throws GgufFormatException {
        if (!metadata.has(ALIGNMENT_KEY)) {
            return DEFAULT_ALIGNMENT;
        }
        if (metadata.type(ALIGNMENT_KEY) != GgufValueType.UINT32) {
            throw cursor.error("has metadata key '" + ALIGNMENT_KEY + "' of type " + metadata.type(ALIGNMENT_KEY) + "; it must be UINT32");
        }
        long alignment = metadata.getLong(ALIGNMENT_KEY);
        if (alignment == 0 || Long.bitCount(alignment) != 1 || alignment > (1 << 30)) {
            throw cursor.error("has metadata key '" + ALIGNMENT_KEY + "' = " + alignment + "; it must be a power of two");
        }
        return (int) alignment;
    }

    private GgufTensorInfo readTensorInfo(long index, int alignment) throws GgufFormatException {
        String name = cursor.readString("the name of tensor #" + index);
        String what = "tensor '" + name + "'";
        int dimensionCount = cursor.readInt("the dimension count of " + what);
        if (dimensionCount < 1 || dimensionCount > MAX_DIMENSIONS) {
            throw cursor.error("gives " + what + " " + dimensionCount + " dimensions; GGUF allows 1 to " + MAX_DIMENSIONS);
        }
        List<Long> dimensions = new ArrayList<>();
        long elements = 1;
        for (int d = 0; d < dimensionCount; d++) {
            long size = cursor.readLong("dimension " + d + " of " + what);
            if (size < 0) {
                throw cursor.error("gives " + what + " the dimension " + Long.toUnsignedString(size) + ", which is out of range");
            }
            try {
                elements = Math.multiplyExact(elements, size);
            } catch (ArithmeticException e) {
                throw cursor.error("gives " + what + " dimensions " + dimensions + " × " + size + " whose product overflows");
            }
            dimensions.add(size);
        }
        long typeAt = cursor.position();
        int typeId = cursor.readInt("the type of " + what);
        GgmlType type = GgmlType.fromId(typeId);
        if (type == null) {
            throw cursor.error("gives " + what + " the unknown ggml type id " + typeId + " at offset " + typeAt);
        }
        if (dimensions.getFirst() % type.blockSize() != 0) {
            throw cursor.error("gives " + what + " of type " + type + " a row of " + dimensions.getFirst()
                    + " elements, not a multiple of its block size " + type.blockSize());
        }
        long offset = cursor.readLong("the data offset of " + what);
        if (offset < 0 || offset % alignment != 0) {
            throw cursor.error("gives " + what + " the data offset " + Long.toUnsignedString(offset)
                    + ", which is not a multiple of the alignment " + alignment);
        }
        long byteSize;
        try {
            byteSize = type.bytesFor(elements);
        } catch (ArithmeticException e) {
            throw cursor.error("gives " + what + " a byte size that overflows");
        }
        return new GgufTensorInfo(name, dimensions, type, offset, byteSize);
    }

    private void checkDataSection(List<GgufTensorInfo> tensors, long dataOffset, long fileSize) throws GgufFormatException {
        List<GgufTensorInfo> byOffset = new ArrayList<>(tensors);
        byOffset.sort(Comparator.comparingLong(GgufTensorInfo::offset));
        long previousEnd = 0;
        String previousName = null;
        for (GgufTensorInfo tensor : byOffset) {
            if (tensor.offset() < previousEnd) {
                throw cursor.error("has tensor '" + tensor.name() + "' at data offset " + tensor.offset()
                        + ", overlapping tensor '" + previousName + "' which ends at " + previousEnd);
            }
            long end = tensor.offset() + tensor.byteSize();
            if (end > fileSize - dataOffset || end < 0) {
                throw cursor.error("is truncated: tensor '" + tensor.name() + "' of type " + tensor.type() + " needs bytes "
                        + (dataOffset + tensor.offset()) + " to " + (dataOffset + end) + ", but the file has " + fileSize + " bytes");
            }
            previousEnd = end;
            previousName = tensor.name();
        }
    }
}
