package dev.mixtape.engine;

/**
 * The rule for the weight operand of a matmul, an embedding lookup or the fused output head: it has
 * the input's dtype, or it is a frozen {@link DType#BF16} weight read by F32 arithmetic (half the
 * memory and half the bytes streamed per decoded token; the backend widens each value as it reads it).
 */
final class WeightOperand {
    private WeightOperand() {
    }

    /** Throws unless {@code weight} may be combined with {@code input} in {@code op}. */
    static void check(String op, Tensor input, Tensor weight) {
        if (input.backend() != weight.backend()) {
            throw new IllegalArgumentException(op + ": operands on different backends (" + input.backend().name() + ", "
                    + weight.backend().name() + ")");
        }
        if (input.dtype() == weight.dtype()) {
            return;
        }
        if (weight.dtype() != DType.BF16 || input.dtype() != DType.F32) {
            throw new IllegalArgumentException(op + ": operands of different dtypes " + input.dtype() + " "
                    + Shapes.str(input.shape()) + " and " + weight.dtype() + " " + Shapes.str(weight.shape()));
        }
        if (weight.requiresGrad()) {
            throw new IllegalArgumentException(op + ": the BF16 weight " + Shapes.str(weight.shape())
                    + " requires a gradient, but BF16 weights are frozen storage; train F32 weights");
        }
    }
}
