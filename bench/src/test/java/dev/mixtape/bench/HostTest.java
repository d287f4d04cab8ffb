package dev.mixtape.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class HostTest {

    @Test
    void flagsPaddedWithSeveralSpacesAreReadAsOneList() {
        assertEquals("AVX-512", Host.simd("fpu vme  avx2 avx512f  avx512bw"));
        assertEquals("AVX2 (no AVX-512)", Host.simd(" sse4_2  avx2  fma "));
    }

    @Test
    void flagsWithoutAvx2OrNoneAtAllAreNamedAsSuch() {
        assertEquals("no AVX2", Host.simd("fpu sse sse2"));
        assertEquals("SIMD unknown", Host.simd(""));
    }
}
