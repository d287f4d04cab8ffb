package dev.mixtape.models.llama;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Grad;
import dev.mixtape.engine.SharedFiles;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.io.SafetensorsFile;
import dev.mixtape.engine.vector.VectorBackend;
import dev.mixtape.models.generate.Sampler;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The real stories260K against the references in shared/: logits and loss of a PyTorch implementation. */
class ReferenceOutputsTest {
    private final Backend backend = new VectorBackend(2);

    @Test
    void hfLogitsAndLossMatchPyTorch() throws IOException {
        Path reference = SharedFiles.require("models/stories260K/reference/forward-32.safetensors");
        Path folder = SharedFiles.require("models/stories260K/hf");
        int[] ids;
        float[] expectedLogits;
        float expectedLoss;
        try (SafetensorsFile ref = SafetensorsFile.open(reference)) {
            ids = ref.readInts("ids");
            expectedLogits = ref.readFloats("logits");
            expectedLoss = ref.readFloats("loss")[0];
        }
        try (HfCheckpoint checkpoint = HfCheckpoint.open(folder)) {
            Llama llama = Llama.load(checkpoint, backend);
            Tensor logits;
            Tensor loss;
            try (var scope = Grad.off()) {
                logits = llama.forward(ids, 1, ids.length);
                int[] targets = new int[ids.length];
                for (int i = 0; i < ids.length; i++) {
                    targets[i] = i + 1 < ids.length ? ids[i + 1] : -100;
                }
                loss = llama.loss(ids, targets, 1, ids.length, -100);
            }
            float[] actual = logits.toFloatArray();
            float worst = 0;
            for (int i = 0; i < actual.length; i++) {
                worst = Math.max(worst, Math.abs(actual[i] - expectedLogits[i]));
            }
            assertTrue(worst <= 1e-4, "largest logit difference " + worst);
            assertEquals(expectedLoss, loss.item(), 1e-4);
        }
    }

    @Test
    void allThreeFormatsGiveTheSameLogits() throws IOException {
        Path bin = SharedFiles.require("models/stories260K/stories260K.bin");
        Path folder = SharedFiles.require("models/stories260K/hf");
        int[] prompt = {1, 403, 407, 261, 378};
        Path gguf = SharedFiles.require("models/stories260K/stories260K.gguf");
        float[] fromHf = lastLogits(folder, prompt);
        for (Path other : new Path[] {bin, gguf}) {
            float[] logits = lastLogits(other, prompt);
            assertArrayEquals(fromHf, logits, 1e-5f, other.toString());
            assertEquals(Sampler.argmax(fromHf), Sampler.argmax(logits));
        }
    }

    private float[] lastLogits(Path model, int[] prompt) throws IOException {
        try (Checkpoint checkpoint = Checkpoints.open(model)) {
            return Llama.load(checkpoint, backend).newSession(16).forward(prompt);
        }
    }

    @Test
    void incrementalDecodingMatchesTheFullForward() throws IOException {
        Path bin = SharedFiles.require("models/stories260K/stories260K.bin");
        try (Llama2cCheckpoint checkpoint = Llama2cCheckpoint.open(bin)) {
            Llama llama = Llama.load(checkpoint, backend);
            int[] ids = {1, 403, 407, 261, 378, 432, 383};
            float[] full;
            try (var scope = Grad.off()) {
                float[] all = llama.forward(ids, 1, ids.length).toFloatArray();
                full = Arrays.copyOfRange(all, all.length - 512, all.length);
            }
            Llama.Session session = llama.newSession(16);
            session.forward(Arrays.copyOf(ids, 3));
            session.forward(ids[3]);
            float[] stepwise = session.forward(Arrays.copyOfRange(ids, 4, ids.length));
            assertArrayEquals(full, stepwise, 1e-4f);
            assertEquals(ids.length, session.position());
        }
    }
}
