package dev.mixtape.engine;

import org.apache.commons.rng.RandomProviderState;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The random numbers a block drew, made drawable again: while {@link #recording} runs a block, every
 * {@link Rng} it draws from is noted with the state it had before its first draw; {@link #replaying}
 * runs the block again from those states, so it draws the very same numbers (a LoRA's dropout masks),
 * and then puts each generator back where it was, so that what follows draws as if the block had run
 * once. What {@link F#checkpoint} needs to recompute a block exactly.
 */
final class RandomReplay {
    /** The replays recording on this thread, innermost first; a draw is noted by each of them. */
    private static final ThreadLocal<Deque<RandomReplay>> RECORDING = ThreadLocal.withInitial(ArrayDeque::new);

    private final Map<Rng, RandomProviderState> before = new IdentityHashMap<>();

    /** Runs {@code block}, noting the generators it draws from; returns its result. */
    <T> T recording(Supplier<T> block) {
        Deque<RandomReplay> recording = RECORDING.get();
        recording.push(this);
        try {
            return block.get();
        } finally {
            recording.pop();
        }
    }

    /** Runs {@code block} with each noted generator back at the state before its first draw, then restores their present states. */
    <T> T replaying(Supplier<T> block) {
        Map<Rng, RandomProviderState> present = new IdentityHashMap<>();
        before.forEach((rng, state) -> {
            present.put(rng, rng.state());
            rng.restore(state);
        });
        try {
            return block.get();
        } finally {
            present.forEach(Rng::restore);
        }
    }

    /** Called by {@link Rng} before each draw: notes its state in every replay recording on this thread that has not seen it yet. */
    static void beforeDraw(Rng rng) {
        Deque<RandomReplay> recording = RECORDING.get();
        for (RandomReplay replay : recording) {
            replay.before.computeIfAbsent(rng, Rng::state);
        }
    }
}
