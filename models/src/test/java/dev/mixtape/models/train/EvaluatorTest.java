package dev.mixtape.models.train;

import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Evaluation loss is the token-weighted mean over sequences, whatever the batch size; initial weights give a uniform guess. */
class EvaluatorTest {
    private static final Tokenizer TOKENIZER = CharacterTokenizer.create();
    private static final SpecialIds SPECIAL = new SpecialIds(0, 1);

    @Test
    void lossIsTheTokenWeightedMeanOverSequencesForAnyBatchSize() {
        Dataset data = Dataset.of("pairs", List.of(
                new DataRecord.PromptCompletion("x", "a", "e:1"),
                new DataRecord.PromptCompletion("xy", "abcdef", "e:2"),
                new DataRecord.PromptCompletion("xyz", "abc", "e:3")), TOKENIZER, SPECIAL, 32);
        Llama model = TinyModels.random(8);
        double sum = 0;
        for (TrainingSequence sequence : data.sequences()) {
            sum += model.loss(sequence.ids(), sequence.targets(), 1, sequence.length(), TrainingSequence.IGNORE).item() * sequence.predictedTokens();
        }
        double expected = sum / data.predictedTokens();
        for (int batchSize : new int[] {1, 2, 3}) {
            Evaluation evaluation = Evaluator.evaluate(model, TOKENIZER, data, SPECIAL, batchSize);
            assertEquals(expected, evaluation.loss(), 1e-6, "batch size " + batchSize);
            assertEquals(data.predictedTokens(), evaluation.tokens());
            assertEquals(Math.exp(evaluation.loss()), evaluation.perplexity(), 1e-12);
            assertTrue(evaluation.accuracy().isPresent());
        }
    }

    @Test
    void smallInitialWeightsPredictAboutUniformly() {
        Dataset text = Dataset.of("text", List.of(new DataRecord.Text("A small test sentence for the loss.", "t")), TOKENIZER, SPECIAL, 64);
        Evaluation evaluation = Evaluator.evaluate(TinyModels.random(9), TOKENIZER, text, SPECIAL, 4);
        assertEquals(Math.log(CharacterTokenizer.VOCAB_SIZE), evaluation.loss(), 0.05);
        assertTrue(evaluation.accuracy().isEmpty());
    }
}
