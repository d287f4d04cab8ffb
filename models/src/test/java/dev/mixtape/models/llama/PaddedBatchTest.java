package dev.mixtape.models.llama;

import dev.mixtape.engine.F;
import dev.mixtape.engine.Grad;
import dev.mixtape.engine.SharedFiles;
import dev.mixtape.engine.vector.VectorBackend;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Batches of different lengths padded on the right: the causal mask keeps every real position from
 * seeing padding, and the ignore index keeps padding out of the loss, so each sequence gets the logits
 * and loss it would get alone.
 *
 * <p>What the engine promises about batches, and so what is asserted here: a row's result does not
 * depend on the other rows of its batch, bit for bit, on every vector width, as long as the products
 * take the same kernel. Products of more than four rows run the blocked GEMM, which sums each output
 * over k in slices of a depth that depends on k alone, so the row count, the thread count and the
 * vector width do not change a float. Products of at most four rows (decoding) take the matrix-vector
 * kernel, which sums each dot product across vector lanes: another order, so a sequence of four tokens
 * alone agrees with the same rows in a larger batch only to rounding (here within 2e-5 relative to the
 * logits' scale, ~20 float ulps after five layers).
 */
class PaddedBatchTest {
    private static final int[] LONGER = {1, 403, 407, 261, 378, 432, 383};
    private static final int[] SHORTER = {1, 376, 298, 315};
    private static final int SEQ = LONGER.length;
    private static Llama llama;

    @BeforeAll
    static void load() throws IOException {
        try (Checkpoint checkpoint = Checkpoints.open(SharedFiles.require("models/stories260K/hf"))) {
            llama = Llama.load(checkpoint, new VectorBackend(2));
        }
    }

    /** The batch of two against each sequence right-padded alone: the same seven rows, the same kernels. */
    @Test
    void aPaddedRowIsBitIdenticalToItselfInABatchOfOne() {
        int vocab = llama.config().vocabSize();
        try (var noGrad = Grad.off()) {
            float[] padded = llama.forward(batch(0), 2, SEQ).toFloatArray();
            float[] longerAlone = llama.forward(LONGER, 1, SEQ).toFloatArray();
            float[] shorterAlone = llama.forward(Arrays.copyOf(SHORTER, SEQ), 1, SEQ).toFloatArray();
            assertArrayEquals(longerAlone, Arrays.copyOfRange(padded, 0, SEQ * vocab));
            assertArrayEquals(Arrays.copyOf(shorterAlone, SHORTER.length * vocab),
                    Arrays.copyOfRange(padded, SEQ * vocab, (SEQ + SHORTER.length) * vocab));
            float[] otherPadding = llama.forward(batch(500), 2, SEQ).toFloatArray();
            assertArrayEquals(Arrays.copyOfRange(padded, SEQ * vocab, (SEQ + SHORTER.length) * vocab),
                    Arrays.copyOfRange(otherPadding, SEQ * vocab, (SEQ + SHORTER.length) * vocab),
                    "the padding tokens' values must not reach the real positions");
        }
    }

    /** The short sequence unpadded is four rows, the decoding kernels: equal to rounding (see the class). */
    @Test
    void rightPaddedRowsMatchTheirUnpaddedForward() {
        int vocab = llama.config().vocabSize();
        try (var noGrad = Grad.off()) {
            float[] padded = llama.forward(batch(0), 2, SEQ).toFloatArray();
            float[] alone = llama.forward(SHORTER, 1, SHORTER.length).toFloatArray();
            float scale = 0;
            for (float logit : alone) {
                scale = Math.max(scale, Math.abs(logit));
            }
            assertArrayEquals(alone, Arrays.copyOfRange(padded, SEQ * vocab, (SEQ + SHORTER.length) * vocab), 2e-5f * scale);
        }
    }

    /** The batch's mean loss over its real targets is the token-weighted mean of each sequence's own loss. */
    @Test
    void theBatchLossWeighsEachSequenceByItsTargets() {
        int[] targets = new int[2 * SEQ];
        Arrays.fill(targets, -100);
        for (int t = 0; t + 1 < SEQ; t++) {
            targets[t] = LONGER[t + 1];
        }
        for (int t = 0; t + 1 < SHORTER.length; t++) {
            targets[SEQ + t] = SHORTER[t + 1];
        }
        try (var noGrad = Grad.off()) {
            double lossLong = F.crossEntropy(llama.forward(LONGER, 1, SEQ), Arrays.copyOf(targets, SEQ), -100).item();
            double lossShort = F.crossEntropy(llama.forward(Arrays.copyOf(SHORTER, SEQ), 1, SEQ),
                    Arrays.copyOfRange(targets, SEQ, 2 * SEQ), -100).item();
            double batched = llama.loss(batch(0), targets, 2, SEQ, -100).item();
            int longTargets = SEQ - 1;
            int shortTargets = SHORTER.length - 1;
            // Same logits bit for bit (above); only the order of the per-token sums differs: float rounding.
            assertEquals((lossLong * longTargets + lossShort * shortTargets) / (longTargets + shortTargets), batched, 1e-6 * batched);
        }
    }

    /** Both sequences, the shorter right-padded with {@code pad}. */
    private static int[] batch(int pad) {
        int[] batch = new int[2 * SEQ];
        Arrays.fill(batch, pad);
        System.arraycopy(LONGER, 0, batch, 0, SEQ);
        System.arraycopy(SHORTER, 0, batch, SEQ, SHORTER.length);
        return batch;
    }
}
