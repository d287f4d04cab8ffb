package dev.mixtape.models.gguf;

import dev.mixtape.engine.quant.BlockFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static dev.mixtape.models.gguf.GgufHandBuiltFileTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * GGUF files holding ggml's block formats, legacy and K-quant, side by side in one file as mixed
 * files (Q4_K_M: Q4_K with some Q6_K) hold them, and the one-line errors of files that break them.
 */
class QuantizedGgufTest {
    private static final int Q4_K = 12;
    private static final int Q6_K = 14;

    @TempDir
    Path dir;

    /**
     * {@code every-block-type.gguf} (written by {@code make_quantized_ggufs.py}) holds random blocks of
     * every format beside gguf's dequantisation of them: each reads back to those floats bit for bit,
     * so the file's byte sizes, offsets and each format's decoding all agree with ggml's.
     */
    @Test
    void everyBlockTypeInOneFileReadsAsGgufDequantisesIt() throws IOException, URISyntaxException {
        Path file = Path.of(QuantizedGgufTest.class.getResource("/dev/mixtape/models/quant/every-block-type.gguf").toURI());
        int checked = 0;
        try (GgufFile gguf = GgufFile.open(file)) {
            for (GgufTensorInfo tensor : gguf.tensors()) {
                if (tensor.name().endsWith(".expected")) {
                    continue;
                }
                assertEquals("t." + tensor.type(), tensor.name());
                float[] expected = gguf.readFloats(tensor.name() + ".expected");
                float[] actual = gguf.readFloats(tensor.name());
                assertEquals(expected.length, actual.length);
                for (int i = 0; i < expected.length; i++) {
                    if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                        fail(tensor.name() + " element " + i + ": expected " + expected[i] + ", got " + actual[i]);
                    }
                }
                checked++;
            }
        }
        assertEquals(8, checked, "one tensor per block format");
    }

    /** The sizes GGUF files are validated with are those the formats decode with. */
    @Test
    void ggmlTypesAgreeWithTheirBlockFormats() {
        int formats = 0;
        for (GgmlType type : GgmlType.values()) {
            BlockFormat format = type.blockFormat();
            if (format != null) {
                assertEquals(type.blockSize(), format.blockSize(), type.name());
                assertEquals(type.blockBytes(), format.blockBytes(), type.name());
                assertTrue(type.canDequantize(), type.name());
                formats++;
            }
        }
        assertEquals(8, formats);
    }

    /** A file cut inside a K-quant tensor's last block names the tensor and its type. */
    @Test
    void aTruncatedBlockNamesTheTensorAndType() throws IOException {
        byte[] whole = new GgufTestWriter().tensor("blk.0.ffn_down.weight", new long[] {256, 2}, Q6_K, new byte[2 * 210]).bytes();
        Path file = dir.resolve("cut.gguf");
        Files.write(file, Arrays.copyOf(whole, whole.length - 100));
        assertMessage(assertThrows(GgufFormatException.class, () -> GgufFile.open(file)),
                file.toString(), "truncated", "'blk.0.ffn_down.weight' of type Q6_K");
    }

    /** Rows that are not whole 256-element blocks cannot be a K-quant tensor. */
    @Test
    void rowsThatAreNotWholeBlocksNameTheTensorTypeAndBlockSize() throws IOException {
        Path file = dir.resolve("rows.gguf");
        Files.write(file, new GgufTestWriter().tensor("blk.0.attn_q.weight", new long[] {128, 4}, Q4_K, new byte[288]).bytes());
        assertMessage(assertThrows(GgufFormatException.class, () -> GgufFile.open(file)),
                file.toString(), "'blk.0.attn_q.weight'", "Q4_K", "128", "block size 256");
    }

    /** A type id ggml does not define is refused naming the tensor and the id. */
    @Test
    void anUnknownTypeIdNamesTheTensorAndTheId() throws IOException {
        Path file = dir.resolve("unknown.gguf");
        Files.write(file, new GgufTestWriter().tensor("blk.0.attn_k.weight", new long[] {32}, 77, new byte[34]).bytes());
        assertMessage(assertThrows(GgufFormatException.class, () -> GgufFile.open(file)),
                file.toString(), "'blk.0.attn_k.weight'", "unknown ggml type id 77");
    }
}
