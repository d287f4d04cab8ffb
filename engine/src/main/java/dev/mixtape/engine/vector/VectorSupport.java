package dev.mixtape.engine.vector;

import java.util.logging.Logger;

/**
 * Detects whether the JVM was started with {@code --add-modules jdk.incubator.vector}. Without it the
 * Vector backend falls back to scalar kernels and logs that once per JVM; nothing else changes.
 */
final class VectorSupport {
    private static final Logger LOG = Logger.getLogger(VectorSupport.class.getName());
    private static final boolean AVAILABLE = detect();

    private VectorSupport() {
    }

    static boolean available() {
        return AVAILABLE;
    }

    /** The SIMD kernels; only call when {@link #available()}, so the class is never loaded otherwise. */
    static ArrayKernels simdKernels() {
        return new SimdArrayKernels();
    }

    /**
     * The SIMD micro-kernel of the GEMM for this vector width: {@link SimdTallMicroKernel}'s 8-row tile
     * at 512 bits, where AVX-512's 32 registers hold its 16 accumulators, {@link SimdMicroKernel}'s
     * 4-row tile at narrower widths. Only call when {@link #available()}.
     */
    static MicroKernel simdKernel() {
        return VectorWidth.FLOATS.vectorBitSize() >= 512 ? new SimdTallMicroKernel() : new SimdMicroKernel();
    }

    /** The one-vector-wide SIMD micro-kernel for narrow products; only call when {@link #available()}. */
    static MicroKernel simdNarrowKernel() {
        return new SimdNarrowMicroKernel();
    }

    /** The SIMD matrix-vector kernel (two rows per weight load); only call when {@link #available()}. */
    static Gemv simdGemv() {
        return new SimdRowPairGemv();
    }

    /** The SIMD matrix-vector kernel for bf16 weights; only call when {@link #available()}. */
    static Bf16Gemv simdBf16Gemv() {
        return new SimdBf16Gemv();
    }

    private static boolean detect() {
        boolean present = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        if (!present) {
            LOG.warning("jdk.incubator.vector is not enabled: Mixtape runs on scalar kernels, several times slower. "
                    + "Start the JVM with --add-modules jdk.incubator.vector for the Vector API kernels.");
        }
        return present;
    }
}
