package dev.mixtape.models.gguf;

import java.util.List;

/**
 * One tensor's entry in a GGUF file.
 *
 * @param name       the tensor's name, e.g. {@code blk.0.attn_q.weight}
 * @param dimensions the sizes as GGUF stores them, innermost (fastest-varying) first: a PyTorch
 *                   {@code [rows, cols]} matrix is stored as {@code [cols, rows]}
 * @param type       how the elements are encoded
 * @param offset     where the bytes start, relative to the file's data section
 * @param byteSize   how many bytes the tensor takes
 */
public record GgufTensorInfo(String name, List<Long> dimensions, GgmlType type, long offset, long byteSize) {

    /** Copies the dimensions so that the record stays immutable. */
    public GgufTensorInfo {
        dimensions = List.copyOf(dimensions);
    }

    /** The number of elements: the product of the dimensions. */
    public long elementCount() {
        long count = 1;
        for (long dimension : dimensions) {
            count = Math.multiplyExact(count, dimension);
        }
        return count;
    }

    /** The shape outermost first, as PyTorch and the engine write it: the dimensions reversed. */
    public long[] rowMajorShape() {
        long[] shape = new long[dimensions.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = dimensions.get(shape.length - 1 - i);
        }
        return shape;
    }
}
