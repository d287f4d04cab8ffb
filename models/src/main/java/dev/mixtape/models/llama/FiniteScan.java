package dev.mixtape.models.llama;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Finds a NaN or ±Inf among a weight's values in one vectorised pass as it is loaded: {@code v × 0}
 * is 0 for every finite {@code v} and NaN otherwise, so lanes summing those stay 0 until a bad value
 * is met. Only then is the array walked again to say where.
 */
final class FiniteScan {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    private FiniteScan() {
    }

    /** The index of the first NaN or infinite value in {@code values}, or −1 when all are finite. */
    static int firstNonFinite(float[] values) {
        FloatVector sum = FloatVector.zero(SPECIES);
        int i = 0;
        for (int bound = SPECIES.loopBound(values.length); i < bound; i += SPECIES.length()) {
            sum = sum.add(FloatVector.fromArray(SPECIES, values, i).mul(0f));
        }
        float tail = 0f;
        for (; i < values.length; i++) {
            tail += values[i] * 0f;
        }
        if (sum.reduceLanes(VectorOperators.ADD) + tail == 0f) {
            return -1;
        }
        for (int j = 0; j < values.length; j++) {
            if (!Float.isFinite(values[j])) {
                return j;
            }
        }
        return -1;
    }
}
