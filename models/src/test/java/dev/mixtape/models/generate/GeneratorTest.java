package dev.mixtape.models.generate;

import dev.mixtape.engine.SharedFiles;
import dev.mixtape.engine.vector.VectorBackend;
import dev.mixtape.models.llama.Checkpoint;
import dev.mixtape.models.llama.Checkpoints;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Llama2cTokenizer;
import dev.mixtape.models.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** Generation against llama2.c's published output, sampling reproducibility, and concurrent sessions. */
class GeneratorTest {

    private static Llama load(String relative) throws IOException {
        try (Checkpoint checkpoint = Checkpoints.open(SharedFiles.require(relative))) {
            return Llama.load(checkpoint, new VectorBackend(2));
        }
    }

    private static Tokenizer tokenizer() throws IOException {
        return Llama2cTokenizer.load(SharedFiles.require("models/stories260K/tok512.bin"));
    }

    @Test
    void greedyFromBosReproducesLlama2c() throws IOException {
        String expected = Files.readString(SharedFiles.require("models/stories260K/reference/greedy-bos-200.txt"));
        Llama llama = load("models/stories260K/stories260K.bin");
        StringBuilder streamed = new StringBuilder();
        Generation result = Generator.generate(llama, tokenizer(), "", 200, SamplingSettings.greedy(), streamed::append);
        assertEquals(expected.strip(), result.text().strip());
        assertEquals(result.text(), streamed.toString());
        assertEquals(200, result.generatedIds().length);
        assertEquals(1, result.promptTokens());
    }

    @Test
    void theThreeFormatsAgreeTokenForTokenWithPrompts() throws IOException {
        Tokenizer tokenizer = tokenizer();
        Llama[] models = {load("models/stories260K/stories260K.bin"), load("models/stories260K/stories260K.gguf"),
            load("models/stories260K/hf")};
        for (String prompt : new String[] {"Once upon a time", "Tom and Lily went to the park. They saw", "The sun"}) {
            for (SamplingSettings sampling : new SamplingSettings[] {SamplingSettings.greedy(), new SamplingSettings(0.9, 0, 0.9, 5)}) {
                int[] reference = Generator.generate(models[2], tokenizer, prompt, 80, sampling, s -> { }).generatedIds();
                for (Llama other : new Llama[] {models[0], models[1]}) {
                    assertArrayEquals(reference, Generator.generate(other, tokenizer, prompt, 80, sampling, s -> { }).generatedIds(), prompt);
                }
            }
        }
    }

    @Test
    void samplingIsReproducibleBySeed() throws IOException {
        Llama llama = load("models/stories260K/stories260K.gguf");
        Tokenizer tokenizer = tokenizer();
        SamplingSettings a = new SamplingSettings(1.0, 40, 0.9, 11);
        int[] first = Generator.generate(llama, tokenizer, "Once upon a time", 60, a, s -> { }).generatedIds();
        int[] again = Generator.generate(llama, tokenizer, "Once upon a time", 60, a, s -> { }).generatedIds();
        int[] other = Generator.generate(llama, tokenizer, "Once upon a time", 60, new SamplingSettings(1.0, 40, 0.9, 12), s -> { }).generatedIds();
        assertArrayEquals(first, again);
        assertNotEquals(java.util.Arrays.toString(first), java.util.Arrays.toString(other));
    }

    @Test
    void concurrentSessionsOnOneModelMatchSerialUse() throws Exception {
        Llama llama = load("models/stories260K/hf");
        Tokenizer tokenizer = tokenizer();
        String[] prompts = {"Once upon a time", "Lily wanted", "The dog", "One day, a big"};
        List<int[]> serial = new ArrayList<>();
        for (String prompt : prompts) {
            serial.add(Generator.generate(llama, tokenizer, prompt, 50, SamplingSettings.greedy(), s -> { }).generatedIds());
        }
        ExecutorService pool = Executors.newFixedThreadPool(prompts.length);
        try {
            List<Future<int[]>> parallel = new ArrayList<>();
            for (String prompt : prompts) {
                parallel.add(pool.submit(() -> Generator.generate(llama, tokenizer, prompt, 50, SamplingSettings.greedy(), s -> { }).generatedIds()));
            }
            for (int i = 0; i < prompts.length; i++) {
                assertArrayEquals(serial.get(i), parallel.get(i).get(), prompts[i]);
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void samplerRespectsTopK() {
        float[] logits = {0f, 5f, 4.9f, -3f};
        Sampler sampler = new Sampler(new SamplingSettings(1.0, 2, 1.0, 3));
        for (int i = 0; i < 200; i++) {
            int t = sampler.next(logits);
            assertEquals(true, t == 1 || t == 2, "token " + t + " outside the top 2");
        }
        assertEquals(1, new Sampler(SamplingSettings.greedy()).next(logits));
    }

    /**
     * Sampling draws from softmax(logits / T) restricted to the nucleus, checked by frequencies over
     * 40,000 draws (each within 0.015, some six standard errors, of its probability) for logits whose
     * probabilities at T = 1 are 0.5, 0.3, 0.15, 0.05: at T = 1 those; at T = 2 the square roots,
     * renormalised; with top-p 0.75 only the two most likely (0.5 + 0.3 reaches 0.75), renormalised
     * to 0.625 and 0.375. An argmax sampler, a temperature applied as a multiplier or not at all, or a
     * nucleus that keeps one token too many or too few fails it.
     */
    @Test
    void samplingFrequenciesFollowTheTemperatureAndTheNucleus() {
        double[] p = {0.5, 0.3, 0.15, 0.05};
        float[] logits = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            logits[i] = (float) (Math.log(p[i]) + 1.7);
        }
        assertFrequencies(p, new SamplingSettings(1.0, 0, 1.0, 21), logits);
        double roots = 0;
        for (double pi : p) {
            roots += Math.sqrt(pi);
        }
        double[] hot = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            hot[i] = Math.sqrt(p[i]) / roots;
        }
        assertFrequencies(hot, new SamplingSettings(2.0, 0, 1.0, 22), logits);
        assertFrequencies(new double[] {0.625, 0.375, 0, 0}, new SamplingSettings(1.0, 0, 0.75, 23), logits);
    }

    private static void assertFrequencies(double[] expected, SamplingSettings settings, float[] logits) {
        Sampler sampler = new Sampler(settings);
        int draws = 40_000;
        int[] counts = new int[logits.length];
        for (int i = 0; i < draws; i++) {
            counts[sampler.next(logits)]++;
        }
        for (int t = 0; t < logits.length; t++) {
            assertEquals(expected[t], (double) counts[t] / draws, expected[t] == 0 ? 0 : 0.015, "token " + t + " under " + settings);
        }
    }
}
