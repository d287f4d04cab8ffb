package dev.mixtape.models.llama;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixtape.engine.Backend;
import dev.mixtape.engine.vector.VectorBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Config parsing from HF JSON and llama2.c headers; the llama2.c reader's validation and RoPE permutation. */
class ConfigAndCheckpointTest {
    private final Backend backend = new VectorBackend(1);

    /**
     * HF config defaults, and llama3 RoPE scaling in its three bands: kept, divided by the factor, and
     * the smoothed band between them, whose value comes from transformers rather than this code's formula.
     */
    @Test
    void hfConfigDefaultsAndRopeForms() throws IOException {
        ObjectMapper json = new ObjectMapper();
        LlamaConfig plain = HfConfigReader.parse(json.readTree("""
                {"hidden_size": 64, "intermediate_size": 172, "num_hidden_layers": 5, "num_attention_heads": 8,
                 "num_key_value_heads": 4, "vocab_size": 512, "rms_norm_eps": 1e-05, "tie_word_embeddings": true}"""));
        assertEquals(8, plain.headDim());
        assertEquals(10000.0, plain.ropeTheta());
        assertNull(plain.ropeScaling());
        assertTrue(plain.tieWordEmbeddings());

        LlamaConfig llama3 = HfConfigReader.parse(json.readTree("""
                {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 1, "num_attention_heads": 4,
                 "vocab_size": 100, "head_dim": 32,
                 "rope_parameters": {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0,
                   "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}}"""));
        assertEquals(32, llama3.headDim());
        assertEquals(500000.0, llama3.ropeTheta());
        double[] scaled = llama3.ropeInverseFrequencies();
        double[] raw = new double[16];
        for (int j = 0; j < 16; j++) {
            raw[j] = Math.pow(500000.0, -2.0 * j / 32);
            double wavelength = 2 * Math.PI / raw[j];
            if (wavelength < 8192 / 4.0) {
                assertEquals(raw[j], scaled[j], 1e-15);
            } else if (wavelength > 8192 / 1.0) {
                assertEquals(raw[j] / 8, scaled[j], 1e-15);
            }
        }
        // j = 8 is the one frequency of the smoothed band (2048 < λ ≈ 4443 < 8192): t ≈ 0.281 blends raw/8 and
        // raw. The figure is transformers 5.18's llama3 rope init (computed in f32, hence the tolerance);
        // swapping t and 1 − t gives 8.97e-4, leaving the band unscaled 1.41e-3.
        assertEquals(5.248460220173001e-4, scaled[8], 5.248460220173001e-4 * 1e-6, "the smoothed band");
        assertEquals(3.2114461064338684e-3, scaled[7], 3.2114461064338684e-3 * 1e-6, "the last kept frequency");
        assertEquals(7.784655463183299e-5, scaled[9], 7.784655463183299e-5 * 1e-6, "the first divided frequency");
        assertThrows(IllegalArgumentException.class, () -> HfConfigReader.parse(json.readTree("""
                {"hidden_size": 64, "intermediate_size": 1, "num_hidden_layers": 1, "num_attention_heads": 4,
                 "vocab_size": 10, "rope_scaling": {"rope_type": "yarn", "factor": 2}}""")));
        assertThrows(IllegalArgumentException.class, () -> HfConfigReader.parse(json.readTree("""
                {"hidden_size": 64, "intermediate_size": 1, "num_hidden_layers": 1, "num_attention_heads": 4,
                 "vocab_size": 10, "attention_bias": true}""")));
    }

    @Test
    void permutationMatchesTheSpecFormula() {
        int heads = 2;
        int headDim = 4;
        int cols = 3;
        float[] meta = new float[heads * headDim * cols];
        for (int i = 0; i < meta.length; i++) {
            meta[i] = i;
        }
        float[] hf = RopePermutation.metaToHf(meta, heads, headDim, cols);
        for (int h = 0; h < heads; h++) {
            for (int k = 0; k < 2; k++) {
                for (int j = 0; j < headDim / 2; j++) {
                    int hfRow = h * headDim + k * headDim / 2 + j;
                    int metaRow = h * headDim + 2 * j + k;
                    assertArrayEquals(Arrays.copyOfRange(meta, metaRow * cols, metaRow * cols + cols),
                            Arrays.copyOfRange(hf, hfRow * cols, hfRow * cols + cols));
                }
            }
        }
    }

    @Test
    void llama2cStories260KMatchesTheHfConversion() throws IOException {
        Path bin = dev.mixtape.engine.SharedFiles.require("models/stories260K/stories260K.bin");
        Path hfConfig = dev.mixtape.engine.SharedFiles.require("models/stories260K/hf/config.json");
        try (Llama2cCheckpoint checkpoint = Llama2cCheckpoint.open(bin)) {
            LlamaConfig config = checkpoint.config();
            LlamaConfig hf = HfConfigReader.read(hfConfig);
            assertEquals(hf.dim(), config.dim());
            assertEquals(hf.hiddenDim(), config.hiddenDim());
            assertEquals(hf.layers(), config.layers());
            assertEquals(hf.heads(), config.heads());
            assertEquals(hf.kvHeads(), config.kvHeads());
            assertEquals(hf.vocabSize(), config.vocabSize());
            assertTrue(config.tieWordEmbeddings());
            assertEquals(5 * 9 + 2, checkpoint.names().size());
            assertArrayEquals(new int[] {32, 64}, checkpoint.read("model.layers.4.self_attn.k_proj.weight", backend).shape());
            assertArrayEquals(new int[] {64}, checkpoint.read("model.norm.weight", backend).shape());
            assertThrows(IOException.class, () -> checkpoint.read("model.layers.5.self_attn.k_proj.weight", backend));
        }
    }

    @Test
    void truncatedOrTrailingFilesAreRejectedWithTheirSizes(@TempDir Path dir) throws IOException {
        Path bin = dev.mixtape.engine.SharedFiles.require("models/stories260K/stories260K.bin");
        byte[] bytes = Files.readAllBytes(bin);
        Path truncated = dir.resolve("truncated.bin");
        Files.write(truncated, Arrays.copyOf(bytes, bytes.length - 100));
        IOException e = assertThrows(IOException.class, () -> Llama2cCheckpoint.open(truncated));
        assertTrue(e.getMessage().contains("truncated.bin") && e.getMessage().contains("truncated"), e.getMessage());

        Path garbage = dir.resolve("garbage.bin");
        Files.write(garbage, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29});
        IOException g = assertThrows(IOException.class, () -> Llama2cCheckpoint.open(garbage));
        assertTrue(g.getMessage().contains("garbage.bin"), g.getMessage());
    }
}
