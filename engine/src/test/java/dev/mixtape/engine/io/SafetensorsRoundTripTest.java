package dev.mixtape.engine.io;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Backends;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsRoundTripTest {
    private final Backend backend = Backends.defaultBackend();

    @TempDir
    Path dir;

    @Test
    void f32KeepsEveryBitIncludingSignedZeroSubnormalsInfinitiesAndNaN() throws IOException {
        float[] values = {0f, -0f, 1f, -3.25f, Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE,
                Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, 0.1f, 123456.789f};
        Path file = dir.resolve("f32.safetensors");

        SafetensorsWriter.write(file, Map.of("w", Tensor.of(backend, values, 3, 4)));

        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            assertEquals(new TensorInfo("w", SafetensorsDtype.F32, new int[]{3, 4}, 0, 48), read.info("w"));
            assertArrayEquals(rawBits(values), rawBits(read.readFloats("w")));
        }
    }

    @Test
    void f16StoresRepresentableValuesExactlyAndRoundsOthersToNearestEven() throws IOException {
        float f16Ulp = 0x1p-10f;
        float[] values = {
                0f, -2f, 0.5f, 65504f, 0x1p-14f, 0x1p-24f, -1.5f * 0x1p-20f,
                1 + f16Ulp / 2,            // halfway between 1 and 1+ulp: ties to the even 1
                1 + 3 * f16Ulp / 2,        // halfway between 1+ulp and 1+2ulp: ties to the even 1+2ulp
                1 + f16Ulp / 2 + 0x1p-20f, // just above halfway: up
                0x1p-25f,                  // half the smallest subnormal: ties to even 0
                Float.POSITIVE_INFINITY, Float.NaN};
        float[] expected = {
                0f, -2f, 0.5f, 65504f, 0x1p-14f, 0x1p-24f, -1.5f * 0x1p-20f,
                1f, 1 + 2 * f16Ulp, 1 + f16Ulp, 0f, Float.POSITIVE_INFINITY, Float.NaN};
        Path file = dir.resolve("f16.safetensors");

        SafetensorsWriter.write(file, Map.of("h", Tensor.of(backend, values, values.length)), Map.of(), DType.F16);

        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            assertEquals(SafetensorsDtype.F16, read.info("h").dtype());
            assertEquals(2L * values.length, read.info("h").byteSize());
            assertArrayEquals(expected, read.readFloats("h"));
        }
    }

    @Test
    void bf16StoresRepresentableValuesExactlyAndRoundsOthersToNearestEven() throws IOException {
        float bf16Ulp = 0x1p-7f;
        float[] values = {
                0f, -1f, 3.140625f, 0x1p-130f, -0x1p100f, Float.intBitsToFloat(0x7f7f0000),
                1 + bf16Ulp / 2,            // halfway between 1 and 1+ulp: ties to the even 1
                1 + 3 * bf16Ulp / 2,        // halfway between 1+ulp and 1+2ulp: ties to the even 1+2ulp
                1 + bf16Ulp / 2 + 0x1p-20f, // just above halfway: up
                Float.NEGATIVE_INFINITY};
        float[] expected = {
                0f, -1f, 3.140625f, 0x1p-130f, -0x1p100f, Float.intBitsToFloat(0x7f7f0000),
                1f, 1 + 2 * bf16Ulp, 1 + bf16Ulp, Float.NEGATIVE_INFINITY};
        Path file = dir.resolve("bf16.safetensors");

        SafetensorsWriter.write(file, Map.of("b", Tensor.of(backend, values, 2, 5)), Map.of(), DType.BF16);

        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            assertEquals(SafetensorsDtype.BF16, read.info("b").dtype());
            assertArrayEquals(expected, read.readFloats("b"));
            assertArrayEquals(new int[]{2, 5}, read.read("b", backend).shape());
        }
    }

    @Test
    void keepsTensorOrderShapesAndMetadata() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("z.last.in.alphabet", Tensor.of(backend, new float[]{1, 2, 3, 4, 5, 6}, 2, 3));
        tensors.put("a.scalar", Tensor.of(backend, new float[]{7}));
        tensors.put("m.empty", Tensor.zeros(backend, DType.F32, 0, 3));
        tensors.put("b.vector", Tensor.of(backend, new float[]{8, 9}, 2));
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("note", "quotes \" backslash \\ newline \n and ünïcödé");
        Path file = dir.resolve("many.safetensors");

        SafetensorsWriter.write(file, tensors, metadata, DType.F32);

        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            assertEquals(List.copyOf(tensors.keySet()), read.names());
            assertEquals(metadata, read.metadata());
            assertEquals(List.copyOf(metadata.keySet()), List.copyOf(read.metadata().keySet()));
            for (Map.Entry<String, Tensor> entry : tensors.entrySet()) {
                Tensor back = read.read(entry.getKey(), backend);
                assertArrayEquals(entry.getValue().shape(), back.shape(), entry.getKey());
                assertArrayEquals(entry.getValue().toFloatArray(), back.toFloatArray(), entry.getKey());
            }
        }
    }

    @Test
    void writesViewsInRowMajorOrder() throws IOException {
        Tensor matrix = Tensor.of(backend, new float[]{1, 2, 3, 4, 5, 6}, 2, 3);
        Path file = dir.resolve("view.safetensors");

        SafetensorsWriter.write(file, Map.of("t", matrix.transpose(0, 1)));

        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            assertArrayEquals(new int[]{3, 2}, read.info("t").shape());
            assertArrayEquals(new float[]{1, 4, 2, 5, 3, 6}, read.readFloats("t"));
        }
    }

    @Test
    void headerIsSpacePaddedSoThatDataStartsAtAMultipleOfEight() throws IOException {
        for (String name : List.of("a", "ab", "abc", "abcd", "abcde", "abcdef", "abcdefg", "abcdefgh")) {
            Path file = dir.resolve(name + ".safetensors");
            SafetensorsWriter.write(file, Map.of(name, Tensor.of(backend, new float[]{1.5f}, 1)));

            byte[] bytes = Files.readAllBytes(file);
            long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            assertEquals(0, headerLength % 8, name);
            assertEquals(8 + headerLength + 4, bytes.length, name);
            String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
            assertTrue(header.stripTrailing().endsWith("}"), header);
            assertTrue(header.substring(header.stripTrailing().length()).chars().allMatch(c -> c == ' '), header);
            assertEquals(1.5f, ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getFloat(8 + (int) headerLength));
        }
    }

    @Test
    void everyStorageTypeIsLittleEndianOnDisk() throws IOException {
        Tensor values = Tensor.of(backend, new float[]{1f, -2f}, 2);
        Map<DType, byte[]> expectedData = Map.of(
                DType.F32, new byte[]{0, 0, (byte) 0x80, 0x3f, 0, 0, 0, (byte) 0xc0},
                DType.F16, new byte[]{0, 0x3c, 0, (byte) 0xc0},
                DType.BF16, new byte[]{(byte) 0x80, 0x3f, 0, (byte) 0xc0});

        for (Map.Entry<DType, byte[]> expected : expectedData.entrySet()) {
            Path file = dir.resolve(expected.getKey() + ".safetensors");
            SafetensorsWriter.write(file, Map.of("v", values), Map.of(), expected.getKey());

            byte[] bytes = Files.readAllBytes(file);
            int dataStart = 8 + (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            assertArrayEquals(expected.getValue(), Arrays.copyOfRange(bytes, dataStart, bytes.length), expected.getKey().name());
        }
    }

    @Test
    void segmentIsAReadOnlyZeroCopySliceOfTheRawBytes() throws IOException {
        Path file = dir.resolve("segment.safetensors");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("first", Tensor.of(backend, new float[]{1, 2}, 2));
        tensors.put("second", Tensor.of(backend, new float[]{-0.5f, 4, 8}, 3));
        SafetensorsWriter.write(file, tensors, Map.of(), DType.BF16);

        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            MemorySegment segment = read.segment("second");
            assertEquals(6, segment.byteSize());
            assertTrue(segment.isReadOnly());
            assertTrue(segment.isMapped());
            short first = segment.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            assertEquals(-0.5f, DType.bf16ToFloat(first));
        }
    }

    private static int[] rawBits(float[] values) {
        int[] bits = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            bits[i] = Float.floatToRawIntBits(values[i]);
        }
        return bits;
    }
}
