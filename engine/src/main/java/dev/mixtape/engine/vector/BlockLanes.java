package dev.mixtape.engine.vector;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The pieces the SIMD block kernels decode with: bytes of a block loaded {@link #BYTES} at a time
 * and widened to floats of the kernels' species {@link #FLOATS}, {@link #PARTS} vectors per load (one
 * on 256- and 512-bit vectors, where a load of L bytes gives L floats; two on 128-bit ones, where the
 * narrowest byte load, 8 bytes, gives two vectors of 4). Loaded only when the Vector API is present.
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

    /** {@link #BYTES} bytes from {@code offset}. */
    static ByteVector load(MemorySegment blocks, long offset) {
        return ByteVector.fromMemorySegment(BYTES, blocks, offset, ByteOrder.LITTLE_ENDIAN);
    }

    /** {@link #BYTES} bytes of {@code bytes} from {@code offset}. */
    static ByteVector load(byte[] bytes, int offset) {
        return ByteVector.fromArray(BYTES, bytes, offset);
    }

    /** Part {@code part} (below {@link #PARTS}) of {@code bytes}, as signed integers widened to floats. */
    static FloatVector widen(ByteVector bytes, int part) {
        return (FloatVector) bytes.convertShape(VectorOperators.B2F, FLOATS, part);
    }

    /**
     * Part {@code part} of {@code bytes} as signed integers in int lanes, as many as {@link #FLOATS}
     * has: one instruction on x86, after which masks and shifts are native (x86 has no byte shift).
     */
    static IntVector widenToInts(ByteVector bytes, int part) {
        return (IntVector) bytes.convertShape(VectorOperators.B2I, INTS, part);
    }

    /** {@code ints} converted to floats. */
    static FloatVector toFloats(IntVector ints) {
        return (FloatVector) ints.convert(VectorOperators.I2F, 0);
    }

    /** The low nibbles of bytes widened to ints ({@link #widenToInts}; the high bits are dropped), as floats. */
    static FloatVector lowNibbleFloats(IntVector bytes) {
        return toFloats(bytes.and(0x0F));
    }

    /** The high nibbles of bytes widened to ints ({@link #widenToInts}; the sign's copies are dropped), as floats. */
    static FloatVector highNibbleFloats(IntVector bytes) {
        return toFloats(bytes.lanewise(VectorOperators.ASHR, 4).and(0x0F));
    }

    /** The high nibble of each byte, 0 to 15. */
    static ByteVector highNibbles(ByteVector bytes) {
        return bytes.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F);
    }

    /** The low nibble of each byte, 0 to 15. */
    static ByteVector lowNibbles(ByteVector bytes) {
        return bytes.and((byte) 0x0F);
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
