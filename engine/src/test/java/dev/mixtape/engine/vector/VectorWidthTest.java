package dev.mixtape.engine.vector;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** What each value of {@code mixtape.vector.bits} selects, and that a wrong one is refused by name. */
class VectorWidthTest {

    @Test
    void namedWidthsSelectTheirSpecies() {
        assertEquals(FloatVector.SPECIES_PREFERRED, VectorWidth.floats(null));
        assertEquals(FloatVector.SPECIES_PREFERRED, VectorWidth.floats(" "));
        assertEquals(FloatVector.SPECIES_128, VectorWidth.floats("128"));
        assertEquals(FloatVector.SPECIES_256, VectorWidth.floats("256"));
        assertEquals(FloatVector.SPECIES_512, VectorWidth.floats(" 512 "));
    }

    /** The second test run must see the width this host would not use by itself, 256 or 512 bits. */
    @Test
    void alternateIsTheOtherOf256And512() {
        int alternate = VectorWidth.floats("alternate").vectorBitSize();
        assertNotEquals(FloatVector.SPECIES_PREFERRED.vectorBitSize(), alternate);
        assertEquals(FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512 ? 256 : 512, alternate);
    }

    @Test
    void otherValuesAreRefusedNamingTheProperty() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VectorWidth.floats("1024"));
        assertEquals("mixtape.vector.bits must be 128, 256, 512 or alternate, got '1024'", e.getMessage());
    }
}
