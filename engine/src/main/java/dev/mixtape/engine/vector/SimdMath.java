package dev.mixtape.engine.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector functions whose results do not depend on the JIT. The Vector API's own {@code EXP} and
 * {@code reduceLanes(ADD)} give different roundings when C2 has intrinsified them than in the
 * interpreter, so a training run would not repeat bit for bit; these use only basic lanewise
 * arithmetic (exactly rounded in every mode) in a fixed order. {@link ScalarMath} computes the
 * same functions on one float, bit for bit, for the scalar tails of the loops.
 */
final class SimdMath {
    private static final float LOG2E = ScalarMath.LOG2E;
    private static final float LN2_HI = ScalarMath.LN2_HI;
    private static final float LN2_LO = ScalarMath.LN2_LO;
    private static final float ROUNDING_MAGIC = ScalarMath.ROUNDING_MAGIC;
    private static final float MAX_ARG = ScalarMath.MAX_ARG;
    private static final float MIN_ARG = ScalarMath.MIN_ARG;

    private SimdMath() {
    }

    /**
     * {@code e^x} per lane, within about 2 ulp: {@code x = n·ln2 + r} with {@code |r| ≤ ln2/2}, a
     * degree-6 Taylor polynomial for {@code e^r}, and {@code 2^n} built from the exponent bits.
     *
     * <p>Written for throughput, as the softmax and the output head call it for every logit. {@code n}
     * is rounded by adding {@code 1.5·2²³}; the sum's bits are that constant's plus {@code n}, and
     * shifting {@code bits + 127} left by 23 drops the constant's (all above bit 8), leaving the
     * exponent of {@code 2^n} without a float-to-int conversion. Out-of-range
     * lanes are fixed with compare-and-blend: Java's float {@code max}/{@code min} handle NaN and
     * signed zeros in several instructions each, and here cost as much as the polynomial. Below
     * {@link #MIN_ARG} the result is 0 (the lane's intermediate values are discarded); above
     * {@link #MAX_ARG} it is {@code e^MAX_ARG}; NaN stays NaN.
     */
    static FloatVector exp(FloatVector x) {
        VectorSpecies<Float> species = x.species();
        FloatVector clamped = x.blend(MAX_ARG, x.compare(VectorOperators.GT, MAX_ARG));
        FloatVector rounded = clamped.fma(LOG2E, ROUNDING_MAGIC);
        FloatVector n = rounded.sub(ROUNDING_MAGIC);
        FloatVector r = n.fma(FloatVector.broadcast(species, -LN2_HI), clamped);
        r = n.fma(FloatVector.broadcast(species, -LN2_LO), r);
        FloatVector p = r.fma(1f / 720, 1f / 120);
        p = p.fma(r, FloatVector.broadcast(species, 1f / 24));
        p = p.fma(r, FloatVector.broadcast(species, 1f / 6));
        p = p.fma(r, FloatVector.broadcast(species, 0.5f));
        p = p.fma(r, FloatVector.broadcast(species, 1f));
        p = p.fma(r, FloatVector.broadcast(species, 1f));
        FloatVector scale = rounded.reinterpretAsInts().add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(scale).blend(0f, x.compare(VectorOperators.LT, MIN_ARG));
    }

    /**
     * The sum of the lanes in a fixed tree order: fold the upper half onto the lower half until one
     * lane is left. Each fold is a lanewise add of a rearranged copy, exact in every JIT mode.
     *
     * <p>Kernels call this once per output after their summing loop, where C2 counts the call as
     * rarely taken and inlines only methods of at most 35 bytes of bytecode. A vector passed to a
     * method that is not inlined is boxed on the heap, which costs more than the product (a bf16 GEMV
     * at 512 bits, calling this four times, ran two threads slower than one). So this method and each
     * fold are under that size, one constant shuffle a fold, for up to {@link VectorWidth#MAX_LANES}
     * lanes; the width is a constant to C2, so the folds a width does not need disappear.
     */
    static float sumLanes(FloatVector v) {
        return foldOneOntoZero(foldTwoOntoZero(foldFourOntoZero(foldEightOntoZero(v)))).lane(0);
    }

    private static FloatVector foldEightOntoZero(FloatVector v) {
        return LANES > 8 ? v.add(v.rearrange(FOLD_8)) : v;
    }

    private static FloatVector foldFourOntoZero(FloatVector v) {
        return LANES > 4 ? v.add(v.rearrange(FOLD_4)) : v;
    }

    private static FloatVector foldTwoOntoZero(FloatVector v) {
        return LANES > 2 ? v.add(v.rearrange(FOLD_2)) : v;
    }

    private static FloatVector foldOneOntoZero(FloatVector v) {
        return LANES > 1 ? v.add(v.rearrange(FOLD_1)) : v;
    }

    /**
     * The lanes of each of {@code count} vectors stored back to back from {@code lanes[0]} (with
     * {@code intoArray}), each summed as {@link #sumLanes(FloatVector)} sums one, into
     * {@code sums[0..count)}. Kernels with several accumulators store them and call this rather than
     * fold each with {@link #sumLanes(FloatVector)}: four or eight of those at 512 bits took C2 past
     * its node budget for inlining, the folds it then left as calls boxed their vectors on the heap,
     * and the kernel ran at half speed in some processes and not others. Here only arrays cross the
     * call, and the folds are written with the Vector API alone, whose methods C2 inlines whatever
     * the budget.
     */
    static void sumLanesOfEach(float[] lanes, int count, float[] sums) {
        for (int q = 0; q < count; q++) {
            FloatVector v = FloatVector.fromArray(VectorWidth.FLOATS, lanes, q * LANES);
            if (LANES > 8) {
                v = v.add(v.rearrange(FOLD_8));
            }
            if (LANES > 4) {
                v = v.add(v.rearrange(FOLD_4));
            }
            if (LANES > 2) {
                v = v.add(v.rearrange(FOLD_2));
            }
            sums[q] = v.add(v.rearrange(FOLD_1)).lane(0);
        }
    }

    /**
     * The {@code VectorWidth.FLOATS.length()} values at {@code lanes[from..]} (a vector stored with
     * {@code intoArray}) summed in the same fold order as {@link #sumLanes(FloatVector)}; overwrites them.
     * For a single accumulator that has taken a scalar tail into its lane 0 (several accumulators go
     * through {@link #sumLanesOfEach}); the common 8-lane case (AVX2) is written out, so that it reads
     * the lanes once and writes nothing.
     */
    static float sumLanes(float[] lanes, int from) {
        if (VectorWidth.FLOATS.length() == 8) {
            return ((lanes[from] + lanes[from + 4]) + (lanes[from + 2] + lanes[from + 6]))
                    + ((lanes[from + 1] + lanes[from + 5]) + (lanes[from + 3] + lanes[from + 7]));
        }
        for (int half = VectorWidth.FLOATS.length() / 2; half > 0; half /= 2) {
            for (int i = 0; i < half; i++) {
                lanes[from + i] += lanes[from + i + half];
            }
        }
        return lanes[from];
    }

    private static final int LANES = VectorWidth.FLOATS.length();
    private static final VectorShuffle<Float> FOLD_8 = fold(8);
    private static final VectorShuffle<Float> FOLD_4 = fold(4);
    private static final VectorShuffle<Float> FOLD_2 = fold(2);
    private static final VectorShuffle<Float> FOLD_1 = fold(1);

    /** Lane i of a vector rearranged by it is lane i + distance of the original (wrapping round). */
    private static VectorShuffle<Float> fold(int distance) {
        return VectorShuffle.iota(VectorWidth.FLOATS, distance % LANES, 1, true);
    }
}
