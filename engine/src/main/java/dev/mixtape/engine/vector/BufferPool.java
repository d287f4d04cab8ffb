package dev.mixtape.engine.vector;

import java.util.ArrayList;
import java.util.List;

/**
 * Float arrays of one kind (packed B, packed A blocks, edge tiles), kept between calls so that a
 * matrix multiply allocates nothing in the steady state. Thread-safe: an array taken is owned by the
 * taker until it is given back.
 *
 * <p>A request gets the smallest idle array that is large enough, so that requests of different
 * sizes (the packed weights of a layer's projections and of the output head) each keep meeting an
 * array of their own size rather than taking a large one for a small request and leaving the large
 * request to allocate again. When no idle array is large enough, a new one is made and the largest
 * idle one that is too small is dropped in its place, so the pool holds at most as many arrays as
 * were ever in use at once (a handful), and a search through them costs next to nothing.
 */
final class BufferPool {
    private final List<float[]> idle = new ArrayList<>();

    /** An array of at least {@code size} floats (contents undefined). */
    float[] take(int size) {
        synchronized (idle) {
            int bestFit = -1;
            int largestTooSmall = -1;
            for (int i = 0; i < idle.size(); i++) {
                int length = idle.get(i).length;
                if (length >= size) {
                    if (bestFit < 0 || length < idle.get(bestFit).length) {
                        bestFit = i;
                    }
                } else if (largestTooSmall < 0 || length > idle.get(largestTooSmall).length) {
                    largestTooSmall = i;
                }
            }
            if (bestFit >= 0) {
                return idle.remove(bestFit);
            }
            if (largestTooSmall >= 0) {
                idle.remove(largestTooSmall);
            }
        }
        return new float[size];
    }

    /** Returns {@code buffer} for reuse; the caller must not touch it afterwards. */
    void give(float[] buffer) {
        synchronized (idle) {
            idle.add(buffer);
        }
    }
}
