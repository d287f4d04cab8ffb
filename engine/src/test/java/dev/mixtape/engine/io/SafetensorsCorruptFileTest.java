package dev.mixtape.engine.io;

import dev.mixtape.engine.Backends;
import dev.mixtape.engine.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every way a header can lie about its file must fail at open, with a message naming the file, the
 * tensor where there is one, and the offending numbers.
 */
class SafetensorsCorruptFileTest {

    @TempDir
    Path dir;

    static Stream<Arguments> corruptHeaders() {
        return Stream.of(
                Arguments.of("bad JSON", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]", 8,
                        List.of("not valid JSON", "expected close marker for Object")),
                Arguments.of("not an object", "[1,2]", 0, List.of("not a JSON object")),
                Arguments.of("duplicate tensor", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                        + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8,
                        List.of("Duplicate field 'a'")),
                Arguments.of("unknown dtype", tensor("a", "\"Q4_0\"", "[4]", "[0,4]"), 4,
                        List.of("tensor \"a\"", "unknown dtype \"Q4_0\"")),
                Arguments.of("lower-case dtype", tensor("a", "\"f32\"", "[1]", "[0,4]"), 4,
                        List.of("tensor \"a\"", "unknown dtype \"f32\"")),
                Arguments.of("dtype not a string", tensor("a", "4", "[1]", "[0,4]"), 4,
                        List.of("tensor \"a\"", "dtype is 4")),
                Arguments.of("missing dtype", "{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
                        List.of("tensor \"a\"", "dtype is missing")),
                Arguments.of("entry not an object", "{\"a\":[1,2]}", 0, List.of("tensor \"a\"", "not an object")),
                Arguments.of("negative dimension", tensor("a", "\"F32\"", "[2,-3]", "[0,8]"), 8,
                        List.of("tensor \"a\"", "shape dimension 1 is -3")),
                Arguments.of("fractional dimension", tensor("a", "\"F32\"", "[2.5]", "[0,8]"), 8,
                        List.of("tensor \"a\"", "shape dimension 0 is 2.5")),
                Arguments.of("dimension beyond int", tensor("a", "\"U8\"", "[4294967296]", "[0,4294967296]"), 0,
                        List.of("tensor \"a\"", "shape dimension 0 is 4294967296")),
                Arguments.of("byte count beyond long", tensor("a", "\"F64\"", "[2147483647,2147483647,2147483647]",
                        "[0,8]"), 8, List.of("tensor \"a\"", "more bytes than a long can count")),
                Arguments.of("size does not match shape", tensor("w", "\"F32\"", "[2,3]", "[0,20]"), 20,
                        List.of("tensor \"w\"", "[0, 20] hold 20 bytes", "F32 [2, 3] needs 6 × 4 = 24")),
                Arguments.of("offsets out of range", tensor("w", "\"F32\"", "[1000]", "[0,4000]"), 16,
                        List.of("tensor \"w\"", "data_offsets [0, 4000]", "holds 16 bytes")),
                Arguments.of("offsets beyond long", tensor("w", "\"U8\"", "[0]",
                        "[18446744073709551615,18446744073709551615]"), 0,
                        List.of("tensor \"w\"", "data_offsets[0] is 18446744073709551615")),
                Arguments.of("negative offset", tensor("w", "\"U8\"", "[0]", "[-1,-1]"), 0,
                        List.of("tensor \"w\"", "data_offsets[0] is -1")),
                Arguments.of("end before begin", tensor("w", "\"U8\"", "[0]", "[8,4]"), 8,
                        List.of("tensor \"w\"", "[8, 4] end before they begin")),
                Arguments.of("three offsets", tensor("w", "\"U8\"", "[1]", "[0,1,2]"), 2,
                        List.of("tensor \"w\"", "data_offsets is an array of 3")),
                Arguments.of("overlapping tensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", 24,
                        List.of("tensor \"b\"", "bytes [8, 24) overlap tensor \"a\" at [0, 16)")),
                Arguments.of("identical ranges", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
                        List.of("overlap tensor", "[0, 8)")),
                Arguments.of("gap between tensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}}", 24,
                        List.of("tensor \"b\"", "bytes [8, 16) belong to no tensor")),
                Arguments.of("bytes left over", tensor("a", "\"F32\"", "[2]", "[0,8]"), 16,
                        List.of("holds 16 bytes but the tensors cover 8")),
                Arguments.of("metadata not strings", "{\"__metadata__\":{\"epoch\":3}}", 0,
                        List.of("__metadata__ entry \"epoch\" is 3, not a string")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corruptHeaders")
    void corruptHeaderFailsAtOpenNamingFileAndProblem(String caseName, String header, int dataBytes,
                                                      List<String> fragments) throws IOException {
        Path file = craft(caseName.replace(' ', '-'), header.getBytes(StandardCharsets.UTF_8), dataBytes);

        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(file).close());

        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in: " + e.getMessage());
        }
    }

    @Test
    void headerThatIsNotUtf8() throws IOException {
        byte[] header = "{\"caf\u00e9\":{}}".getBytes(StandardCharsets.ISO_8859_1);
        Path file = craft("latin1", header, 0);

        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(file).close());

        assertTrue(e.getMessage().contains(file + ": the " + header.length + "-byte header is not valid UTF-8"), e.getMessage());
    }

    @Test
    void fileShorterThanTheHeaderLength() throws IOException {
        Path empty = Files.write(dir.resolve("empty.safetensors"), new byte[0]);
        Path four = Files.write(dir.resolve("four.safetensors"), new byte[4]);

        for (Path file : List.of(empty, four)) {
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(file).close());
            assertTrue(e.getMessage().startsWith(file + ": the file is " + Files.size(file) + " bytes long"),
                    e.getMessage());
        }
    }

    @Test
    void headerLengthLargerThanTheFile() throws IOException {
        Path file = dir.resolve("long-header.safetensors");
        ByteBuffer bytes = ByteBuffer.allocate(8 + 2).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).put((byte) '{').put((byte) '}');
        Files.write(file, bytes.array());

        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(file).close());

        assertTrue(e.getMessage().startsWith(file + ": header length 1000 runs past the end of the file (10 bytes"),
                e.getMessage());
    }

    @Test
    void absurdHeaderLength() throws IOException {
        Path file = dir.resolve("absurd.safetensors");
        Files.write(file, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1).array());

        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(file).close());

        assertTrue(e.getMessage().startsWith(file + ": header length 18446744073709551615 is over the"), e.getMessage());
    }

    @Test
    void fileCutInsideTheHeader() throws IOException {
        Path whole = writeThreeTensors("whole-header.safetensors");
        byte[] bytes = Files.readAllBytes(whole);
        long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        Path cut = Files.write(dir.resolve("cut-header.safetensors"), Arrays.copyOf(bytes, 8 + (int) headerLength / 2));

        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(cut).close());

        assertTrue(e.getMessage().startsWith(cut + ": header length " + headerLength + " runs past the end"),
                e.getMessage());
    }

    @Test
    void fileCutInsideTheDataNamesTheFirstTensorCut() throws IOException {
        Path whole = writeThreeTensors("whole-data.safetensors");
        byte[] bytes = Files.readAllBytes(whole);
        long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        int dataStart = 8 + (int) headerLength;
        Path cut = Files.write(dir.resolve("cut-data.safetensors"), Arrays.copyOf(bytes, dataStart + 16 + 6));

        SafetensorsException e = assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(cut).close());

        assertTrue(e.getMessage().startsWith(cut + ": tensor \"second\": data_offsets [16, 32] run past the end of"
                + " the data section, which holds 22 bytes"), e.getMessage());
    }

    @Test
    void fileCutAtEveryLengthNeverOpens() throws IOException {
        Path whole = writeThreeTensors("whole.safetensors");
        byte[] bytes = Files.readAllBytes(whole);

        for (int length = 0; length < bytes.length; length++) {
            Path cut = Files.write(dir.resolve("cut.safetensors"), Arrays.copyOf(bytes, length));
            assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(cut).close(), "length " + length);
        }
        try (SafetensorsFile intact = SafetensorsFile.open(whole)) {
            assertEquals(List.of("first", "second", "third"), intact.names());
        }
    }

    @Test
    void unknownTensorNameNamesFileAndTensor() throws IOException {
        Path file = writeThreeTensors("names.safetensors");

        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> read.readFloats("fourth"));

            assertTrue(e.getMessage().startsWith(file + ": tensor \"fourth\": no such tensor"), e.getMessage());
        }
    }

    @Test
    void integerReadsRefuseOtherDtypesAndIntsThatDoNotFit() throws IOException {
        String header = "{\"big\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]},"
                + "\"flags\":{\"dtype\":\"BOOL\",\"shape\":[8],\"data_offsets\":[16,24]}}";
        ByteBuffer data = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putLong(7).putLong(1L << 40);
        Path file = craft("integers", header.getBytes(StandardCharsets.UTF_8), data.array());

        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            assertEquals(List.of(7L, 1L << 40), Arrays.stream(read.readLongs("big")).boxed().toList());
            SafetensorsException narrowing = assertThrows(SafetensorsException.class, () -> read.readInts("big"));
            assertTrue(narrowing.getMessage().contains("tensor \"big\": element 1 is 1099511627776"),
                    narrowing.getMessage());
            SafetensorsException bool = assertThrows(SafetensorsException.class, () -> read.readInts("flags"));
            assertTrue(bool.getMessage().contains(file + ": tensor \"flags\": is BOOL"), bool.getMessage());
            SafetensorsException floats = assertThrows(SafetensorsException.class,
                    () -> read.read("flags", Backends.defaultBackend()));
            assertTrue(floats.getMessage().contains(file + ": tensor \"flags\": is BOOL"), floats.getMessage());
            assertEquals(8, read.segment("flags").byteSize());
        }
    }

    @Test
    void readingAfterCloseIsAnErrorNotACrash() throws IOException {
        Path file = writeThreeTensors("closed.safetensors");
        SafetensorsFile read = SafetensorsFile.open(file);
        read.close();
        read.close();

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> read.readFloats("first"));

        assertTrue(e.getMessage().contains(file + " is closed"), e.getMessage());
    }

    /** Tensors "first" [4] at bytes [0, 16), "second" [4] at [16, 32), "third" [2] at [32, 40). */
    private Path writeThreeTensors(String name) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("first", Tensor.of(Backends.defaultBackend(), new float[]{1, 2, 3, 4}, 4));
        tensors.put("second", Tensor.of(Backends.defaultBackend(), new float[]{5, 6, 7, 8}, 4));
        tensors.put("third", Tensor.of(Backends.defaultBackend(), new float[]{9, 10}, 2));
        Path file = dir.resolve(name);
        SafetensorsWriter.write(file, tensors);
        return file;
    }

    private static String tensor(String name, String dtype, String shape, String offsets) {
        return "{\"" + name + "\":{\"dtype\":" + dtype + ",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}}";
    }

    private Path craft(String name, byte[] header, int dataBytes) throws IOException {
        return craft(name, header, new byte[dataBytes]);
    }

    private Path craft(String name, byte[] header, byte[] data) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putLong(header.length).put(header).put(data);
        return Files.write(dir.resolve(name + ".safetensors"), bytes.array());
    }
}
