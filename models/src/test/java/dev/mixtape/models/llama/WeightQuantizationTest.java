package dev.mixtape.models.llama;

import dev.mixtape.engine.SharedFiles;
import dev.mixtape.engine.quant.BlockFormats;
import dev.mixtape.engine.quant.QuantizedMatrix;
import dev.mixtape.engine.quant.QuantizingFormat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Quantise-on-load of the real stories260K (HF safetensors, f32): exactly the matrices whose rows are
 * whole blocks are quantised (every projection, the embeddings and the head, but not {@code down_proj}
 * with its rows of 172, nor the norms), each to the bytes the format's quantiser writes for the
 * checkpoint's floats, each within the format's rounding of those floats, and they take the bytes
 * the format promises.
 */
class WeightQuantizationTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Q8_0", "Q4_0"})
    void quantisesTheMatricesOfWholeBlocksWithinTheirRounding(String name) throws IOException {
        QuantizingFormat format = (QuantizingFormat) BlockFormats.named(name);
        try (HfCheckpoint checkpoint = HfCheckpoint.open(SharedFiles.require("models/stories260K/hf"))) {
            Map<String, QuantizedMatrix> matrices = WeightQuantization.quantizeAll(checkpoint, format);
            long quantisedElements = 0;
            for (String tensor : checkpoint.names()) {
                int[] shape = checkpoint.shape(tensor);
                boolean expected = shape.length == 2 && !tensor.endsWith("down_proj.weight");
                assertEquals(expected, matrices.containsKey(tensor), tensor);
                if (!expected) {
                    continue;
                }
                QuantizedMatrix matrix = matrices.get(tensor);
                float[] floats = checkpoint.readFloats(tensor);
                assertArrayEquals(format.quantize(floats, 0, floats.length).toArray(ValueLayout.JAVA_BYTE),
                        matrix.blocks().toArray(ValueLayout.JAVA_BYTE), tensor);
                assertWithinRounding(name, tensor, floats, matrix.dequantize());
                assertEquals((long) shape[0] * shape[1] / 32 * format.blockBytes(), matrix.byteSize(), tensor);
                quantisedElements += (long) shape[0] * shape[1];
            }
            // per layer q 64×64, k and v 32×64, o 64×64, gate and up 172×64; the tied embeddings 512×64
            assertEquals(5 * (2 * 64 * 64 + 2 * 32 * 64 + 2 * 172 * 64) + 512 * 64, quantisedElements, "elements quantised");
            assertEquals(5 * 6 + 1, matrices.size());
        }
    }

    /**
     * Each element is within the format's rounding of its float. Q8_0's step is {@code d = max|x|/127}:
     * half a step of rounding, plus up to 127 times the f16 rounding of {@code d} (2⁻¹¹·d), under
     * 0.57·d. Q4_0's step is {@code max|x|/8}, its levels {@code −8..7} steps with the extreme at −8:
     * an element near the opposite extreme is clipped by up to one step, the others rounded by half.
     */
    private static void assertWithinRounding(String format, String tensor, float[] floats, float[] decoded) {
        boolean q8 = format.equals("Q8_0");
        for (int block = 0; block < floats.length / 32; block++) {
            double max = 0;
            for (int j = 0; j < 32; j++) {
                max = Math.max(max, Math.abs(floats[block * 32 + j]));
            }
            double tolerance = q8 ? 0.57 * max / 127 : 1.01 * max / 8;
            for (int j = 0; j < 32; j++) {
                int i = block * 32 + j;
                assertTrue(Math.abs(floats[i] - decoded[i]) <= tolerance,
                        tensor + " element " + i + ": " + floats[i] + " became " + decoded[i] + ", more than " + tolerance + " away");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"model.norm.weight", "model.layers.0.mlp.down_proj.weight"})
    void aTensorThatIsNotAMatrixOfWholeBlocksIsRefusedByName(String tensor) throws IOException {
        try (HfCheckpoint checkpoint = HfCheckpoint.open(SharedFiles.require("models/stories260K/hf"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> WeightQuantization.quantize(checkpoint, tensor, BlockFormats.Q8_0));
            assertTrue(e.getMessage().contains("'" + tensor + "'") && e.getMessage().contains("Q8_0"), e.getMessage());
        }
    }
}
