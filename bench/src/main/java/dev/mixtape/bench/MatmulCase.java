package dev.mixtape.bench;

/**
 * One benchmarked product {@code C[m×n] = op(A)·op(B)} with shared dimension k, named after where it
 * occurs ({@code shape}) and how its operands are read ({@code form}).
 *
 * @param shape the table's label, e.g. {@code "1024³"} or {@code "stories15M 288→768"}
 * @param form  which product of the layer
 */
record MatmulCase(String shape, MatmulForm form, int m, int n, int k) {

    /** The square product {@code [size×size]·[size×size]}. */
    static MatmulCase square(int size) {
        return new MatmulCase(size + "³", MatmulForm.SQUARE, size, size, size);
    }

    /**
     * One of the three products of a Linear layer {@code in → out} applied to {@code tokens} rows:
     * forward {@code [T,in]·[out,in]ᵀ}, input gradient {@code [T,out]·[out,in]}, weight gradient
     * {@code [T,out]ᵀ·[T,in]}.
     */
    static MatmulCase linear(String model, int in, int out, int tokens, MatmulForm form) {
        String shape = model + " " + in + "→" + out;
        return switch (form) {
            case FORWARD -> new MatmulCase(shape, form, tokens, out, in);
            case INPUT_GRAD -> new MatmulCase(shape, form, tokens, in, out);
            case WEIGHT_GRAD -> new MatmulCase(shape, form, out, in, tokens);
            case SQUARE -> throw new IllegalArgumentException("a Linear layer has no square form: " + shape);
        };
    }

    /** Floating-point operations of one product (a multiply and an add per term). */
    double flops() {
        return 2.0 * m * n * k;
    }

    /** Row-major shape of the stored A: [m, k], or [k, m] when read transposed. */
    int[] shapeA() {
        return form.transA() ? new int[] {k, m} : new int[] {m, k};
    }

    /** Row-major shape of the stored B: [k, n], or [n, k] when read transposed. */
    int[] shapeB() {
        return form.transB() ? new int[] {n, k} : new int[] {k, n};
    }

    /** A compact identifier that survives the trip through a JMH string parameter. */
    String id() {
        return form.name() + ":" + m + "x" + n + "x" + k + ":" + shape;
    }

    /** The case whose {@link #id()} is {@code id}. */
    static MatmulCase parse(String id) {
        String[] parts = id.split(":", 3);
        if (parts.length != 3) {
            throw new IllegalArgumentException("not a matmul case id: '" + id + "' (expected FORM:MxNxK:label)");
        }
        String[] sizes = parts[1].split("x");
        return new MatmulCase(parts[2], MatmulForm.valueOf(parts[0]),
                Integer.parseInt(sizes[0]), Integer.parseInt(sizes[1]), Integer.parseInt(sizes[2]));
    }
}
