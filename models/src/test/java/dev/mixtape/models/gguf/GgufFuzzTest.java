package dev.mixtape.models.gguf;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mixtape.engine.FuzzedFiles;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * Fuzz targets of the GGUF reader (docs/FUZZING.md). Its own errors are {@link GgufFormatException}
 * for a file that breaks the format, and {@link UnsupportedOperationException} from
 * {@link GgufFile#readFloats} for a tensor type it cannot dequantise or a tensor too large for one
 * array (both documented, both naming the file). A file that opens must give every metadata value
 * and every dequantisable tensor back.
 */
@Timeout(10)
class GgufFuzzTest {
    private static final List<Class<? extends Exception>> OWN_ERRORS =
            List.of(GgufFormatException.class, UnsupportedOperationException.class);
    private static final GgmlType[] TYPES = GgmlType.values();
    private static final GgufValueType[] VALUE_TYPES = GgufValueType.values();

    /** Any bytes at all as a {@code .gguf} file. */
    @FuzzTest
    void anyBytes(byte[] bytes) throws IOException {
        Path file = FuzzedFiles.write("fuzz.gguf", bytes);
        FuzzedFiles.readOrRefuse(file, OWN_ERRORS, () -> readEverything(file));
    }

    /**
     * A GGUF file laid out as the spec says, with fuzzer-chosen version, counts (true or not),
     * metadata types and values, tensor dimension counts, dimensions, ggml types and data offsets
     * (aligned and consecutive, or anything), alignment, then fuzzer-chosen data bytes.
     */
    @FuzzTest
    void structured(FuzzedDataProvider data) throws IOException {
        Bytes out = new Bytes();
        out.i32(0x46554747);
        out.i32(data.consumeBoolean() ? 3 : data.consumeInt());
        int tensors = data.consumeInt(0, 3);
        int kvs = data.consumeInt(0, 3);
        long alignment = data.consumeBoolean() ? 32 : data.pickValue(new long[] {1, 8, 64, 0, 3, 1L << 31});
        boolean writeAlignment = alignment != 32 || data.consumeBoolean();
        out.i64(data.consumeBoolean() ? tensors : data.consumeLong());
        out.i64((data.consumeBoolean() ? kvs : data.consumeLong()) + (writeAlignment ? 1 : 0));
        if (writeAlignment) {
            out.string("general.alignment");
            out.i32(GgufValueType.UINT32.id());
            out.i32((int) alignment);
        }
        for (int i = 0; i < kvs; i++) {
            out.string(data.consumeBoolean() ? "key" + i : data.consumeString(12));
            GgufValueType type = data.pickValue(VALUE_TYPES);
            out.i32(data.consumeBoolean() ? type.id() : data.consumeInt());
            if (type == GgufValueType.ARRAY) {
                GgufValueType element = data.pickValue(VALUE_TYPES);
                out.i32(element.id());
                int count = data.consumeInt(0, 4);
                out.i64(data.consumeBoolean() ? count : data.consumeLong());
                for (int e = 0; e < count; e++) {
                    value(out, element, data);
                }
            } else {
                value(out, type, data);
            }
        }
        long offset = 0;
        for (int i = 0; i < tensors; i++) {
            out.string(data.consumeBoolean() ? "t" + i : data.consumeString(12));
            int dims = data.consumeBoolean() ? data.consumeInt(1, 4) : data.consumeInt();
            out.i32(dims);
            GgmlType type = data.pickValue(TYPES);
            long elements = 1;
            for (int d = 0; d < Math.min(Math.max(dims, 0), 4); d++) {
                long size = data.consumeBoolean() ? type.blockSize() * data.consumeLong(0, 2) : data.consumeLong();
                elements *= size;
                out.i64(size);
            }
            out.i32(data.consumeBoolean() ? type.id() : data.consumeInt());
            out.i64(data.consumeBoolean() ? offset : data.consumeLong());
            offset += (elements / Math.max(1, type.blockSize()) * type.blockBytes() + 31) / 32 * 32;
        }
        if (alignment > 0 && alignment <= 64) {
            while (out.size() % alignment != 0) {
                out.write(0);
            }
        }
        out.writeBytes(data.consumeRemainingAsBytes());
        anyBytes(out.toByteArray());
    }

    private static void value(Bytes out, GgufValueType type, FuzzedDataProvider data) {
        switch (type) {
            case UINT8, INT8 -> out.write(data.consumeByte());
            case BOOL -> out.write(data.consumeBoolean() ? 1 : data.consumeByte());
            case UINT16, INT16 -> out.writeBytes(new byte[] {data.consumeByte(), data.consumeByte()});
            case UINT32, INT32, FLOAT32 -> out.i32(data.consumeInt());
            case UINT64, INT64, FLOAT64 -> out.i64(data.consumeLong());
            case STRING -> out.string(data.consumeString(8));
            case ARRAY -> out.i32(data.consumeInt());
        }
    }

    private static void readEverything(Path path) throws IOException {
        try (GgufFile file = GgufFile.open(path)) {
            GgufMetadata metadata = file.metadata();
            for (String key : metadata.keys()) {
                metadata.type(key);
            }
            for (GgufTensorInfo tensor : file.tensors()) {
                file.tensorData(tensor.name());
                if (tensor.type().canDequantize()) {
                    file.readFloats(tensor.name());
                }
            }
        }
    }

    /** Little-endian GGUF values into a byte array. */
    private static final class Bytes extends ByteArrayOutputStream {
        void i32(int value) {
            writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array());
        }

        void i64(long value) {
            writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array());
        }

        void string(String value) {
            byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
            i64(utf8.length);
            writeBytes(utf8);
        }
    }
}
