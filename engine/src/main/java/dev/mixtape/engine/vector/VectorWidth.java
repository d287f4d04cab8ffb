package dev.mixtape.engine.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector species every SIMD kernel computes with: the platform's preferred one (256 bits on AVX2,
 * 512 on AVX-512, 128 on NEON, and 512 where SVE prefers wider), or the width the system property
 * {@code mixtape.vector.bits} names: {@code 128}, {@code 256}, {@code 512}, or {@code alternate}, the
 * one of 256 and 512 that the hardware does not prefer. A width narrower than the hardware's runs
 * natively; a wider one runs correctly but several times slower, as the JDK emulates it. The build
 * runs the kernel and model tests once more with {@code alternate}, so that what they assert is seen
 * to hold on AVX2 and AVX-512 hosts alike, whichever kind runs them. Loaded only when
 * {@code jdk.incubator.vector} is present.
 */
final class VectorWidth {
    /** The system property that forces a width. */
    static final String PROPERTY = "mixtape.vector.bits";

    /** The most float lanes a kernel's vector has: {@link SimdMath#sumLanes(FloatVector)} folds at most this many. */
    static final int MAX_LANES = 16;

    /** The float species of every SIMD kernel. */
    static final VectorSpecies<Float> FLOATS = floats(System.getProperty(PROPERTY));

    private VectorWidth() {
    }

    /** The species a value of {@link #PROPERTY} names; the preferred one for null or blank. */
    static VectorSpecies<Float> floats(String bits) {
        if (bits == null || bits.isBlank()) {
            return FloatVector.SPECIES_PREFERRED.length() > MAX_LANES ? FloatVector.SPECIES_512 : FloatVector.SPECIES_PREFERRED;
        }
        return switch (bits.strip()) {
            case "128" -> FloatVector.SPECIES_128;
            case "256" -> FloatVector.SPECIES_256;
            case "512" -> FloatVector.SPECIES_512;
            case "alternate" -> FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512
                    ? FloatVector.SPECIES_256 : FloatVector.SPECIES_512;
            default -> throw new IllegalArgumentException(
                    PROPERTY + " must be 128, 256, 512 or alternate, got '" + bits + "'");
        };
    }
}
