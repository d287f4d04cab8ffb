package dev.mixtape.engine.quant;

import java.util.List;

/**
 * The block formats Mixtape reads, one instance each: ggml's legacy 32-element formats and its
 * 256-element K-quants. Q8_0 and Q4_0 can also be written ({@link QuantizingFormat}).
 */
public final class BlockFormats {
    /** 8-bit values with one f16 scale per 32. */
    public static final QuantizingFormat Q8_0 = new Q8_0Format();
    /** 4-bit values with one f16 scale per 32. */
    public static final QuantizingFormat Q4_0 = new Q4_0Format();
    /** 4-bit values with an f16 scale and offset per 32. */
    public static final BlockFormat Q4_1 = new Q4_1Format();
    /** 5-bit values with one f16 scale per 32. */
    public static final BlockFormat Q5_0 = new Q5_0Format();
    /** 5-bit values with an f16 scale and offset per 32. */
    public static final BlockFormat Q5_1 = new Q5_1Format();
    /** 4-bit values in sub-blocks of 32 with 6-bit scales and minimums, per 256. */
    public static final BlockFormat Q4_K = new Q4_KFormat();
    /** 5-bit values in sub-blocks of 32 with 6-bit scales and minimums, per 256. */
    public static final BlockFormat Q5_K = new Q5_KFormat();
    /** 6-bit values in sub-blocks of 16 with 8-bit scales, per 256. */
    public static final BlockFormat Q6_K = new Q6_KFormat();

    /**
     * Q8_0 in groups of eight blocks with their bytes interleaved, as the decoding kernels read them
     * (not a ggml format, not in {@link #ALL}: {@link InterleavedQ8_0Format#interleave} makes it).
     */
    public static final BlockFormat Q8_0_BY_8 = new InterleavedQ8_0Format();
    /** Q4_0 in groups of eight blocks interleaved, likewise ({@link InterleavedQ4_0Format#interleave}). */
    public static final BlockFormat Q4_0_BY_8 = new InterleavedQ4_0Format();

    /** Every ggml format above. */
    public static final List<BlockFormat> ALL = List.of(Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K);

    private BlockFormats() {
    }

    /** The format ggml names {@code name} (e.g. {@code Q4_K}), or null when Mixtape does not know it. */
    public static BlockFormat named(String name) {
        for (BlockFormat format : ALL) {
            if (format.name().equals(name)) {
                return format;
            }
        }
        return null;
    }
}
