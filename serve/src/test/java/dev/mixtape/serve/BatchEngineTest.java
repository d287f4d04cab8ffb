package dev.mixtape.serve;

import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.adapters.mole.MoleFiles;
import dev.mixtape.models.generate.Generation;
import dev.mixtape.models.generate.Generator;
import dev.mixtape.models.generate.SamplingSettings;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The batching engine without HTTP: requests for the base, two adapters and a MoLE decoding in one
 * batch each get what a single session gives them alone ({@link Generator} on a model with only
 * that adapter or MoLE); the limits and the ways a request ends.
 */
class BatchEngineTest {
    private static final String[] PROMPTS = {"Leo ran to the market with", "The frog is", "Reverse: map rain door\nAnswer:",
        "Lily drove to the", "The tree is red. The apple"};

    @TempDir
    static Path folders;
    static Path first;
    static Path second;
    static Path mole;

    @BeforeAll
    static void makeAdapters() throws Exception {
        first = TinyServing.adapter(folders.resolve("first"), 1);
        second = TinyServing.adapter(folders.resolve("second"), 2);
        mole = TinyServing.mole(folders.resolve("mole"), 3);
    }

    /** What a single session generates greedily for {@code prompt} with {@code model} as it is. */
    private static String alone(Llama model, String prompt, int tokens) {
        Generation generation = Generator.generate(model, TinyServing.tokenizer(), prompt, tokens, SamplingSettings.greedy(), text -> { });
        return generation.text();
    }

    private static GenerationRequest greedy(Tokenizer tokenizer, String model, String prompt, int tokens) {
        return new GenerationRequest(model, tokenizer.encode(prompt, true), tokens, SamplingSettings.greedy(), List.of(), null);
    }

    /**
     * Twenty-two requests over base, two adapters and a MoLE, submitted together so that they share
     * steps: each one's text equals that request decoded alone, with products of at most 4 rows
     * (the base tree's 17 rows in five products, decoded at once on the engine's threads) and with
     * products of up to 32 (the 17 rows in one product, split into two groups decoded at once where
     * there are two processors or more). Adapters that were not applied, applied to the wrong rows, a
     * batch whose rows mix, groups handed the wrong rows' logits, or a product whose rows round
     * differently from a row alone (the blocked GEMM that more than 4 rows take outside
     * {@link dev.mixtape.engine.BatchInvariantProducts}) would make some text differ (the adapters'
     * updates are large enough to change the greedy text, which the test checks too). With the
     * weights' panels ({@link EngineConfig#weightPanels}) and without them.
     */
    @ParameterizedTest(name = "product rows {0}, weight panels {1}")
    @CsvSource({"4, true", "32, true", "32, false"})
    void eachRequestOfAMixedBatchGetsWhatItGetsAlone(int productRows, boolean weightPanels) throws Exception {
        int requests = 22;
        int tokens = 40;
        String[] models = {"tiny", "first", "second", "mole"};
        List<String> expected = new ArrayList<>();
        List<Llama> references = new ArrayList<>();
        references.add(TinyServing.model());
        Llama withFirst = TinyServing.model();
        PeftFiles.load(first, withFirst, "default");
        references.add(withFirst);
        Llama withSecond = TinyServing.model();
        PeftFiles.load(second, withSecond, "default");
        references.add(withSecond);
        Llama withMole = TinyServing.model();
        MoleFiles.load(mole, withMole);
        references.add(withMole);
        for (int i = 0; i < requests; i++) {
            expected.add(alone(references.get(i % 4), PROMPTS[i % PROMPTS.length], tokens));
        }
        assertNotEquals(expected.get(0), expected.get(1), "the first adapter changes the text");
        assertNotEquals(expected.get(0), expected.get(2), "the second adapter changes the text");
        Tokenizer tokenizer = TinyServing.tokenizer();
        try (BatchEngine engine = new BatchEngine(TinyServing.model(), tokenizer, "tiny", new EngineConfig(requests, requests, productRows, null, weightPanels))) {
            engine.addAdapter("first", first);
            engine.addAdapter("second", second);
            engine.addMole("mole", mole);
            List<Collected> results = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                Collected listener = new Collected();
                engine.submit(greedy(tokenizer, models[i % 4], PROMPTS[i % PROMPTS.length], tokens), listener);
                results.add(listener);
            }
            for (int i = 0; i < requests; i++) {
                Completion completion = results.get(i).await();
                assertEquals(expected.get(i), results.get(i).text(), "request " + i + " (" + models[i % 4] + ")");
                assertEquals(expected.get(i), completion.text());
            }
            long stepsTogether = engine.steps();
            assertTrue(stepsTogether < requests * tokens / 2, "the requests shared steps: " + stepsTogether);
        }
    }

    @Test
    void maxTokensEndsWithLengthAndAStopSequenceWithStopAndNothingOfIt() throws Exception {
        Tokenizer tokenizer = TinyServing.tokenizer();
        String full = alone(TinyServing.model(), "Leo ran to the market with", 30);
        assertTrue(full.length() >= 5, full);
        String stop = full.substring(2, 4);
        int cut = full.indexOf(stop);
        try (BatchEngine engine = new BatchEngine(TinyServing.model(), tokenizer, "tiny", EngineConfig.defaults())) {
            Collected lengthLimited = new Collected();
            engine.submit(greedy(tokenizer, "tiny", "Leo ran to the market with", 2), lengthLimited);
            Completion length = lengthLimited.await();
            assertEquals(FinishReason.LENGTH, length.finishReason());
            assertEquals(2, length.completionTokens());
            assertEquals(tokenizer.encode("Leo ran to the market with", true).length, length.promptTokens());

            Collected stopped = new Collected();
            engine.submit(new GenerationRequest("tiny", tokenizer.encode("Leo ran to the market with", true), 30, SamplingSettings.greedy(),
                    List.of(stop), null), stopped);
            Completion completion = stopped.await();
            assertEquals(FinishReason.STOP, completion.finishReason());
            assertEquals(full.substring(0, cut), stopped.text());
        }
    }

    @Test
    void cancelledAndTimedOutRequestsLeaveAndTheEngineGoesOn() throws Exception {
        Tokenizer tokenizer = TinyServing.tokenizer();
        try (BatchEngine engine = new BatchEngine(TinyServing.model(), tokenizer, "tiny", new EngineConfig(4, 8, 4, Duration.ofHours(1)))) {
            Collected cancelled = new Collected();
            RunningRequest running = engine.submit(greedy(tokenizer, "tiny", "The cat", 60), cancelled);
            running.cancel();
            assertEquals(FinishReason.CANCELLED, cancelled.await().finishReason());
            Collected late = new Collected();
            engine.submit(new GenerationRequest("tiny", tokenizer.encode("The cat", true), 60, SamplingSettings.greedy(), List.of(),
                    Duration.ZERO), late);
            assertEquals(FinishReason.TIMEOUT, late.await().finishReason());
            Collected after = new Collected();
            engine.submit(greedy(tokenizer, "tiny", "The cat", 3), after);
            assertEquals(FinishReason.LENGTH, after.await().finishReason());
            assertEquals(0, engine.held(), "an ended request's place is free when its listener hears of the end");
        }
    }

    @Test
    void aFullEngineAnUnknownModelAndAnOverlongPromptAreRefused() throws Exception {
        Tokenizer tokenizer = TinyServing.tokenizer();
        try (BatchEngine engine = new BatchEngine(TinyServing.model(), tokenizer, "tiny", new EngineConfig(1, 1, 4, null))) {
            assertThrows(UnknownModelException.class, () -> engine.submit(greedy(tokenizer, "nope", "x", 1), new Collected()));
            Collected first = new Collected();
            RunningRequest running = engine.submit(greedy(tokenizer, "tiny", "The cat", 60), first);
            assertThrows(QueueFullException.class, () -> engine.submit(greedy(tokenizer, "tiny", "x", 1), new Collected()));
            running.cancel();
            first.await();
            Collected overlong = new Collected();
            engine.submit(new GenerationRequest("tiny", new int[64], 4, SamplingSettings.greedy(), List.of(), null), overlong);
            Exception refused = assertThrows(Exception.class, overlong::await);
            assertTrue(refused.getCause().getMessage().contains("leave no room"), refused.getCause().getMessage());
        }
    }

    /**
     * Adapters come and go between steps: a removed name is refused, a request already running with it
     * finishes, and then the removed adapter's matrices leave the model (a server that kept them would
     * grow with every swap).
     */
    @Test
    void adaptersAreAddedAndRemovedWhileServing() throws Exception {
        Tokenizer tokenizer = TinyServing.tokenizer();
        Llama withFirst = TinyServing.model();
        PeftFiles.load(first, withFirst, "default");
        String expected = alone(withFirst, "The cat", 30);
        try (BatchEngine engine = new BatchEngine(TinyServing.model(), tokenizer, "tiny", EngineConfig.defaults())) {
            ServedModel loaded = engine.addAdapter("a", first);
            Llama tree = loaded.model();
            assertEquals(List.of(loaded.routed()), Adapters.names(tree));
            Collected running = new Collected();
            engine.submit(greedy(tokenizer, "a", "The cat", 30), running);
            engine.removeAdapter("a");
            assertThrows(UnknownModelException.class, () -> engine.submit(greedy(tokenizer, "a", "x", 1), new Collected()));
            running.await();
            assertEquals(expected, running.text());
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!Adapters.names(tree).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(List.of(), Adapters.names(tree), "the removed adapter's matrices are dropped once its request ended");
            engine.addAdapter("a", second);
            assertThrows(IllegalArgumentException.class, () -> engine.addAdapter("a", first));
            assertThrows(IllegalArgumentException.class, () -> engine.removeAdapter("tiny"));
            assertEquals(List.of("tiny", "a"), engine.models().stream().map(ServedModel::name).toList());
        }
    }
}
