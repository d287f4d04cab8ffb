package dev.mixtape.engine;

/**
 * The rule for the weight operand of a matmul or the fused output head (and, through
 * {@link #requireFrozen}, an embedding table): it has the input's dtype, or it is a frozen
 * {@link DType#BF16} weight read by F32 arithmetic (half the
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
        requireFrozen(op, weight);
    }

    /** Throws if {@code weight} is a BF16 tensor that requires a gradient: BF16 weights do not train. */
    static void requireFrozen(String op, Tensor weight) {
        if (weight.dtype() == DType.BF16 && weight.requiresGrad()) {
            throw new IllegalArgumentException(op + ": the BF16 weight " + Shapes.str(weight.shape())
                    + " requires a gradient, but BF16 weights are frozen storage; train F32 weights");
        }
    }
}
