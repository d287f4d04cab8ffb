package dev.mixtape.engine.vector;

import dev.mixtape.engine.quant.QuantizedMatrix;

/**
 * The {@code [vocab, dim]} weight of a frozen output head as {@link TiledLinearCrossEntropy} reads it:
 * a part of the vocabulary packed for the micro-kernel in the two layouts its products take, and one
 * token's row added to a gradient. Kept in floats ({@link Floats}) or in a block format
 * ({@link Blocks}), where each part is decoded from the blocks as it is packed, so a quantised head
 * is never in floats whole; both give the same packed floats for the same values.
 */
sealed interface HeadWeight {

    /** Tokens {@code [token0, token0 + tokens)} packed as op(B) = {@code W_partᵀ}, for the logits {@code x·W_partᵀ}. */
    Sgemm.PackedB packForLogits(Sgemm sgemm, int token0, int tokens);

    /** Tokens {@code [token0, token0 + tokens)} packed as op(B) = {@code W_part}, for the input gradient {@code dLogits·W_part}. */
    Sgemm.PackedB packForGradient(Sgemm sgemm, int token0, int tokens);

    /** {@code dst[dstOff ..] += alpha · W[token]}; {@code row} holds at least dim floats of scratch. */
    void addRow(ArrayKernels kernels, float alpha, int token, float[] dst, int dstOff, float[] row);

    /** A weight held as row-major floats from {@code offset}. */
    record Floats(float[] values, int offset, int dim) implements HeadWeight {
        @Override
        public Sgemm.PackedB packForLogits(Sgemm sgemm, int token0, int tokens) {
            return sgemm.pack(true, tokens, dim, values, offset + token0 * dim, dim);
        }

        @Override
        public Sgemm.PackedB packForGradient(Sgemm sgemm, int token0, int tokens) {
            return sgemm.pack(false, dim, tokens, values, offset + token0 * dim, dim);
        }

        @Override
        public void addRow(ArrayKernels kernels, float alpha, int token, float[] dst, int dstOff, float[] row) {
            kernels.axpy(alpha, values, offset + token * dim, dst, dstOff, dim);
        }
    }

    /** A weight held in a block format. */
    record Blocks(QuantizedMatrix matrix) implements HeadWeight {
        @Override
        public Sgemm.PackedB packForLogits(Sgemm sgemm, int token0, int tokens) {
            return sgemm.pack(matrix, true, token0, tokens);
        }

        @Override
        public Sgemm.PackedB packForGradient(Sgemm sgemm, int token0, int tokens) {
            return sgemm.pack(matrix.rowRange(token0, tokens), false);
        }

        @Override
        public void addRow(ArrayKernels kernels, float alpha, int token, float[] dst, int dstOff, float[] row) {
            matrix.dequantizeRow(token, row, 0);
            kernels.axpy(alpha, row, 0, dst, dstOff, matrix.cols());
        }
    }
}
