package dev.mixtape.engine.vector;

/**
 * The scratch memory of one {@link Sgemm} task: the packed block of A, the packed panel of B and
 * one C tile for the matrix edges. A task takes a set from the pool when it starts and gives it back
 * when it ends, so buffers are reused across calls and never shared by two threads at once.
 */
final class PackBuffers {
    private float[] a = new float[0];
    private float[] b = new float[0];
    private float[] tile = new float[0];

    /** Grows the buffers (never shrinks them) to hold at least the given number of floats. */
    void ensure(int aSize, int bSize, int tileSize) {
        if (a.length < aSize) {
            a = new float[aSize];
        }
        if (b.length < bSize) {
            b = new float[bSize];
        }
        if (tile.length < tileSize) {
            tile = new float[tileSize];
        }
    }

    float[] a() {
        return a;
    }

    float[] b() {
        return b;
    }

    float[] tile() {
        return tile;
    }
}
