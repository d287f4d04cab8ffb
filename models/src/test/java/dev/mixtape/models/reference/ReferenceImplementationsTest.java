package dev.mixtape.models.reference;

import dev.mixtape.adapters.Adapter;
import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.engine.Grad;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.io.SafetensorsFile;
import dev.mixtape.engine.optim.AdamW;
import dev.mixtape.engine.vector.VectorBackend;
import dev.mixtape.models.gguf.GgufFile;
import dev.mixtape.models.llama.Llama;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mixtape against the real implementations, on the files that {@code make_reference.py} (beside them in
 * this package's test resources) wrote with PyTorch 2.13, transformers 5.18, PEFT 0.21 and gguf: a tiny
 * random Llama saved by transformers (untied head, grouped-query attention, llama3 RoPE scaling with
 * all three bands in use), a LoRA adapter saved by PEFT's {@code save_pretrained}, a MoSLoRA adapter,
 * a batch of 2 × 16 tokens, and the logits, losses and autograd gradients PyTorch computed from them.
 * Both sides compute in f32, so the tolerances are f32 round-off with tenfold headroom: 1e-5 on logits of
 * order 1, 2e-5 of its largest entry for a gradient tensor, 2e-5 on a loss (when written the largest
 * differences were 1.3e-6, 1.6e-6 of the largest entry, and 1.2e-6). A wrong RoPE band, head, LoRA
 * scaling, mixer transpose or backward rule is off by 1e-2 to 1 and more.
 */
class ReferenceImplementationsTest {
    private static final int BATCH = 2;
    private static final int SEQ = 16;
    private static final double LOGIT_TOLERANCE = 1e-5;
    private static final double GRADIENT_TOLERANCE = 2e-5;
    private static final double LOSS_TOLERANCE = 2e-5;

    private static Path folder;
    private static SafetensorsFile expected;
    private static int[] ids;
    private static int[] targets;

    @BeforeAll
    static void readTheExpectedValues() throws IOException, URISyntaxException {
        folder = Path.of(ReferenceImplementationsTest.class.getResource("make_reference.py").toURI()).getParent();
        expected = SafetensorsFile.open(folder.resolve("expected.safetensors"));
        ids = ints(expected.readFloats("ids"));
        targets = ints(expected.readFloats("targets"));
    }

    @AfterAll
    static void close() {
        expected.close();
    }

    private static int[] ints(float[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (int) values[i];
        }
        return out;
    }

    private static Llama model() throws IOException {
        return Llama.load(folder.resolve("model"), new VectorBackend(1));
    }

    /** The untied head and llama3 RoPE scaling: transformers' logits for the base model. */
    @Test
    void baseLogitsMatchTransformers() throws IOException {
        assertLogits("base_logits", model());
    }

    /** An adapter folder written by PEFT's own save_pretrained loads and computes PEFT's logits. */
    @Test
    void aPeftSavedAdapterGivesPeftsLogits() throws IOException {
        Llama llama = model();
        PeftFiles.load(folder.resolve("lora"), llama, "peft");
        assertLogits("lora_logits", llama);
    }

    /** The loss and its gradients with respect to every LoRA A and B, against PyTorch autograd through PEFT. */
    @Test
    void loraGradientsMatchAutograd() throws IOException {
        Llama llama = model();
        Adapter adapter = PeftFiles.load(folder.resolve("lora"), llama, "peft");
        assertGradients("lora", llama, adapter, 2 * 7 * 2);
    }

    /** The same for MoSLoRA's A, mixer and B, against autograd through the spec's formula in PyTorch. */
    @Test
    void mosloraGradientsMatchAutograd() throws IOException {
        Llama llama = model();
        Adapter adapter = PeftFiles.load(folder.resolve("moslora"), llama, "moslora");
        assertLogits("moslora_logits", llama);
        assertGradients("moslora", llama, adapter, 2 * 7 * 3);
    }

    /**
     * Three AdamW steps on the LoRA factors (lr 1e-2, betas 0.9/0.999, eps 1e-8, weight decay 0.01),
     * one batch: the loss before each step and after the last, against torch.optim.AdamW's. A step
     * that skips the first moment's bias correction moves the second loss by 0.25.
     */
    @Test
    void adamwStepsFollowPytorchsLosses() throws IOException {
        Llama llama = model();
        Adapter adapter = PeftFiles.load(folder.resolve("lora"), llama, "peft");
        float[] reference = expected.readFloats("adamw_losses");
        AdamW optimizer = new AdamW(adapter.parameters(), 1e-2, 0.9, 0.999, 1e-8, 0.01);
        for (int step = 0; step < reference.length - 1; step++) {
            optimizer.zeroGrad();
            Tensor loss = llama.loss(ids, targets, BATCH, SEQ, -100);
            assertEquals(reference[step], loss.item(), LOSS_TOLERANCE, "loss before step " + (step + 1));
            loss.backward();
            optimizer.step();
        }
        try (var scope = Grad.off()) {
            assertEquals(reference[reference.length - 1], llama.loss(ids, targets, BATCH, SEQ, -100).item(), LOSS_TOLERANCE, "loss after the last step");
        }
    }

    /** Q8_0 and Q4_0 tensors made by gguf's own quantisers (one block all zeros) dequantise to gguf's values exactly. */
    @Test
    void quantizedTensorsDequantizeAsGgufDoes() throws IOException {
        try (GgufFile gguf = GgufFile.open(folder.resolve("quantized.gguf"))) {
            for (String name : new String[] {"q8_0", "q4_0"}) {
                assertArrayEquals(expected.readFloats("dequantized." + name), gguf.readFloats(name), name);
            }
        }
    }

    private static void assertLogits(String name, Llama llama) {
        float[] reference = expected.readFloats(name);
        float[] actual;
        try (var scope = Grad.off()) {
            actual = llama.forward(ids, BATCH, SEQ).toFloatArray();
        }
        assertEquals(reference.length, actual.length);
        double largest = 0;
        for (int i = 0; i < reference.length; i++) {
            largest = Math.max(largest, Math.abs(actual[i] - reference[i]));
        }
        assertTrue(largest <= LOGIT_TOLERANCE, name + ": largest difference " + largest);
    }

    private static void assertGradients(String prefix, Llama llama, Adapter adapter, int tensors) {
        Tensor loss = llama.loss(ids, targets, BATCH, SEQ, -100);
        assertEquals(expected.readFloats(prefix + "_loss")[0], loss.item(), LOSS_TOLERANCE, "loss");
        loss.backward();
        Map<String, Tensor> parameters = adapter.namedParameters();
        assertEquals(tensors, parameters.size(), parameters.keySet().toString());
        String suffix = "." + adapter.name() + ".weight";
        parameters.forEach((name, parameter) -> {
            String peftName = "base_model.model." + name.substring(0, name.length() - suffix.length()) + ".weight";
            float[] reference = expected.readFloats(prefix + "_grad." + peftName);
            assertNotNull(parameter.grad(), name);
            float[] actual = parameter.grad().toFloatArray();
            double scale = 0;
            double largest = 0;
            for (int i = 0; i < reference.length; i++) {
                scale = Math.max(scale, Math.abs(reference[i]));
                largest = Math.max(largest, Math.abs(actual[i] - reference[i]));
            }
            assertTrue(scale > 1e-3, peftName + ": a gradient large enough to check, " + scale);
            assertTrue(largest <= GRADIENT_TOLERANCE * scale, peftName + ": largest difference " + largest + " of " + scale);
        });
    }
}
