package dev.mixtape.models.llama;

import dev.mixtape.engine.quant.QuantizedMatrix;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A quantised GGUF's weights handed over as blocks ({@link GgufCheckpoint#readBlocks}) are the
 * weights {@link GgufCheckpoint#readFloats} reads: for every Q8_0 matrix of the Q8_0 stories260K,
 * including q and k, whose rows of blocks must be permuted to HF's layout exactly as float rows are
 * (a permutation left out or applied to the wrong unit changes their floats), they dequantise to the
 * same floats bit for bit, at the file's own byte size.
 */
class GgufBlocksTest {

    @Test
    void blocksDequantiseToTheFloatsReadFloatsGives() throws IOException, URISyntaxException {
        Path file = Path.of(GgufBlocksTest.class.getResource("/dev/mixtape/models/quant/stories260K-q8_0.gguf").toURI());
        try (GgufCheckpoint checkpoint = GgufCheckpoint.open(file)) {
            int matrices = 0;
            for (String name : checkpoint.names()) {
                if (!checkpoint.stored(name).type().equals("Q8_0")) {
                    continue;
                }
                QuantizedMatrix blocks = checkpoint.readBlocks(name);
                assertArrayEquals(checkpoint.shape(name), new int[] {blocks.rows(), blocks.cols()}, name);
                assertEquals(checkpoint.stored(name).bytes(), blocks.byteSize(), name);
                float[] expected = checkpoint.readFloats(name);
                float[] actual = blocks.dequantize();
                for (int i = 0; i < expected.length; i++) {
                    assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(actual[i]), name + " element " + i);
                }
                matrices++;
            }
            assertEquals(2 + 5 * 6, matrices, "embeddings, head, and six matrices per layer");
            IOException e = assertThrows(IOException.class, () -> checkpoint.readBlocks("model.layers.0.mlp.down_proj.weight"));
            assertTrue(e.getMessage().contains("'blk.0.ffn_down.weight' of type F32"), e.getMessage());
        }
    }
}
