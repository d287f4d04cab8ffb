package dev.mixtape.models.train;

import dev.mixtape.engine.Grad;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;

import java.util.List;
import java.util.OptionalDouble;

/**
 * Measures a model on a {@link Dataset} without recording anything on the tape: the mean next-token
 * cross-entropy over every predicted token (batches weighted by their token counts, so the result
 * does not depend on the batch size), and for prompt/completion data the exact-match accuracy: the
 * share of prompts whose greedy completion (see {@link GreedyCompletion}) ends with a stop token and
 * is exactly the reference text.
 */
public final class Evaluator {
    /** Tokens a completion may run beyond the reference's length before it is cut (and counted wrong). */
    private static final int SLACK_TOKENS = 4;

    private Evaluator() {
    }

    /** Loss, token count and (for prompt/completion data) accuracy of {@code model} on {@code data}. */
    public static Evaluation evaluate(Llama model, Tokenizer tokenizer, Dataset data, SpecialIds special, int batchSize) {
        try (var scope = Grad.off()) {
            double lossSum = 0;
            long tokens = 0;
            List<TrainingSequence> sequences = data.sequences();
            for (int from = 0; from < sequences.size(); from += batchSize) {
                Batch batch = Batch.of(sequences.subList(from, Math.min(from + batchSize, sequences.size())), special.eos());
                if (batch.predictedTokens() == 0) {
                    continue;
                }
                double loss = model.loss(batch.ids(), batch.targets(), batch.size(), batch.length(), TrainingSequence.IGNORE).item();
                lossSum += loss * batch.predictedTokens();
                tokens += batch.predictedTokens();
            }
            OptionalDouble accuracy = data.isPromptCompletion() ? OptionalDouble.of(accuracy(model, tokenizer, data, special)) : OptionalDouble.empty();
            return new Evaluation(lossSum / tokens, tokens, accuracy);
        }
    }

    private static double accuracy(Llama model, Tokenizer tokenizer, Dataset data, SpecialIds special) {
        int correct = 0;
        for (PromptExample example : data.promptExamples()) {
            GreedyCompletion.Completion completion = GreedyCompletion.complete(model, tokenizer, example.promptIds(),
                    example.completionTokens() + SLACK_TOKENS, special);
            if (completion.stopped() && completion.text().equals(example.completion())) {
                correct++;
            }
        }
        return (double) correct / data.promptExamples().size();
    }
}
