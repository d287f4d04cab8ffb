package dev.mixtape.testdata;

import dev.mixtape.engine.Rng;

import java.util.ArrayList;
import java.util.List;

/** Random choices from a seeded {@link Rng}, so that every generated file is the same on every run. */
final class Draw {
    private Draw() {
    }

    /** One element of {@code items}, uniformly. */
    static <T> T one(List<T> items, Rng rng) {
        return items.get(rng.nextInt(items.size()));
    }

    /** {@code count} distinct elements of {@code items} in random order. */
    static <T> List<T> distinct(List<T> items, int count, Rng rng) {
        List<T> pool = new ArrayList<>(items);
        shuffle(pool, rng);
        return List.copyOf(pool.subList(0, count));
    }

    /** Shuffles {@code items} in place (Fisher–Yates). */
    static <T> void shuffle(List<T> items, Rng rng) {
        for (int i = items.size() - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            T swap = items.get(i);
            items.set(i, items.get(j));
            items.set(j, swap);
        }
    }

    /** An int in {@code [low, high]}. */
    static int between(int low, int high, Rng rng) {
        return low + rng.nextInt(high - low + 1);
    }
}
