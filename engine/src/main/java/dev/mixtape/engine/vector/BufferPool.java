package dev.mixtape.engine.vector;

import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Float arrays for packed panels, kept between calls so that a matrix multiply allocates nothing in
 * the steady state. Thread-safe: an array taken is owned by the taker until it is given back. The
 * pool holds at most as many arrays as were ever in use at once.
 */
final class BufferPool {
    private final ConcurrentLinkedQueue<float[]> idle = new ConcurrentLinkedQueue<>();

    /** An array of at least {@code size} floats (contents undefined). */
    float[] take(int size) {
        float[] buffer = idle.poll();
        return buffer != null && buffer.length >= size ? buffer : new float[size];
    }

    /** Returns {@code buffer} for reuse; the caller must not touch it afterwards. */
    void give(float[] buffer) {
        idle.offer(buffer);
    }
}
