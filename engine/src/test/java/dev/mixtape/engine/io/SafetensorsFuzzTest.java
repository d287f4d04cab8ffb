package dev.mixtape.engine.io;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.mixtape.engine.Backends;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.FuzzedFiles;
import dev.mixtape.engine.Tensor;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Fuzz targets of the safetensors reader and writer (docs/FUZZING.md). The reader's own error is
 * {@link SafetensorsException}; a file it opens must also give every tensor back (as floats, ints or
 * raw bytes, by dtype) without any other exception. The round trip proves the writer and reader agree
 * on every name, shape, metadata entry and value bit.
 */
@Timeout(10)
class SafetensorsFuzzTest {
    private static final List<Class<? extends Exception>> OWN_ERRORS = List.of(SafetensorsException.class);
    private static final SafetensorsDtype[] DTYPES = SafetensorsDtype.values();
    private static final DType[] STORED = {DType.F32, DType.F16, DType.BF16};

    /** Any bytes at all as a {@code .safetensors} file. */
    @FuzzTest
    void anyBytes(byte[] bytes) throws IOException {
        Path file = FuzzedFiles.write("fuzz.safetensors", bytes);
        FuzzedFiles.readOrRefuse(file, OWN_ERRORS, () -> readEverything(file));
    }

    /**
     * A well-formed length prefix and JSON header whose tensors have fuzzer-chosen names, dtypes
     * (known or not), shapes and data offsets (consistent or not), then fuzzer-chosen data bytes.
     */
    @FuzzTest
    void structuredHeader(FuzzedDataProvider data) throws IOException {
        StringJoiner members = new StringJoiner(",", "{", "}");
        if (data.consumeBoolean()) {
            members.add("\"__metadata__\":{\"format\":" + StrictJson.quote(data.consumeString(8)) + "}");
        }
        int count = data.consumeInt(0, 4);
        long offset = 0;
        for (int i = 0; i < count; i++) {
            String dtype = data.consumeBoolean() ? DTYPES[data.consumeInt(0, DTYPES.length - 1)].name() : data.consumeString(6);
            StringJoiner shape = new StringJoiner(",", "[", "]");
            long elements = 1;
            for (int d = data.consumeInt(0, 3); d > 0; d--) {
                long size = data.consumeBoolean() ? data.consumeLong(0, 5) : data.consumeLong();
                elements *= size;
                shape.add(Long.toString(size));
            }
            long begin = data.consumeBoolean() ? offset : data.consumeLong();
            long end = data.consumeBoolean() ? begin + elements * 4 : data.consumeLong();
            offset = end;
            members.add(StrictJson.quote(data.consumeBoolean() ? "t" + i : data.consumeString(8)) + ":{\"dtype\":"
                    + StrictJson.quote(dtype) + ",\"shape\":" + shape + ",\"data_offsets\":[" + begin + "," + end + "]}");
        }
        byte[] header = members.toString().getBytes(StandardCharsets.UTF_8);
        byte[] tensorBytes = data.consumeRemainingAsBytes();
        byte[] file = new byte[8 + header.length + tensorBytes.length];
        for (int i = 0; i < 8; i++) {
            file[i] = (byte) ((long) header.length >>> (8 * i));
        }
        System.arraycopy(header, 0, file, 8, header.length);
        System.arraycopy(tensorBytes, 0, file, 8 + header.length, tensorBytes.length);
        anyBytes(file);
    }

    /**
     * Fuzzer-chosen tensors, metadata and storage type written by {@link SafetensorsWriter} and read
     * back: the writer either writes or refuses with a {@link SafetensorsException}, and what it wrote
     * reads back with the same names in order, shapes, metadata and values (rounded as the storage
     * type rounds, compared bit for bit).
     */
    @FuzzTest
    void writerRoundTrip(FuzzedDataProvider data) throws IOException {
        DType storeAs = data.pickValue(STORED);
        Map<String, String> metadata = new LinkedHashMap<>();
        for (int i = data.consumeInt(0, 2); i > 0; i--) {
            metadata.put(data.consumeString(8), data.consumeString(8));
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (int i = data.consumeInt(0, 4); i > 0; i--) {
            int[] shape = new int[data.consumeInt(1, 3)];
            int elements = 1;
            for (int d = 0; d < shape.length; d++) {
                shape[d] = data.consumeInt(0, 4);
                elements *= shape[d];
            }
            float[] values = new float[elements];
            for (int e = 0; e < elements; e++) {
                values[e] = data.consumeFloat();
            }
            tensors.put(data.consumeString(12), Tensor.of(Backends.defaultBackend(), values, shape));
        }
        Path file = FuzzedFiles.emptyFolder().resolve("round-trip.safetensors");
        try {
            SafetensorsWriter.write(file, tensors, metadata, storeAs);
        } catch (SafetensorsException refused) {
            FuzzedFiles.readOrRefuse(file, OWN_ERRORS, () -> {
                throw refused;
            });
            return;
        }
        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            assertEquals(List.copyOf(tensors.keySet()), read.names());
            assertEquals(metadata, read.metadata());
            for (Map.Entry<String, Tensor> entry : tensors.entrySet()) {
                assertArrayEquals(entry.getValue().shape(), read.info(entry.getKey()).shape());
                assertArrayEquals(stored(entry.getValue().toFloatArray(), storeAs), read.readFloats(entry.getKey()));
            }
        }
    }

    /** Any text for the JSON parser the header goes through: a value or a {@link JsonProcessingException}. */
    @FuzzTest
    void json(byte[] bytes) {
        try {
            StrictJson.parse(new String(bytes, StandardCharsets.UTF_8));
        } catch (JsonProcessingException refused) {
            // The parser's own error: the contract holds.
        }
    }

    private static void readEverything(Path path) throws IOException {
        try (SafetensorsFile file = SafetensorsFile.open(path)) {
            file.metadata();
            for (TensorInfo info : file.tensors()) {
                switch (info.dtype()) {
                    case F32, F16, BF16 -> file.readFloats(info.name());
                    case I32 -> file.readInts(info.name());
                    case I64 -> file.readLongs(info.name());
                    default -> file.segment(info.name()).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                }
            }
        }
    }

    private static float[] stored(float[] values, DType storeAs) {
        float[] rounded = values.clone();
        for (int i = 0; i < rounded.length; i++) {
            rounded[i] = switch (storeAs) {
                case F16 -> DType.halfToFloat(DType.floatToHalf(values[i]));
                case BF16 -> DType.bf16ToFloat(DType.floatToBf16(values[i]));
                default -> values[i];
            };
        }
        return rounded;
    }
}
