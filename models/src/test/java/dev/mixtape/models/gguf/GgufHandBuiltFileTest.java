package dev.mixtape.models.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Small GGUF files written by {@link GgufTestWriter}: every value type, every dequantised tensor type. */
class GgufHandBuiltFileTest {
    private static final int F32 = 0;
    private static final int F16 = 1;
    private static final int Q4_0 = 2;
    private static final int Q8_0 = 8;
    private static final int Q2_K = 10;
    private static final int BF16 = 30;

    @TempDir
    Path dir;

    @Test
    void readsEveryMetadataType() throws IOException {
        Path file = write("meta.gguf", new GgufTestWriter()
                .string("s", "héllo ▁ 日本")
                .uint32("u32", 4_000_000_000L)
                .int8("i8", -5)
                .uint64("u64", 7)
                .float32("f32", 1.5f)
                .float64("f64", 0.25)
                .bool("yes", true)
                .strings("words", "a", "", "ü")
                .floats("scores", -1f, 0f, 2.5f)
                .int32s("types", 1, -2, 3)
                .uint16s("shorts", 65535, 0));
        try (GgufFile gguf = GgufFile.open(file)) {
            GgufMetadata meta = gguf.metadata();
            assertEquals(List.of("s", "u32", "i8", "u64", "f32", "f64", "yes", "words", "scores", "types", "shorts"),
                    List.copyOf(meta.keys()));
            assertEquals("héllo ▁ 日本", meta.getString("s"));
            assertEquals(4_000_000_000L, meta.getLong("u32"));
            assertEquals(-5, meta.getInt("i8"));
            assertEquals(7, meta.getInt("u64"));
            assertEquals(1.5f, meta.getFloat("f32"));
            assertEquals(0.25f, meta.getFloat("f64"));
            assertTrue(meta.getBoolean("yes"));
            assertArrayEquals(new String[] {"a", "", "ü"}, meta.getStringArray("words"));
            assertArrayEquals(new float[] {-1f, 0f, 2.5f}, meta.getFloatArray("scores"));
            assertArrayEquals(new int[] {1, -2, 3}, meta.getIntArray("types"));
            assertArrayEquals(new int[] {65535, 0}, meta.getIntArray("shorts"));
            assertEquals(GgufValueType.UINT16, meta.arrayElementType("shorts"));
            assertTrue(gguf.tensors().isEmpty());

            assertMessage(assertThrows(IllegalArgumentException.class, () -> meta.getInt("u32")), "'u32'", "4000000000");
            assertMessage(assertThrows(IllegalArgumentException.class, () -> meta.getString("f32")), file.toString(), "'f32'", "FLOAT32");
            assertMessage(assertThrows(IllegalArgumentException.class, () -> meta.getInt("missing.key")), file.toString(), "'missing.key'");
            assertMessage(assertThrows(IllegalArgumentException.class, () -> meta.getFloatArray("words")), "'words'", "STRING");
        }
    }

    @Test
    void readsPlainFloatTypes() throws IOException {
        float[] values = {0f, 1f, -2.5f, 65504f, 1e-3f, -0.0f, 3.140625f, 100f};
        ByteBuffer f32 = GgufTestWriter.le(4 * values.length);
        ByteBuffer f16 = GgufTestWriter.le(2 * values.length);
        ByteBuffer bf16 = GgufTestWriter.le(2 * values.length);
        for (float v : values) {
            f32.putFloat(v);
            f16.putShort(Float.floatToFloat16(v));
            bf16.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
        }
        Path file = write("plain.gguf", new GgufTestWriter()
                .tensor("a", new long[] {4, 2}, F32, f32.array())
                .tensor("b", new long[] {8}, F16, f16.array())
                .tensor("c", new long[] {2, 2, 2}, BF16, bf16.array()));
        try (GgufFile gguf = GgufFile.open(file)) {
            assertArrayEquals(values, gguf.readFloats("a"));
            float[] halves = gguf.readFloats("b");
            float[] brains = gguf.readFloats("c");
            for (int i = 0; i < values.length; i++) {
                assertEquals(values[i], halves[i], Math.abs(values[i]) * 1e-3f, "f16 element " + i);
                assertEquals(values[i], brains[i], Math.abs(values[i]) * 1e-2f, "bf16 element " + i);
            }
            assertEquals(3.140625f, halves[6]);
            assertEquals(-2.5f, brains[2]);
            assertArrayEquals(new long[] {2, 4}, gguf.tensor("a").rowMajorShape());
        }
    }

    @Test
    void dequantisesQ8_0BlocksAsScaleTimesInt8() throws IOException {
        ByteBuffer blocks = GgufTestWriter.le(2 * 34);
        blocks.putShort(Float.floatToFloat16(0.5f));
        for (int j = 0; j < 32; j++) {
            blocks.put((byte) (j * 8 - 128));
        }
        blocks.putShort(Float.floatToFloat16(-0.25f));
        for (int j = 0; j < 32; j++) {
            blocks.put((byte) (127 - j));
        }
        Path file = write("q8.gguf", new GgufTestWriter().tensor("w", new long[] {64}, Q8_0, blocks.array()));
        try (GgufFile gguf = GgufFile.open(file)) {
            float[] values = gguf.readFloats("w");
            assertEquals(64, values.length);
            assertEquals(-64f, values[0]);
            assertEquals(-60f, values[1]);
            assertEquals(60f, values[31]);
            assertEquals(-31.75f, values[32]);
            assertEquals(-24f, values[63]);
            for (int j = 0; j < 32; j++) {
                assertEquals((j * 8 - 128) * 0.5f, values[j]);
                assertEquals((127 - j) * -0.25f, values[32 + j]);
            }
            assertEquals(68, gguf.tensorData("w").byteSize());
        }
    }

    @Test
    void dequantisesQ4_0BlocksWithLowNibblesFirst() throws IOException {
        ByteBuffer block = GgufTestWriter.le(18);
        block.putShort(Float.floatToFloat16(0.25f));
        block.put((byte) 0x9F);
        for (int j = 1; j < 16; j++) {
            block.put((byte) ((15 - j) << 4 | j));
        }
        Path file = write("q4.gguf", new GgufTestWriter().tensor("w", new long[] {32}, Q4_0, block.array()));
        try (GgufFile gguf = GgufFile.open(file)) {
            float[] values = gguf.readFloats("w");
            assertEquals(32, values.length);
            assertEquals((15 - 8) * 0.25f, values[0]);
            assertEquals((9 - 8) * 0.25f, values[16]);
            for (int j = 1; j < 16; j++) {
                assertEquals((j - 8) * 0.25f, values[j], "element " + j + " is the low nibble of byte " + j);
                assertEquals((15 - j - 8) * 0.25f, values[16 + j], "element " + (16 + j) + " is the high nibble of byte " + j);
            }
        }
    }

    @Test
    void honoursGeneralAlignmentAndExposesRawBytes() throws IOException {
        byte[] first = new byte[4 * 3];
        byte[] second = GgufTestWriter.le(8).putFloat(2f).putFloat(-3f).array();
        GgufTestWriter writer = new GgufTestWriter().alignment(64)
                .tensor("first", new long[] {3}, F32, first)
                .tensor("second", new long[] {2}, F32, second);
        Path file = write("aligned.gguf", writer);
        try (GgufFile gguf = GgufFile.open(file)) {
            assertEquals(64, gguf.alignment());
            assertEquals(0, gguf.dataOffset() % 64);
            assertEquals(writer.dataStart(), gguf.dataOffset());
            assertEquals(64, gguf.tensor("second").offset());
            assertEquals(2f, gguf.tensorData("second").get(GgufCursor.F32, 0));
            assertArrayEquals(new float[] {2f, -3f}, gguf.readFloats("second"));
            assertArrayEquals(second, gguf.tensorData("second").toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void readsVersion2() throws IOException {
        Path file = write("v2.gguf", new GgufTestWriter().version(2).string("general.architecture", "llama")
                .tensor("t", new long[] {1}, F32, GgufTestWriter.le(4).putFloat(9f).array()));
        try (GgufFile gguf = GgufFile.open(file)) {
            assertEquals(2, gguf.version());
            assertArrayEquals(new float[] {9f}, gguf.readFloats("t"));
        }
    }

    @Test
    void opensQuantisedTypesItCannotDecodeButRefusesToDequantiseThem() throws IOException {
        Path file = write("q2k.gguf", new GgufTestWriter().tensor("blk.0.attn_q.weight", new long[] {256}, Q2_K, new byte[84]));
        try (GgufFile gguf = GgufFile.open(file)) {
            assertEquals(GgmlType.Q2_K, gguf.tensor("blk.0.attn_q.weight").type());
            assertEquals(84, gguf.tensorData("blk.0.attn_q.weight").byteSize());
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> gguf.readFloats("blk.0.attn_q.weight"));
            assertMessage(e, file.toString(), "'blk.0.attn_q.weight'", "Q2_K", "Q4_K, Q5_K, Q6_K");
            assertMessage(assertThrows(IllegalArgumentException.class, () -> gguf.tensor("nope")), file.toString(), "'nope'");
        }
    }

    static void assertMessage(Exception e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "message should name " + part + ": " + e.getMessage());
        }
    }

    private Path write(String name, GgufTestWriter writer) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, writer.bytes());
        return file;
    }
}
