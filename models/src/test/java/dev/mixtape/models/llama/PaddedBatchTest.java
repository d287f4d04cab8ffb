package dev.mixtape.models.llama;

import dev.mixtape.engine.F;
import dev.mixtape.engine.Grad;
import dev.mixtape.engine.SharedFiles;
import dev.mixtape.engine.vector.VectorBackend;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.mixtape.engine.Tensor;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

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
    static void loadTheModel() throws IOException {
        llama = load(2);
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

    /** One thread and two: the same logits, and the same loss gradient for every weight, bit for bit. */
    @Test
    void oneThreadAndTwoGiveTheSameBits() throws IOException {
        Llama single = load(1);
        Llama pair = load(2);
        try (var noGrad = Grad.off()) {
            assertArrayEquals(pair.forward(batch(0), 2, SEQ).toFloatArray(), single.forward(batch(0), 2, SEQ).toFloatArray());
        }
        int[] targets = new int[2 * SEQ];
        for (int i = 0; i < targets.length; i++) {
            targets[i] = i % SEQ == SEQ - 1 ? -100 : batch(0)[i + 1];
        }
        List<Map.Entry<String, Tensor>> two = trainable(pair);
        List<Map.Entry<String, Tensor>> one = trainable(single);
        pair.loss(batch(0), targets, 2, SEQ, -100).backward();
        single.loss(batch(0), targets, 2, SEQ, -100).backward();
        for (int i = 0; i < two.size(); i++) {
            assertArrayEquals(two.get(i).getValue().grad().toFloatArray(), one.get(i).getValue().grad().toFloatArray(),
                    "gradient of " + two.get(i).getKey());
        }
    }

    private static Llama load(int threads) throws IOException {
        try (Checkpoint checkpoint = Checkpoints.open(SharedFiles.require("models/stories260K/hf"))) {
            return Llama.load(checkpoint, new VectorBackend(threads));
        }
    }

    /** The model's parameters, each made to require a gradient. */
    private static List<Map.Entry<String, Tensor>> trainable(Llama model) {
        List<Map.Entry<String, Tensor>> parameters = new ArrayList<>(model.namedParameters().entrySet());
        parameters.forEach(entry -> entry.getValue().requiresGrad(true));
        return parameters;
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
