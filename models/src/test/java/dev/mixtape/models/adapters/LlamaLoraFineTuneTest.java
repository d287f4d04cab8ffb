package dev.mixtape.models.adapters;

import dev.mixtape.adapters.Adapter;
import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.LoraConfig;
import dev.mixtape.adapters.TargetModules;
import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Grad;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.optim.AdamW;
import dev.mixtape.engine.vector.VectorBackend;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A sanity check, not the trainer: a few AdamW steps on a LoRA of stories260K lower its loss on the sentences trained on. */
class LlamaLoraFineTuneTest {
    private static final List<String> SENTENCES = List.of(
            "The purple robot sang a song about cheese to the moon.",
            "Every Tuesday the old dragon baked bread for the frogs.",
            "Tom found a tiny blue key under the big green rug.");

    private final Backend backend = new VectorBackend(2);

    @Test
    void aShortLoraFineTuneLowersTheLossOnItsSentences() throws IOException {
        Llama llama = Stories.load(backend);
        Batch batch = Batch.of(Stories.tokenizer(), SENTENCES);
        float[] baseLogits = logits(llama, batch);
        double before = loss(llama, batch);

        LoraConfig config = LoraConfig.builder(TargetModules.names("q_proj", "k_proj", "v_proj", "o_proj", "up_proj", "down_proj"))
                .r(4).alpha(8).dropout(0.05).build();
        Adapter adapter = Adapters.inject(llama, config, "default", new Rng(1));
        assertArrayEquals(baseLogits, logits(llama, batch), "B = 0: the new adapter changes nothing yet");

        AdamW optimizer = new AdamW(adapter.parameters(), 1e-2, 0.0);
        llama.train(new Rng(2));
        for (int step = 0; step < 30; step++) {
            optimizer.zeroGrad();
            llama.loss(batch.ids, batch.targets, batch.rows, batch.length, Stories.IGNORE).backward();
            optimizer.step();
        }
        llama.eval();
        double after = loss(llama, batch);

        assertTrue(after < 0.5 * before, "loss " + before + " -> " + after);
        Adapters.deactivate(llama);
        assertArrayEquals(baseLogits, logits(llama, batch), "the base weights did not move");
    }

    private static double loss(Llama llama, Batch batch) {
        try (var _ = Grad.off()) {
            return llama.loss(batch.ids, batch.targets, batch.rows, batch.length, Stories.IGNORE).item();
        }
    }

    private static float[] logits(Llama llama, Batch batch) {
        try (var _ = Grad.off()) {
            return llama.forward(batch.ids, batch.rows, batch.length).toFloatArray();
        }
    }

    /** Sentences as one {@code [rows, length]} batch, padded at the end with ignored positions. */
    private record Batch(int[] ids, int[] targets, int rows, int length) {
        static Batch of(Tokenizer tokenizer, List<String> sentences) {
            List<int[]> encoded = sentences.stream().map(s -> tokenizer.encode(s, true)).toList();
            int length = encoded.stream().mapToInt(ids -> ids.length).max().orElseThrow();
            int[] ids = new int[encoded.size() * length];
            int[] targets = new int[ids.length];
            Arrays.fill(targets, Stories.IGNORE);
            for (int row = 0; row < encoded.size(); row++) {
                int[] sentence = encoded.get(row);
                System.arraycopy(sentence, 0, ids, row * length, sentence.length);
                System.arraycopy(Stories.nextTokens(sentence), 0, targets, row * length, sentence.length);
            }
            return new Batch(ids, targets, encoded.size(), length);
        }
    }
}
