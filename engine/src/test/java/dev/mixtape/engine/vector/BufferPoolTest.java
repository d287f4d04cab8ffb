package dev.mixtape.engine.vector;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

/** The pool hands out the smallest idle array that fits and keeps no more arrays than were in use at once. */
class BufferPoolTest {

    @Test
    void aRequestGetsTheSmallestIdleArrayThatFits() {
        BufferPool pool = new BufferPool();
        float[] large = pool.take(1000);
        float[] small = pool.take(10);
        pool.give(large);
        pool.give(small);
        assertSame(small, pool.take(8));
        assertSame(large, pool.take(500));
    }

    @Test
    void anArrayTooSmallIsReplacedNotKeptBeside() {
        BufferPool pool = new BufferPool();
        float[] small = pool.take(10);
        pool.give(small);
        float[] large = pool.take(1000);
        assertNotSame(small, large);
        assertEquals(1000, large.length);
        pool.give(large);
        assertSame(large, pool.take(10), "had the small array been kept, it would fit this request best");
    }
}
