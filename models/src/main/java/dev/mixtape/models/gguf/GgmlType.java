package dev.mixtape.models.gguf;

import dev.mixtape.engine.quant.BlockFormat;
import dev.mixtape.engine.quant.BlockFormats;

/**
 * A ggml tensor type as GGUF stores it: its id, and the layout of its blocks (how many elements one
 * block holds and how many bytes it takes), which is what sizes a tensor in the file. Mixtape can
 * dequantise F32, F16, BF16 and the block formats of {@link BlockFormats} ({@link #canDequantize()});
 * the others are still known by size so that a file that holds them can be opened, validated and read
 * for its metadata (a tokenizer, say).
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 18),
    Q4_1(3, 32, 20),
    Q5_0(6, 32, 22),
    Q5_1(7, 32, 24),
    Q8_0(8, 32, 34),
    Q8_1(9, 32, 36),
    Q2_K(10, 256, 84),
    Q3_K(11, 256, 110),
    Q4_K(12, 256, 144),
    Q5_K(13, 256, 176),
    Q6_K(14, 256, 210),
    Q8_K(15, 256, 292),
    IQ2_XXS(16, 256, 66),
    IQ2_XS(17, 256, 74),
    IQ3_XXS(18, 256, 98),
    IQ1_S(19, 256, 50),
    IQ4_NL(20, 32, 18),
    IQ3_S(21, 256, 110),
    IQ2_S(22, 256, 82),
    IQ4_XS(23, 256, 136),
    I8(24, 1, 1),
    I16(25, 1, 2),
    I32(26, 1, 4),
    I64(27, 1, 8),
    F64(28, 1, 8),
    IQ1_M(29, 256, 56),
    BF16(30, 1, 2),
    TQ1_0(34, 256, 54),
    TQ2_0(35, 256, 66),
    MXFP4(39, 32, 17);

    private final int id;
    private final int blockSize;
    private final int blockBytes;

    GgmlType(int id, int blockSize, int blockBytes) {
        this.id = id;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** The number the file stores for this type. */
    public int id() {
        return id;
    }

    /** How many elements one block holds (1 for plain float and integer types). */
    public int blockSize() {
        return blockSize;
    }

    /** How many bytes one block takes in the file. */
    public int blockBytes() {
        return blockBytes;
    }

    /** True for the types that {@link GgufFile#readFloats} turns into floats. */
    public boolean canDequantize() {
        return switch (this) {
            case F32, F16, BF16 -> true;
            default -> blockFormat() != null;
        };
    }

    /** The block format of a quantised type Mixtape reads (Q4_K, say), or null for the others. */
    public BlockFormat blockFormat() {
        return BlockFormats.named(name());
    }

    /** The bytes that {@code elements} elements of this type take; {@code elements} must fill whole blocks. */
    long bytesFor(long elements) {
        return Math.multiplyExact(elements / blockSize, (long) blockBytes);
    }

    /** The type with this id, or null when Mixtape does not know the id. */
    static GgmlType fromId(int id) {
        for (GgmlType type : values()) {
            if (type.id == id) {
                return type;
            }
        }
        return null;
    }
}
