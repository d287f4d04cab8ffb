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
}
