package dev.mixtape.engine;

import java.lang.foreign.MemorySegment;

/**
 * Capability of a backend that keeps frozen weight matrices in one of ggml's block formats
 * ({@link DType#isBlockFormat()}) and multiplies by them directly: its {@link Backend#matmul} takes
 * such a weight as the right operand ({@code x·Wᵀ} and {@code dY·W}, decoding blocks inside its
 * kernels), {@link Backend#gatherRows} decodes the rows it gathers, {@link FusedLinearCrossEntropy}
 * reads it as an output head, and {@link Backend#copy} / {@link Backend#toFloatArray} dequantise it
 * to F32. Such weights never train: an op refuses one that requires a gradient. Reached through
 * {@link Tensor#ofBlocks}.
 */
public interface BlockWeights {

    /**
     * A storage for the {@code rows × cols} matrix whose blocks of {@code format} are
     * {@code blocks}, row after row ({@code cols} a multiple of the block size); the segment is read,
     * never written, and must stay valid as long as the storage is used.
     */
    Storage blockStorage(DType format, int rows, int cols, MemorySegment blocks);
}
