package dev.mixtape.models.train;

import dev.mixtape.models.generate.Sampler;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;

import java.util.Arrays;

/**
 * Continues prompt ids greedily over the KV cache ({@link Llama.Session}, the generation path) until
 * EOS or BOS (the end of a document in packed pretraining data) or a token budget.
 */
final class GreedyCompletion {
    /** The generated text (stop token excluded) and whether a stop token ended it. */
    record Completion(String text, boolean stopped) {
    }

    private GreedyCompletion() {
    }

    static Completion complete(Llama model, Tokenizer tokenizer, int[] promptIds, int maxNewTokens, SpecialIds special) {
        int capacity = Math.min(model.config().maxPositions(), promptIds.length + maxNewTokens);
        if (promptIds.length >= capacity) {
            return new Completion("", false);
        }
        Llama.Session session = model.newSession(capacity);
        float[] logits = session.forward(promptIds);
        int[] generated = new int[maxNewTokens];
        int count = 0;
        while (true) {
            int next = Sampler.argmax(logits);
            if (next == special.eos() || next == special.bos()) {
                return new Completion(tokenizer.decode(Arrays.copyOf(generated, count)), true);
            }
            generated[count++] = next;
            if (count == maxNewTokens || session.position() == capacity) {
                return new Completion(tokenizer.decode(Arrays.copyOf(generated, count)), false);
            }
            logits = session.forward(next);
        }
    }
}
