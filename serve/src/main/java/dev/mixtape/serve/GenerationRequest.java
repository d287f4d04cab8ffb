package dev.mixtape.serve;

import dev.mixtape.models.generate.SamplingSettings;

import java.time.Duration;
import java.util.List;

/**
 * One generation for the {@link BatchEngine}.
 *
 * @param model     the served name of the base model or of an adapter
 * @param promptIds the prompt's token ids (BOS included where the model wants it); not empty
 * @param maxTokens most tokens to generate; the model's context may end it sooner
 * @param sampling  greedy or seeded sampling
 * @param stop      texts that end the generation where they appear (not included in the output)
 * @param timeout   how long it may take from submission; null for no limit
 */
public record GenerationRequest(String model, int[] promptIds, int maxTokens, SamplingSettings sampling, List<String> stop,
                                Duration timeout) {
    public GenerationRequest {
        if (promptIds.length == 0) {
            throw new IllegalArgumentException("the prompt has no tokens");
        }
        if (maxTokens < 0) {
            throw new IllegalArgumentException("max tokens must be >= 0, got " + maxTokens);
        }
        promptIds = promptIds.clone();
        stop = List.copyOf(stop);
        for (String text : stop) {
            if (text.isEmpty()) {
                throw new IllegalArgumentException("a stop sequence may not be empty");
            }
        }
    }
}
