package dev.mixtape.models.llama;

import dev.mixtape.engine.F;
import dev.mixtape.engine.Grad;
import dev.mixtape.engine.SharedFiles;
import dev.mixtape.engine.vector.VectorBackend;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Batches of different lengths padded on the right: the causal mask keeps every real position from
 * seeing padding, and the ignore index keeps padding out of the loss, so each sequence gets exactly
 * the logits and loss it would get alone.
 */
class PaddedBatchTest {

    @Test
    void rightPaddedRowsMatchTheirUnpaddedForward() throws IOException {
        try (Checkpoint checkpoint = Checkpoints.open(SharedFiles.require("models/stories260K/hf"))) {
            Llama llama = Llama.load(checkpoint, new VectorBackend(2));
            int[] longer = {1, 403, 407, 261, 378, 432, 383};
            int[] shorter = {1, 376, 298, 315};
            int seq = longer.length;
            int[] batch = new int[2 * seq];
            System.arraycopy(longer, 0, batch, 0, seq);
            System.arraycopy(shorter, 0, batch, seq, shorter.length);
            int[] targets = new int[2 * seq];
            Arrays.fill(targets, -100);
            for (int t = 0; t + 1 < seq; t++) {
                targets[t] = longer[t + 1];
            }
            for (int t = 0; t + 1 < shorter.length; t++) {
                targets[seq + t] = shorter[t + 1];
            }
            try (var scope = Grad.off()) {
                float[] padded = llama.forward(batch, 2, seq).toFloatArray();
                float[] alone = llama.forward(shorter, 1, shorter.length).toFloatArray();
                int vocab = llama.config().vocabSize();
                assertArrayEquals(alone, Arrays.copyOfRange(padded, seq * vocab, (seq + shorter.length) * vocab), 1e-5f);

                double lossLong = F.crossEntropy(llama.forward(longer, 1, seq), Arrays.copyOf(targets, seq), -100).item();
                double lossShort = F.crossEntropy(llama.forward(shorter, 1, shorter.length),
                        Arrays.copyOfRange(targets, seq, seq + shorter.length), -100).item();
                double batched = llama.loss(batch, targets, 2, seq, -100).item();
                assertEquals((lossLong * (seq - 1) + lossShort * (shorter.length - 1)) / (seq - 1 + shorter.length - 1), batched, 1e-5);
            }
        }
    }
}
