package dev.mixtape.models.train;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** The seeded data order: permutations per epoch, reproducible from seed and position. */
class BatchCursorTest {

    @Test
    void everyEpochTakesEverySequenceOnceInItsOwnOrder() {
        BatchCursor cursor = new BatchCursor(10, 4, 3);
        List<List<Integer>> epochs = new ArrayList<>();
        for (int epoch = 0; epoch < 3; epoch++) {
            List<Integer> taken = new ArrayList<>();
            List<Integer> sizes = new ArrayList<>();
            for (int b = 0; b < 3; b++) {
                int[] batch = cursor.next();
                sizes.add(batch.length);
                IntStream.of(batch).forEach(taken::add);
            }
            assertEquals(List.of(4, 4, 2), sizes);
            assertEquals(IntStream.range(0, 10).boxed().toList(), taken.stream().sorted().toList());
            epochs.add(taken);
            assertEquals(new DataPosition(epoch + 1, 0), cursor.position());
        }
        assertNotEquals(epochs.get(0), epochs.get(1));
        assertNotEquals(epochs.get(1), epochs.get(2));
    }

    @Test
    void seekingToAPositionContinuesExactlyAsTheOriginal() {
        BatchCursor original = new BatchCursor(7, 2, 11);
        for (int i = 0; i < 9; i++) {
            original.next();
        }
        BatchCursor resumed = new BatchCursor(7, 2, 11);
        resumed.seek(original.position());
        for (int i = 0; i < 10; i++) {
            assertArrayEquals(original.next(), resumed.next());
        }
        assertNotEquals(IntStream.of(new BatchCursor(7, 7, 11).next()).boxed().toList(),
                IntStream.of(new BatchCursor(7, 7, 12).next()).boxed().toList());
    }
}
