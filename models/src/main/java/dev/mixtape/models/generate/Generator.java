package dev.mixtape.models.generate;

import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.StreamingDecoder;
import dev.mixtape.models.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Text generation: the prompt goes through the model in one batched pass, then tokens are sampled
 * one at a time over a KV cache until the end-of-sequence (or beginning-of-sequence) token or the
 * token budget. Text is streamed to a callback as it is decoded.
 */
public final class Generator {
    private Generator() {
    }

    /**
     * Continues {@code prompt} (tokenised with BOS) by at most {@code maxNewTokens} tokens.
     *
     * @param onText receives each piece of decoded text as soon as it is complete (may be a no-op)
     */
    public static Generation generate(Llama model, Tokenizer tokenizer, String prompt, int maxNewTokens,
                                      SamplingSettings sampling, Consumer<String> onText) {
        int[] promptIds = tokenizer.encode(prompt, true);
        if (promptIds.length == 0) {
            promptIds = new int[] {tokenizer.bosId().orElse(model.config().bosId())};
        }
        int capacity = Math.min(model.config().maxPositions(), promptIds.length + maxNewTokens);
        if (promptIds.length >= capacity && maxNewTokens > 0) {
            throw new IllegalArgumentException("the prompt's " + promptIds.length + " tokens leave no room in the model's "
                    + model.config().maxPositions() + " positions");
        }
        int eos = tokenizer.eosId().orElse(model.config().eosId());
        int bos = tokenizer.bosId().orElse(model.config().bosId());
        Sampler sampler = new Sampler(sampling);
        StreamingDecoder decoder = tokenizer.newStreamingDecoder();
        for (int id : promptIds) {
            decoder.next(id);
        }

        Llama.Session session = model.newSession(capacity);
        long start = System.nanoTime();
        float[] logits = session.forward(promptIds);
        long promptDone = System.nanoTime();

        int[] generated = new int[maxNewTokens];
        int count = 0;
        StringBuilder text = new StringBuilder();
        while (count < maxNewTokens) {
            int next = sampler.next(logits);
            if (next == eos || next == bos) {
                break;
            }
            generated[count++] = next;
            String piece = decoder.next(next);
            text.append(piece);
            onText.accept(piece);
            if (count == maxNewTokens || session.position() == capacity) {
                break;
            }
            logits = session.forward(next);
        }
        String tail = decoder.finish();
        text.append(tail);
        onText.accept(tail);
        long end = System.nanoTime();
        return new Generation(promptIds.length, Arrays.copyOf(generated, count), text.toString(), promptDone - start, end - promptDone);
    }
}
