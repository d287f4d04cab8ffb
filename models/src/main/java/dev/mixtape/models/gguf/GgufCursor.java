package dev.mixtape.models.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Reads little-endian GGUF values one after another from a mapped file, checking before every read
 * that the bytes are there, so that a truncated or corrupt file fails with the offset and the item
 * being read instead of an index error.
 */
final class GgufCursor {
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment bytes;
    private final Path file;
    private long position;

    GgufCursor(MemorySegment bytes, Path file) {
        this.bytes = bytes;
        this.file = file;
    }

    /** The offset of the next byte to read. */
    long position() {
        return position;
    }

    /** How many bytes are left after the position. */
    long remaining() {
        return bytes.byteSize() - position;
    }

    byte readByte(String what) throws GgufFormatException {
        require(1, what);
        byte value = bytes.get(ValueLayout.JAVA_BYTE, position);
        position += 1;
        return value;
    }

    short readShort(String what) throws GgufFormatException {
        require(2, what);
        short value = bytes.get(U16, position);
        position += 2;
        return value;
    }

    int readInt(String what) throws GgufFormatException {
        require(4, what);
        int value = bytes.get(I32, position);
        position += 4;
        return value;
    }

    long readLong(String what) throws GgufFormatException {
        require(8, what);
        long value = bytes.get(I64, position);
        position += 8;
        return value;
    }

    float readFloat(String what) throws GgufFormatException {
        require(4, what);
        float value = bytes.get(F32, position);
        position += 4;
        return value;
    }

    double readDouble(String what) throws GgufFormatException {
        require(8, what);
        double value = bytes.get(F64, position);
        position += 8;
        return value;
    }

    /**
     * Reads a uint64 count and checks that {@code count} items of at least {@code minimumBytes} each
     * could still fit in the file, which rejects absurd counts before anything is allocated for them.
     */
    long readCount(String what, long minimumBytes) throws GgufFormatException {
        long at = position;
        long count = readLong(what);
        if (count < 0 || (minimumBytes > 0 && count > remaining() / minimumBytes)) {
            throw error("has " + Long.toUnsignedString(count) + " " + what + " at offset " + at
                    + ", more than the " + remaining() + " bytes left can hold");
        }
        return count;
    }

    /** Reads a GGUF string: a uint64 byte length, then that many bytes of UTF-8. */
    String readString(String what) throws GgufFormatException {
        long at = position;
        long length = readLong("the length of " + what);
        if (length < 0 || length > remaining()) {
            throw error("has a string of " + Long.toUnsignedString(length) + " bytes at offset " + at
                    + " (" + what + "), but only " + remaining() + " bytes are left");
        }
        if (length > Integer.MAX_VALUE - 8) {
            throw error("has a string of " + length + " bytes at offset " + at + " (" + what + "), too long for Java");
        }
        byte[] utf8 = bytes.asSlice(position, length).toArray(ValueLayout.JAVA_BYTE);
        position += length;
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(utf8))
                    .toString();
        } catch (CharacterCodingException e) {
            throw error("has a string at offset " + at + " (" + what + ") that is not valid UTF-8");
        }
    }

    /** Moves the position forward to the next multiple of {@code alignment}; it may pass the end. */
    void alignTo(int alignment) {
        long misalignment = position % alignment;
        if (misalignment != 0) {
            position += alignment - misalignment;
        }
    }

    /** An exception whose message starts with the file's name. */
    GgufFormatException error(String message) {
        return new GgufFormatException("GGUF file " + file + " " + message);
    }

    private void require(long count, String what) throws GgufFormatException {
        if (count > remaining()) {
            throw error("is truncated: " + what + " needs " + count + " bytes at offset " + position
                    + ", but the file has " + bytes.byteSize() + " bytes");
        }
    }
}
