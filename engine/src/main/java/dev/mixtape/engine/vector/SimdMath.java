package dev.mixtape.engine.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector functions whose results do not depend on the JIT. The Vector API's own {@code EXP} and
 * {@code reduceLanes(ADD)} give different roundings when C2 has intrinsified them than in the
 * interpreter, so a training run would not repeat bit for bit; these use only basic lanewise
 * arithmetic (exactly rounded in every mode) in a fixed order.
 */
final class SimdMath {
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUNDING_MAGIC = 12582912f;
    private static final float MAX_ARG = 88.3762626647949f;
    private static final float MIN_ARG = -87.3365447504f;

    private SimdMath() {
    }

    /**
     * {@code e^x} per lane, within about 2 ulp: {@code x = n·ln2 + r} with {@code |r| ≤ ln2/2}, a
     * degree-6 Taylor polynomial for {@code e^r}, and {@code 2^n} built from the exponent bits.
     */
    static FloatVector exp(FloatVector x) {
        FloatVector clamped = x.max(MIN_ARG).min(MAX_ARG);
        FloatVector n = clamped.mul(LOG2E).add(ROUNDING_MAGIC).sub(ROUNDING_MAGIC);
        FloatVector r = n.mul(-LN2_HI).add(clamped).add(n.mul(-LN2_LO));
        FloatVector p = r.mul(1f / 720).add(1f / 120);
        p = p.fma(r, FloatVector.broadcast(r.species(), 1f / 24));
        p = p.fma(r, FloatVector.broadcast(r.species(), 1f / 6));
        p = p.fma(r, FloatVector.broadcast(r.species(), 0.5f));
        p = p.fma(r, FloatVector.broadcast(r.species(), 1f));
        p = p.fma(r, FloatVector.broadcast(r.species(), 1f));
        IntVector bits = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        FloatVector scale = bits.reinterpretAsFloats();
        FloatVector result = p.mul(scale);
        return result.blend(0f, x.compare(VectorOperators.LT, MIN_ARG));
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
     * The {@code SPECIES_PREFERRED.length()} values at {@code lanes[from..]} (a vector stored with
     * {@code intoArray}) summed in the same fold order as {@link #sumLanes(FloatVector)}; overwrites them.
     * Storing several accumulators and summing them here is cheaper than one vector fold each; the
     * common 8-lane case (AVX2) is written out, so that it reads the lanes once and writes nothing.
     */
    static float sumLanes(float[] lanes, int from) {
        if (FloatVector.SPECIES_PREFERRED.length() == 8) {
            return ((lanes[from] + lanes[from + 4]) + (lanes[from + 2] + lanes[from + 6]))
                    + ((lanes[from + 1] + lanes[from + 5]) + (lanes[from + 3] + lanes[from + 7]));
        }
        for (int half = FloatVector.SPECIES_PREFERRED.length() / 2; half > 0; half /= 2) {
            for (int i = 0; i < half; i++) {
                lanes[from + i] += lanes[from + i + half];
            }
        }
        return lanes[from];
    }

    private static final VectorShuffle<Float>[] FOLDS = folds(FloatVector.SPECIES_PREFERRED);

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
