package dev.mixtape.models.llama;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.RopeLayout;
import dev.mixtape.engine.RopeTable;

/**
 * A model's RoPE table, built for the positions used so far and rebuilt larger (doubling, up to the
 * model's {@code max_position_embeddings}) when a longer sequence comes, so that a model whose config
 * allows millions of positions costs only what its sequences use. Every table holds the same values
 * for the positions they share. Safe to share between threads.
 */
final class GrowingRopeTable {
    /** The smallest table built: enough for most prompts, 64 KB for a head of 64. */
    private static final int FIRST_POSITIONS = 128;

    private final Backend backend;
    private final double[] inverseFrequencies;
    private final int maxPositions;
    private volatile RopeTable table;

    GrowingRopeTable(Backend backend, double[] inverseFrequencies, int maxPositions) {
        this.backend = backend;
        this.inverseFrequencies = inverseFrequencies.clone();
        this.maxPositions = maxPositions;
    }

    /** A table covering positions {@code 0..positions-1}. */
    RopeTable covering(int positions) {
        RopeTable current = table;
        return current != null && current.maxPositions() >= positions ? current : grow(positions);
    }

    private synchronized RopeTable grow(int positions) {
        if (positions > maxPositions) {
            throw new IllegalArgumentException(positions + " positions exceed the model's " + maxPositions);
        }
        RopeTable current = table;
        if (current != null && current.maxPositions() >= positions) {
            return current;
        }
        long doubled = current == null ? FIRST_POSITIONS : 2L * current.maxPositions();
        int size = (int) Math.min(maxPositions, Math.max(positions, doubled));
        table = RopeTable.of(backend, DType.F32, inverseFrequencies, size, RopeLayout.HALF);
        return table;
    }
}
