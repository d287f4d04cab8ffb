package dev.mixtape.testdata;

import dev.mixtape.engine.vector.VectorBackend;
import dev.mixtape.models.generate.Generation;
import dev.mixtape.models.generate.Generator;
import dev.mixtape.models.generate.SamplingSettings;
import dev.mixtape.models.llama.Checkpoint;
import dev.mixtape.models.llama.Checkpoints;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.tokenizer.Tokenizers;
import dev.mixtape.models.train.Dataset;
import dev.mixtape.models.train.Evaluation;
import dev.mixtape.models.train.Evaluator;
import dev.mixtape.models.train.InitialWeights;
import dev.mixtape.models.train.SpecialIds;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The committed tiny Llama (made by {@code ./mixtape pretrain}, see the README) loads through the
 * ordinary Hugging Face path, writes English-like text, models the held-out corpus far better than
 * its initialisation, and cannot yet do the fine-tuning tasks.
 */
class TinyLlamaTest {
    private static final Path MODEL = MakeTestdataTest.COMMITTED.resolve("tiny-llama");
    private static Llama model;
    private static Tokenizer tokenizer;
    private static SpecialIds special;

    @BeforeAll
    static void load() throws IOException {
        try (Checkpoint checkpoint = Checkpoints.open(MODEL)) {
            model = Llama.load(checkpoint, new VectorBackend(2));
        }
        tokenizer = Tokenizers.load(MODEL);
        special = SpecialIds.of(tokenizer, model.config());
    }

    @Test
    void itsShapeMatchesTheTokenizerAndTheTaskLength() {
        assertEquals(tokenizer.vocabSize(), model.config().vocabSize());
        assertEquals(64, model.config().maxPositions());
        assertEquals(new SpecialIds(0, 1), special);
    }

    @Test
    void itContinuesAPromptWithWordsAndStopsAtTheEndOfADocument() {
        Generation generation = Generator.generate(model, tokenizer, "Tom", 40, SamplingSettings.greedy(), piece -> { });
        assertTrue(generation.generatedIds().length < 40, "stopped before the budget: " + generation.text());
        assertTrue(generation.text().matches(" [A-Za-z ,.?]+"), generation.text());
    }

    @Test
    void itsCorpusLossIsFarBelowThatOfItsInitialisation() throws IOException {
        Dataset corpus = Dataset.load(MakeTestdataTest.COMMITTED.resolve("corpus/eval.jsonl"), tokenizer, special, 64);
        Llama initial = Llama.random(model.config(), new VectorBackend(2), 1);
        InitialWeights.normal(initial, 0.02, 1);
        Evaluation trained = Evaluator.evaluate(model, tokenizer, corpus, special, 16);
        Evaluation untrained = Evaluator.evaluate(initial, tokenizer, corpus, special, 16);
        assertTrue(trained.loss() < 0.25 * untrained.loss(), trained.loss() + " vs " + untrained.loss() + " at initialisation");
    }

    @Test
    void itCannotYetDoTheFineTuningTasks() throws IOException {
        for (String task : List.of("reverse", "add", "facts")) {
            Dataset eval = Dataset.load(MakeTestdataTest.COMMITTED.resolve("tasks/" + task + "/eval.jsonl"), tokenizer, special, 64);
            double accuracy = Evaluator.evaluate(model, tokenizer, eval, special, 16).accuracy().orElseThrow();
            assertTrue(accuracy < 0.05, task + " accuracy before fine-tuning: " + accuracy);
        }
    }
}
