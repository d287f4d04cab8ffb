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
     */
    static float sumLanes(FloatVector v) {
        VectorShuffle<Float>[] folds = FOLDS;
        for (VectorShuffle<Float> fold : folds) {
            v = v.add(v.rearrange(fold));
        }
        return v.lane(0);
    }

    /**
     * The {@code VectorWidth.FLOATS.length()} values at {@code lanes[from..]} (a vector stored with
     * {@code intoArray}) summed in the same fold order as {@link #sumLanes(FloatVector)}; overwrites them.
     * Storing several accumulators and summing them here is cheaper than one vector fold each; the
     * common 8-lane case (AVX2) is written out, so that it reads the lanes once and writes nothing.
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

    private static final VectorShuffle<Float>[] FOLDS = folds(VectorWidth.FLOATS);

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] folds(VectorSpecies<Float> species) {
        int steps = Integer.numberOfTrailingZeros(species.length());
        VectorShuffle<Float>[] folds = new VectorShuffle[steps];
        for (int i = 0; i < steps; i++) {
            folds[i] = VectorShuffle.iota(species, species.length() >> (i + 1), 1, true);
        }
        return folds;
    }
}
