package dev.mixtape.models.train;

import dev.mixtape.models.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Packing texts, encoding prompt/completion pairs, padding batches. */
class DatasetTest {
    private static final Tokenizer TOKENIZER = CharacterTokenizer.create();
    private static final SpecialIds SPECIAL = new SpecialIds(0, 1);
    private static final int IGNORE = TrainingSequence.IGNORE;

    @Test
    void packedTextsPredictEveryTokenButTheFirstExactlyOnce() {
        List<DataRecord> texts = List.of(new DataRecord.Text("The cat sat on the mat.", "a"), new DataRecord.Text("A dog ran.", "b"));
        Dataset data = Dataset.of("texts", texts, TOKENIZER, SPECIAL, 8);
        int[] stream = concat(TOKENIZER.encode("The cat sat on the mat.", true), TOKENIZER.encode("A dog ran.", true));
        List<Integer> predicted = new ArrayList<>();
        for (int i = 0; i < data.sequences().size(); i++) {
            TrainingSequence window = data.sequences().get(i);
            assertTrue(window.length() <= 8);
            assertArrayEquals(Arrays.copyOfRange(stream, i * 8, i * 8 + window.length()), window.ids());
            Arrays.stream(window.targets()).forEach(predicted::add);
        }
        assertEquals(Arrays.stream(stream).skip(1).boxed().toList(), predicted);
        assertEquals(stream.length - 1, data.predictedTokens());
        assertEquals(List.of(), data.promptExamples());
    }

    @Test
    void aTextShorterThanTheWindowIsOneSequenceOfItsOwnIds() {
        Dataset data = Dataset.of("short", List.of(new DataRecord.Text("Hi there", "s")), TOKENIZER, SPECIAL, 64);
        int[] ids = TOKENIZER.encode("Hi there", true);
        assertEquals(1, data.sequences().size());
        TrainingSequence only = data.sequences().getFirst();
        assertArrayEquals(Arrays.copyOf(ids, ids.length - 1), only.ids());
        assertArrayEquals(Arrays.copyOfRange(ids, 1, ids.length), only.targets());
    }

    @Test
    void promptCompletionLearnsOnlyTheCompletionAndEos() {
        Dataset data = Dataset.of("pairs", List.of(new DataRecord.PromptCompletion("ab", "cd", "p:1")), TOKENIZER, SPECIAL, 64);
        int a = TOKENIZER.encode("a", false)[0];
        int b = a + 1;
        int c = a + 2;
        int d = a + 3;
        TrainingSequence sequence = data.sequences().getFirst();
        assertArrayEquals(new int[] {0, a, b, c, d}, sequence.ids());
        assertArrayEquals(new int[] {IGNORE, IGNORE, c, d, 1}, sequence.targets());
        PromptExample example = data.promptExamples().getFirst();
        assertArrayEquals(new int[] {0, a, b}, example.promptIds());
        assertEquals("cd", example.completion());
        assertEquals(3, example.completionTokens());
        assertTrue(data.isPromptCompletion());
    }

    @Test
    void longPairsAreCutAtTheRightAndPromptsThatFillTheWindowAreDropped() {
        List<DataRecord> records = List.of(
                new DataRecord.PromptCompletion("abc", "defgh", "p:1"),
                new DataRecord.PromptCompletion("abcdefg", "h", "p:2"));
        Dataset data = Dataset.of("pairs", records, TOKENIZER, SPECIAL, 5);
        assertEquals(1, data.sequences().size());
        assertEquals(1, data.droppedExamples());
        TrainingSequence cut = data.sequences().getFirst();
        assertEquals(5, cut.length());
        assertArrayEquals(new int[] {IGNORE, IGNORE, IGNORE}, Arrays.copyOf(cut.targets(), 3));
        assertEquals(2, cut.predictedTokens());

        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> Dataset.of("long", List.of(records.get(1)), TOKENIZER, SPECIAL, 5));
        assertTrue(none.getMessage().contains("raise --seq-len"), none.getMessage());
    }

    @Test
    void batchesArePaddedAtTheEndWithIgnoredTargets() {
        TrainingSequence longer = new TrainingSequence(new int[] {5, 6, 7}, new int[] {6, 7, 8});
        TrainingSequence shorter = new TrainingSequence(new int[] {9}, new int[] {IGNORE});
        Batch batch = Batch.of(List.of(longer, shorter), 1);
        assertArrayEquals(new int[] {5, 6, 7, 9, 1, 1}, batch.ids());
        assertArrayEquals(new int[] {6, 7, 8, IGNORE, IGNORE, IGNORE}, batch.targets());
        assertEquals(2, batch.size());
        assertEquals(3, batch.length());
        assertEquals(4, batch.tokens());
        assertEquals(3, batch.predictedTokens());
    }

    private static int[] concat(int[] first, int[] second) {
        int[] out = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, out, first.length, second.length);
        return out;
    }
}
