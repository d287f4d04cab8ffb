package dev.mixtape.engine.vector;

import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * What the SIMD block kernels share: the species they load and widen with (bytes of a block loaded
 * {@link #BYTES} at a time and widened to floats of {@link #FLOATS}, {@link #PARTS} vectors per load:
 * one on 256- and 512-bit vectors, where a load of L bytes gives L floats; two on 128-bit ones, where
 * the narrowest byte load, 8 bytes, gives two vectors of 4), a block's half-precision scales, and the
 * sums of x that the K-quants' minimums are multiplied by. Loaded only when the Vector API is present.
 *
 * <p>The kernels spell out their loads, widenings and nibble masks in Vector API calls rather than
 * calling small helpers that take or return vectors: in the big compilations that a kernel's loops
 * make at 512 bits, C2 can run past its node budget ({@code NodeCountInliningCutoff}) and leave such
 * a helper as a call, which boxes every vector passed or returned. Vector API methods are always
 * inlined. A Q5_K product then took 10–12 ms instead of 0.3 ms in half the processes, and Q6_K's
 * {@code dY·W} always took 1.9 ms instead of 0.5 (one core, {@code bench/run gemv --quick}).
 */
final class BlockLanes {
    /** The float species of every SIMD kernel. */
    static final VectorSpecies<Float> FLOATS = VectorWidth.FLOATS;
    /** The byte species of one load: as many bytes as {@link #FLOATS} has lanes, at least 8. */
    static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class,
            VectorShape.forBitSize(Math.max(64, 8 * FLOATS.length())));
    /** The int species of as many lanes as {@link #FLOATS}. */
    static final VectorSpecies<Integer> INTS = FLOATS.withLanes(int.class);
    /** The float vectors one byte load widens to. */
    static final int PARTS = BYTES.length() / FLOATS.length();

    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle HALF_IN_ARRAY = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

    private BlockLanes() {
    }

    /** The IEEE half at {@code offset} as a float. */
    static float half(MemorySegment blocks, long offset) {
        return Float.float16ToFloat(blocks.get(HALF, offset));
    }

    /** The IEEE half at {@code offset} of {@code bytes} as a float. */
    static float half(byte[] bytes, int offset) {
        return Float.float16ToFloat((short) HALF_IN_ARRAY.get(bytes, offset));
    }

    /**
     * Each activation row's sums over consecutive runs of {@code sub} of its {@code cols} elements,
     * row {@code i}'s run {@code s} at {@code [i·(cols/sub) + s]}: what a K-quant block's minimums are
     * multiplied by (a value is {@code d·scale·q − dmin·min}, so over a sub-block
     * {@code Σ x·value = d·scale·Σ x·q − dmin·min·Σ x}).
     */
    static float[] subBlockSums(int m, float[] x, int xOff, int ldx, int cols, int sub) {
        int runs = cols / sub;
        float[] sums = new float[m * runs];
        for (int i = 0; i < m; i++) {
            for (int s = 0; s < runs; s++) {
                float sum = 0;
                for (int j = 0; j < sub; j++) {
                    sum += x[xOff + i * ldx + s * sub + j];
                }
                sums[i * runs + s] = sum;
            }
        }
        return sums;
    }
}
