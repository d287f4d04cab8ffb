package dev.mixtape.engine.vector;

import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Float arrays of one kind (packed B, packed A blocks, edge tiles), kept between calls so that a
 * matrix multiply allocates nothing in the steady state. Thread-safe: an array taken is owned by the
 * taker until it is given back. An array too small for a request is dropped and a larger one made,
 * so the arrays grow to the largest request; the pool holds at most as many as were ever in use at once.
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
