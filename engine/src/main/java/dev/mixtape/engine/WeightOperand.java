package dev.mixtape.engine;

/**
 * The rule for the weight operand of a matmul or the fused output head (and, through
 * {@link #requireFrozen}, an embedding table): it has the input's dtype, or it is a frozen
 * {@link DType#BF16} or block-format weight read by F32 arithmetic (a half to an eighth of the
 * memory and of the bytes streamed per decoded token; the backend widens each value as it reads it).
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
        if (!isFrozenStorageType(weight.dtype()) || input.dtype() != DType.F32) {
            throw new IllegalArgumentException(op + ": operands of different dtypes " + input.dtype() + " "
                    + Shapes.str(input.shape()) + " and " + weight.dtype() + " " + Shapes.str(weight.shape()));
        }
        requireFrozen(op, weight);
    }

    /** Throws if {@code weight} is a BF16 or block-format tensor that requires a gradient: such weights do not train. */
    static void requireFrozen(String op, Tensor weight) {
        if (isFrozenStorageType(weight.dtype()) && weight.requiresGrad()) {
            throw new IllegalArgumentException(op + ": the " + weight.dtype() + " weight " + Shapes.str(weight.shape())
                    + " requires a gradient, but " + weight.dtype() + " weights are frozen storage; train F32 weights");
        }
    }

    private static boolean isFrozenStorageType(DType dtype) {
        return dtype == DType.BF16 || dtype.isBlockFormat();
    }
}
