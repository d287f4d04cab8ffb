package dev.mixtape.bench;

/**
 * How a benchmarked product uses its operands: a plain square product, or one of the three products
 * a Linear layer {@code y = x·Wᵀ} needs in training (forward, gradient of the input, gradient of the
 * weight). The transpose flags say how the stored row-major operands are read.
 */
enum MatmulForm {
    /** {@code A·B}, both stored as used. */
    SQUARE("A·B", false, false),
    /** Forward {@code x·Wᵀ}: x is [T, in], W is [out, in]. */
    FORWARD("x·Wᵀ", false, true),
    /** Input gradient {@code dY·W}: dY is [T, out], W is [out, in]. */
    INPUT_GRAD("dY·W", false, false),
    /** Weight gradient {@code dYᵀ·X}: dY is [T, out], X is [T, in]. */
    WEIGHT_GRAD("dYᵀ·X", true, false);

    private final String formula;
    private final boolean transA;
    private final boolean transB;

    MatmulForm(String formula, boolean transA, boolean transB) {
        this.formula = formula;
        this.transA = transA;
        this.transB = transB;
    }

    /** The product as a formula, for the table. */
    String formula() {
        return formula;
    }

    /** Whether A is stored k×m and read transposed. */
    boolean transA() {
        return transA;
    }

    /** Whether B is stored n×k and read transposed. */
    boolean transB() {
        return transB;
    }
}
