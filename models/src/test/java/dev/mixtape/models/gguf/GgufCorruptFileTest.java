package dev.mixtape.models.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static dev.mixtape.models.gguf.GgufHandBuiltFileTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Broken GGUF files must fail on open with a message that names the file and what is wrong. */
class GgufCorruptFileTest {
    private static final int F32 = 0;
    private static final int Q8_0 = 8;
    private static final int HEADER_BYTES = 4 + 4 + 8 + 8;

    @TempDir
    Path dir;

    private static GgufTestWriter valid() {
        return new GgufTestWriter()
                .string("general.architecture", "llama")
                .strings("tokenizer.ggml.tokens", "<unk>", "a", "b")
                .tensor("token_embd.weight", new long[] {2, 3}, F32, new byte[24])
                .tensor("output_norm.weight", new long[] {2}, F32, new byte[8]);
    }

    @Test
    void everyTruncationIsReportedWithTheFileName() throws IOException {
        byte[] whole = valid().bytes();
        for (int length = 0; length < whole.length; length++) {
            Path file = write("cut" + length + ".gguf", Arrays.copyOf(whole, length));
            GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(file).close(),
                    "a file cut to " + length + " of " + whole.length + " bytes must be refused");
            assertMessage(e, file.toString());
        }
    }

    @Test
    void truncatedTensorDataNamesTheTensor() throws IOException {
        byte[] whole = valid().bytes();
        Path file = write("short.gguf", Arrays.copyOf(whole, whole.length - 1));
        assertMessage(assertThrows(GgufFormatException.class, () -> GgufFile.open(file)), "'output_norm.weight'", "truncated");
    }

    @Test
    void headerProblemsAreNamed() throws IOException {
        byte[] badMagic = valid().bytes();
        badMagic[0] = 'X';
        assertRefused(badMagic, "magic");
        assertRefused(new GgufTestWriter().version(1).bytes(), "version 1");
        assertRefused(new GgufTestWriter().version(0x03000000).bytes(), "big-endian");
        assertRefused(patchLong(valid().bytes(), 8, 1L << 50), "tensors at offset 8");
        assertRefused(patchLong(valid().bytes(), 16, 1L << 50), "metadata entries at offset 16");
        assertRefused(patchLong(valid().bytes(), HEADER_BYTES, 1L << 40), "string of 1099511627776 bytes at offset 24");
    }

    @Test
    void metadataProblemsNameTheKey() throws IOException {
        assertRefused(new GgufTestWriter().raw("odd.key", 13, new byte[8]).bytes(), "unknown value type id 13", "'odd.key'");
        assertRefused(new GgufTestWriter().raw("flag", 7, new byte[] {2}).bytes(), "boolean byte 2", "'flag'");
        assertRefused(new GgufTestWriter().raw("nested", 9, GgufTestWriter.le(12).putInt(9).putLong(1).array()).bytes(),
                "nested arrays", "'nested'");
        assertRefused(new GgufTestWriter().raw("many", 9, GgufTestWriter.le(12).putInt(6).putLong(1L << 40).array()).bytes(),
                "elements in metadata key 'many'");
        assertRefused(new GgufTestWriter().string("k", "a").string("k", "b").bytes(), "'k' twice");
        assertRefused(new GgufTestWriter().alignment(24).bytes(), "general.alignment", "power of two");
        assertRefused(new GgufTestWriter().raw("s", 8, GgufTestWriter.le(10).putLong(2).put((byte) 0xC3).put((byte) 0x28).array()).bytes(),
                "not valid UTF-8", "'s'");
    }

    @Test
    void tensorInfoProblemsNameTheTensor() throws IOException {
        assertRefused(new GgufTestWriter().tensor("blk.0.odd", new long[] {4}, 99, new byte[4]).bytes(),
                "unknown ggml type id 99", "'blk.0.odd'");
        assertRefused(new GgufTestWriter().tensor("q", new long[] {16}, Q8_0, new byte[17]).bytes(),
                "'q'", "not a multiple of its block size 32");
        assertRefused(new GgufTestWriter().tensor("five", new long[] {1, 1, 1, 1, 1}, F32, new byte[4]).bytes(),
                "'five'", "5 dimensions");
        assertRefused(new GgufTestWriter().tensor("huge", new long[] {1L << 32, 1L << 32}, F32, new byte[4]).bytes(),
                "'huge'", "overflows");
        assertRefused(new GgufTestWriter().tensor("a", new long[] {1}, F32, new byte[4]).tensor("a", new long[] {1}, F32, new byte[4]).bytes(),
                "'a' twice");
        assertRefused(new GgufTestWriter().tensorAt("skewed", new long[] {1}, F32, new byte[4], 4).bytes(),
                "'skewed'", "offset 4", "alignment 32");
        assertRefused(new GgufTestWriter().tensor("a", new long[] {16}, F32, new byte[64])
                        .tensorAt("b", new long[] {8}, F32, new byte[32], 32).bytes(),
                "'b'", "overlapping tensor 'a'");
        assertRefused(new GgufTestWriter().tensorAt("far", new long[] {1}, F32, new byte[4], 1L << 40).bytes(),
                "'far'", "truncated");
    }

    private void assertRefused(byte[] bytes, String... parts) throws IOException {
        Path file = write("bad.gguf", bytes);
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(file));
        assertMessage(e, file.toString());
        assertMessage(e, parts);
    }

    private static byte[] patchLong(byte[] bytes, int offset, long value) {
        System.arraycopy(GgufTestWriter.le(8).putLong(value).array(), 0, bytes, offset, 8);
        return bytes;
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, bytes);
        return file;
    }
}
