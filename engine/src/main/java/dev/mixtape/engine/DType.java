package dev.mixtape.engine;

/**
 * Element types. Tensors compute in {@link #F32} (and {@link #F64} on backends that support it, for
 * gradient checks); {@link #F16} and {@link #BF16} appear in weight files and are widened to f32 when
 * read. The Vector backend can also keep frozen weights in {@link #BF16} ({@link Tensor#to(DType)}):
 * matmuls, embedding lookups and the fused output head read them, widening each value.
 *
 * <p>The block formats ({@link #Q8_0} ... {@link #Q6_K}, ggml's, laid out as docs/QUANTIZATION.md
 * describes) hold frozen weight matrices as blocks of {@link #blockSize} elements in
 * {@link #blockBytes} bytes each, rows of whole blocks. Such a tensor is made with
 * {@link Tensor#ofBlocks} on a backend with the {@link BlockWeights} capability and is read, like a
 * BF16 weight, by matmuls, embedding lookups and the output head, in F32 arithmetic.
 */
public enum DType {
    F32(1, 4), F64(1, 8), F16(1, 2), BF16(1, 2),
    Q8_0(32, 34), Q4_0(32, 18), Q4_1(32, 20), Q5_0(32, 22), Q5_1(32, 24), Q4_K(256, 144), Q5_K(256, 176), Q6_K(256, 210);

    private final int blockSize;
    private final int blockBytes;

    DType(int blockSize, int blockBytes) {
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /**
     * The type arithmetic on values of this type is done in: F32 for the 16-bit storage types and the
     * block formats (a {@link #BF16} or {@link #Q4_0} weight is widened as it is read), the type
     * itself otherwise.
     */
    public DType arithmetic() {
        return this == F16 || this == BF16 || isBlockFormat() ? F32 : this;
    }

    /** Whether this is one of ggml's block formats, whose elements take no whole number of bytes. */
    public boolean isBlockFormat() {
        return blockSize > 1;
    }

    /** Elements per block: 1 for the element types. */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block: the element's size for the element types. */
    public int blockBytes() {
        return blockBytes;
    }

    /** Size of one element in bytes; a block format has none (see {@link #storageBytes}). */
    public int bytes() {
        if (isBlockFormat()) {
            throw new UnsupportedOperationException(this + " stores " + blockSize + " elements in " + blockBytes
                    + " bytes, not a whole number of bytes per element");
        }
        return blockBytes;
    }

    /** The bytes {@code elements} values take in this type (a whole number of blocks for a block format). */
    public long storageBytes(long elements) {
        return Math.ceilDiv(elements, blockSize) * blockBytes;
    }

    /** Widens an IEEE half-precision value (bits in the low 16 of {@code bits}) to float. */
    public static float halfToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** Narrows a float to IEEE half precision, rounding to nearest even. */
    public static short floatToHalf(float value) {
        return Float.floatToFloat16(value);
    }

    /** Widens a bfloat16 value to float: bf16 is the top half of an f32. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** Narrows a float to bfloat16, rounding to nearest even (NaN stays NaN). */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
