package dev.mixtape.engine;

/**
 * Element types. Tensors compute in {@link #F32} (and {@link #F64} on backends that support it, for
 * gradient checks); {@link #F16} and {@link #BF16} appear in weight files and are widened to f32 when
 * read. The Vector backend can also keep frozen weights in {@link #BF16} ({@link Tensor#to(DType)}):
 * matmuls, embedding lookups and the fused output head read them, widening each value.
 */
public enum DType {
    F32(4), F64(8), F16(2), BF16(2);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /**
     * The type arithmetic on values of this type is done in: F32 for the 16-bit storage types (a
     * {@link #BF16} weight is widened as it is read), the type itself otherwise.
     */
    public DType arithmetic() {
        return this == F16 || this == BF16 ? F32 : this;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
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
