package dev.mixtape.engine.vector;

/**
 * A batch of matrices inside a float array, addressed by strides: element {@code (t, row, col)} is
 * {@code data[offset + t·batchStride + row·rowStride + col·colStride]}. A transposed matrix is the
 * same storage with the two strides swapped, which is how {@link Sgemm} reads {@code Aᵀ} and
 * {@code Bᵀ} without copying them.
 */
record StridedMatrix(String name, float[] data, int offset, int batchStride, int rowStride, int colStride) {

    /** Index of element {@code (t, row, col)} in {@link #data()}. */
    int index(int t, int row, int col) {
        return offset + t * batchStride + row * rowStride + col * colStride;
    }

    /**
     * Checks that every element of a {@code batch × rows × cols} view lies inside the array, so that
     * a wrong offset or stride fails here with the operand's name instead of deep in a kernel.
     */
    void requireInside(int batch, int rows, int cols) {
        if (batch == 0 || rows == 0 || cols == 0) {
            return;
        }
        long first = offset;
        long last = offset + (long) (batch - 1) * batchStride + (long) (rows - 1) * rowStride
                + (long) (cols - 1) * colStride;
        if (offset < 0 || batchStride < 0 || last >= data.length) {
            throw new IllegalArgumentException("matmul operand " + name + ": a batch of " + batch + " matrices of "
                    + rows + "×" + cols + " at offset " + first + " (batch stride " + batchStride + ", row stride "
                    + rowStride + ", column stride " + colStride + ") reaches index " + last
                    + " but the array has length " + data.length);
        }
    }
}
