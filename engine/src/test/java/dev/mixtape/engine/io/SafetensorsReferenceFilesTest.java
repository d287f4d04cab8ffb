package dev.mixtape.engine.io;

import dev.mixtape.engine.Backends;
import dev.mixtape.engine.SharedFiles;
import dev.mixtape.engine.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reads the real files in shared/: the stories260K model converted to HF, and a PyTorch forward pass. */
class SafetensorsReferenceFilesTest {
    private static final int VOCAB = 512;
    private static final int HIDDEN = 64;
    private static final int LAYERS = 5;
    private static final int HEAD_DIM = 8;
    private static final int HEADS = 8;
    private static final int KV_HEADS = 4;
    private static final int INTERMEDIATE = 172;

    @Test
    void stories260kHasTheLlamaTensorsOfItsConfigInFileOrder() throws IOException {
        Path file = SharedFiles.require("models/stories260K/hf/model.safetensors");

        try (SafetensorsFile model = SafetensorsFile.open(file)) {
            List<String> expectedNames = new ArrayList<>();
            expectedNames.add("model.embed_tokens.weight");
            assertShape(model, "model.embed_tokens.weight", VOCAB, HIDDEN);
            for (int i = 0; i < LAYERS; i++) {
                String layer = "model.layers." + i + ".";
                List<String> names = List.of("self_attn.q_proj.weight", "self_attn.k_proj.weight",
                        "self_attn.v_proj.weight", "self_attn.o_proj.weight", "mlp.gate_proj.weight",
                        "mlp.down_proj.weight", "mlp.up_proj.weight", "input_layernorm.weight",
                        "post_attention_layernorm.weight");
                names.forEach(name -> expectedNames.add(layer + name));
                assertShape(model, layer + "self_attn.q_proj.weight", HEADS * HEAD_DIM, HIDDEN);
                assertShape(model, layer + "self_attn.k_proj.weight", KV_HEADS * HEAD_DIM, HIDDEN);
                assertShape(model, layer + "self_attn.v_proj.weight", KV_HEADS * HEAD_DIM, HIDDEN);
                assertShape(model, layer + "self_attn.o_proj.weight", HIDDEN, HEADS * HEAD_DIM);
                assertShape(model, layer + "mlp.gate_proj.weight", INTERMEDIATE, HIDDEN);
                assertShape(model, layer + "mlp.up_proj.weight", INTERMEDIATE, HIDDEN);
                assertShape(model, layer + "mlp.down_proj.weight", HIDDEN, INTERMEDIATE);
                assertShape(model, layer + "input_layernorm.weight", HIDDEN);
                assertShape(model, layer + "post_attention_layernorm.weight", HIDDEN);
            }
            expectedNames.add("model.norm.weight");
            assertShape(model, "model.norm.weight", HIDDEN);

            assertEquals(expectedNames, model.names());
            assertFalse(model.contains("lm_head.weight"), "tied embeddings: no lm_head");
            assertTrue(model.tensors().stream().allMatch(t -> t.dtype() == SafetensorsDtype.F32));
            assertEquals(Map.of("format", "pt"), model.metadata());
        }
    }

    /** The HF conversion leaves the embedding and the norms untouched, so they equal llama2.c's arrays. */
    @Test
    void stories260kValuesEqualTheLlama2cCheckpointOfTheSameModel() throws IOException {
        Path file = SharedFiles.require("models/stories260K/hf/model.safetensors");
        ByteBuffer llama2c = ByteBuffer.wrap(Files.readAllBytes(SharedFiles.require("models/stories260K/stories260K.bin")))
                .order(ByteOrder.LITTLE_ENDIAN);
        int headerBytes = 7 * 4;
        float[] embedding = floatsAt(llama2c, headerBytes, VOCAB * HIDDEN);
        float[] firstAttentionNorm = floatsAt(llama2c, headerBytes + VOCAB * HIDDEN * 4, HIDDEN);

        try (SafetensorsFile model = SafetensorsFile.open(file)) {
            assertArrayEquals(embedding, model.readFloats("model.embed_tokens.weight"));
            assertArrayEquals(firstAttentionNorm, model.readFloats("model.layers.0.input_layernorm.weight"));

            Tensor tensor = model.read("model.embed_tokens.weight", Backends.defaultBackend());
            assertArrayEquals(new int[]{VOCAB, HIDDEN}, tensor.shape());
            assertArrayEquals(embedding, tensor.toFloatArray());

            MemorySegment raw = model.segment("model.embed_tokens.weight");
            assertEquals((long) VOCAB * HIDDEN * 4, raw.byteSize());
            float last = raw.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN),
                    VOCAB * HIDDEN - 1);
            assertEquals(embedding[VOCAB * HIDDEN - 1], last);
        }
    }

    @Test
    void forward32HoldsIdsLogitsAndTheirMeanNextTokenCrossEntropy() throws IOException {
        Path file = SharedFiles.require("models/stories260K/reference/forward-32.safetensors");

        try (SafetensorsFile reference = SafetensorsFile.open(file)) {
            assertEquals(List.of("ids", "logits", "loss"), reference.names());
            assertEquals(new TensorInfo("ids", SafetensorsDtype.I32, new int[]{32}, 0, 128), reference.info("ids"));
            assertEquals(SafetensorsDtype.F32, reference.info("logits").dtype());
            assertArrayEquals(new int[]{32, VOCAB}, reference.info("logits").shape());
            assertArrayEquals(new int[]{1}, reference.info("loss").shape());

            int[] ids = reference.readInts("ids");
            float[] logits = reference.readFloats("logits");
            float loss = reference.readFloats("loss")[0];

            assertEquals(1, ids[0], "starts with BOS");
            assertTrue(Arrays.stream(ids).allMatch(id -> id >= 0 && id < VOCAB), Arrays.toString(ids));
            assertArrayEquals(Arrays.stream(ids).asLongStream().toArray(), reference.readLongs("ids"));
            assertEquals(meanNextTokenCrossEntropy(logits, ids), loss, 1e-4);
        }
    }

    @Test
    void readingIntegerIdsAsFloatsIsAnErrorNamingFileTensorAndDtype() throws IOException {
        Path file = SharedFiles.require("models/stories260K/reference/forward-32.safetensors");

        try (SafetensorsFile reference = SafetensorsFile.open(file)) {
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> reference.readFloats("ids"));

            assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("tensor \"ids\""), e.getMessage());
            assertTrue(e.getMessage().contains("I32"), e.getMessage());
        }
    }

    private static double meanNextTokenCrossEntropy(float[] logits, int[] ids) {
        double total = 0;
        for (int t = 0; t + 1 < ids.length; t++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < VOCAB; v++) {
                max = Math.max(max, logits[t * VOCAB + v]);
            }
            double sum = 0;
            for (int v = 0; v < VOCAB; v++) {
                sum += Math.exp(logits[t * VOCAB + v] - max);
            }
            total += max + Math.log(sum) - logits[t * VOCAB + ids[t + 1]];
        }
        return total / (ids.length - 1);
    }

    private static void assertShape(SafetensorsFile file, String name, int... shape) {
        assertArrayEquals(shape, file.info(name).shape(), name);
    }

    private static float[] floatsAt(ByteBuffer buffer, int byteOffset, int count) {
        float[] values = new float[count];
        buffer.slice(byteOffset, count * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        return values;
    }
}
