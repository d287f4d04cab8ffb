package dev.mixtape.models.gguf;

import dev.mixtape.engine.SharedFiles;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reads the real GGUF files in shared/ and checks them against LLAMA.md and the llama2.c checkpoint. */
class GgufFileTest {
    private static final int DIM = 64;
    private static final int HIDDEN = 172;
    private static final int LAYERS = 5;
    private static final int KV_DIM = 32;
    private static final int VOCAB = 512;

    @Test
    void stories260kMetadataDescribesTheTinyLlama() throws IOException {
        try (GgufFile gguf = GgufFile.open(SharedFiles.require("models/stories260K/stories260K.gguf"))) {
            GgufMetadata meta = gguf.metadata();
            assertEquals(3, gguf.version());
            assertEquals(32, gguf.alignment());
            assertEquals(0, gguf.dataOffset() % 32);
            assertEquals("llama", meta.getString("general.architecture"));
            assertEquals(DIM, meta.getInt("llama.embedding_length"));
            assertEquals(LAYERS, meta.getInt("llama.block_count"));
            assertEquals(8, meta.getInt("llama.attention.head_count"));
            assertEquals(4, meta.getInt("llama.attention.head_count_kv"));
            assertEquals(HIDDEN, meta.getInt("llama.feed_forward_length"));
            assertEquals(2048, meta.getInt("llama.context_length"));
            assertEquals(1e-5f, meta.getFloat("llama.attention.layer_norm_rms_epsilon"));
            assertEquals(GgufValueType.UINT32, meta.type("tokenizer.ggml.seperator_token_id"));
            assertEquals(0xFFFF_FFFFL, meta.getLong("tokenizer.ggml.seperator_token_id"));
            String[] tokens = meta.getStringArray("tokenizer.ggml.tokens");
            assertEquals(VOCAB, tokens.length);
            assertEquals(List.of("<unk>", "<s>", "</s>", "<0x00>"), List.of(tokens).subList(0, 4));
            assertEquals(VOCAB, meta.getFloatArray("tokenizer.ggml.scores").length);
            assertEquals(VOCAB, meta.getIntArray("tokenizer.ggml.token_type").length);
        }
    }

    @Test
    void stories260kTensorsHaveTheNamesAndShapesOfLlamaMd() throws IOException {
        try (GgufFile gguf = GgufFile.open(SharedFiles.require("models/stories260K/stories260K.gguf"))) {
            List<String> expected = new ArrayList<>(List.of("token_embd.weight", "output_norm.weight", "output.weight"));
            for (int layer = 0; layer < LAYERS; layer++) {
                for (String part : List.of("attn_q", "attn_k", "attn_v", "attn_output", "attn_norm",
                        "ffn_gate", "ffn_down", "ffn_up", "ffn_norm")) {
                    expected.add("blk." + layer + "." + part + ".weight");
                }
            }
            assertEquals(expected, gguf.tensors().stream().map(GgufTensorInfo::name).toList());
            assertShape(gguf, "token_embd.weight", VOCAB, DIM);
            assertShape(gguf, "output_norm.weight", DIM);
            assertShape(gguf, "blk.3.attn_q.weight", DIM, DIM);
            assertShape(gguf, "blk.3.attn_k.weight", KV_DIM, DIM);
            assertShape(gguf, "blk.3.attn_v.weight", KV_DIM, DIM);
            assertShape(gguf, "blk.3.attn_output.weight", DIM, DIM);
            assertShape(gguf, "blk.3.ffn_gate.weight", HIDDEN, DIM);
            assertShape(gguf, "blk.3.ffn_up.weight", HIDDEN, DIM);
            assertShape(gguf, "blk.3.ffn_down.weight", DIM, HIDDEN);
            assertShape(gguf, "blk.3.ffn_norm.weight", DIM);
            assertEquals(List.of(64L, 512L), gguf.tensor("token_embd.weight").dimensions());
            for (GgufTensorInfo tensor : gguf.tensors()) {
                assertEquals(GgmlType.F32, tensor.type(), tensor.name());
                assertEquals(tensor.elementCount() * 4, gguf.tensorData(tensor.name()).byteSize(), tensor.name());
            }
            assertTrue(gguf.hasTensor("output.weight"));
            assertFalse(gguf.hasTensor("blk.5.attn_q.weight"));
        }
    }

    @Test
    void stories260kWeightsEqualTheLlama2cCheckpoint() throws IOException {
        Path bin = SharedFiles.require("models/stories260K/stories260K.bin");
        ByteBuffer checkpoint = ByteBuffer.wrap(Files.readAllBytes(bin)).order(ByteOrder.LITTLE_ENDIAN);
        int[] header = new int[7];
        for (int i = 0; i < 7; i++) {
            header[i] = checkpoint.getInt();
        }
        assertArrayEquals(new int[] {DIM, HIDDEN, LAYERS, 8, 4, VOCAB}, Arrays.copyOf(header, 6));
        float[] embedding = floats(checkpoint, VOCAB * DIM);
        float[] rmsAttention = floats(checkpoint, LAYERS * DIM);
        floats(checkpoint, LAYERS * DIM * DIM + 2 * LAYERS * KV_DIM * DIM + LAYERS * DIM * DIM);
        float[] rmsFfn = floats(checkpoint, LAYERS * DIM);
        float[] w1 = floats(checkpoint, LAYERS * HIDDEN * DIM);
        float[] w2 = floats(checkpoint, LAYERS * DIM * HIDDEN);
        float[] w3 = floats(checkpoint, LAYERS * HIDDEN * DIM);
        float[] rmsFinal = floats(checkpoint, DIM);

        try (GgufFile gguf = GgufFile.open(SharedFiles.require("models/stories260K/stories260K.gguf"))) {
            assertArrayEquals(embedding, gguf.readFloats("token_embd.weight"));
            assertArrayEquals(rmsFinal, gguf.readFloats("output_norm.weight"));
            int last = LAYERS - 1;
            assertArrayEquals(slice(rmsAttention, last, DIM), gguf.readFloats("blk.4.attn_norm.weight"));
            assertArrayEquals(slice(rmsFfn, 1, DIM), gguf.readFloats("blk.1.ffn_norm.weight"));
            assertArrayEquals(slice(w1, 2, HIDDEN * DIM), gguf.readFloats("blk.2.ffn_gate.weight"));
            assertArrayEquals(slice(w2, 2, DIM * HIDDEN), gguf.readFloats("blk.2.ffn_down.weight"));
            assertArrayEquals(slice(w3, 0, HIDDEN * DIM), gguf.readFloats("blk.0.ffn_up.weight"));
        }
    }

    @Test
    void llamaSpmVocabularyFileHasMetadataAndNoTensors() throws IOException {
        try (GgufFile gguf = GgufFile.open(SharedFiles.require("tokenizers/llama-spm/ggml-vocab-llama-spm.gguf"))) {
            GgufMetadata meta = gguf.metadata();
            assertEquals(22, meta.keys().size());
            assertEquals("general.architecture", meta.keys().iterator().next());
            assertTrue(gguf.tensors().isEmpty());
            assertEquals("llama-spm", meta.getString("general.name"));
            assertEquals("llama", meta.getString("tokenizer.ggml.model"));
            assertEquals("default", meta.getString("tokenizer.ggml.pre"));
            assertEquals(32000, meta.getInt("llama.vocab_size"));
            assertEquals(4096, meta.getInt("llama.embedding_length"));
            assertEquals(1, meta.getInt("tokenizer.ggml.bos_token_id"));
            assertEquals(2, meta.getInt("tokenizer.ggml.eos_token_id"));
            assertTrue(meta.getBoolean("tokenizer.ggml.add_bos_token"));
            assertFalse(meta.getBoolean("tokenizer.ggml.add_eos_token"));
            String[] tokens = meta.getStringArray("tokenizer.ggml.tokens");
            float[] scores = meta.getFloatArray("tokenizer.ggml.scores");
            int[] types = meta.getIntArray("tokenizer.ggml.token_type");
            assertEquals(32000, tokens.length);
            assertEquals(32000, scores.length);
            assertEquals(GgufValueType.INT32, meta.arrayElementType("tokenizer.ggml.token_type"));
            assertEquals("<0x0A>", tokens[13]);
            assertEquals(6, types[13]);
            assertEquals("▁t", tokens[260]);
            assertEquals(-1f, scores[260]);
            assertEquals(1, types[260]);
        }
    }

    private static void assertShape(GgufFile gguf, String name, long... rowMajor) {
        assertArrayEquals(rowMajor, gguf.tensor(name).rowMajorShape(), name);
    }

    private static float[] floats(ByteBuffer buffer, int count) {
        float[] values = new float[count];
        buffer.asFloatBuffer().get(values);
        buffer.position(buffer.position() + 4 * count);
        return values;
    }

    private static float[] slice(float[] stacked, int layer, int size) {
        return Arrays.copyOfRange(stacked, layer * size, (layer + 1) * size);
    }
}
