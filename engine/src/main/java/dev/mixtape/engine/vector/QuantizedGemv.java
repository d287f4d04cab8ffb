package dev.mixtape.engine.vector;

import dev.mixtape.engine.quant.QuantizedMatrix;

/**
 * Products of a few activation rows with a weight matrix kept in a block format
 * ({@link QuantizedMatrix}), reading each block once and decoding it in registers: the decoding
 * product {@code y = x·Wᵀ} and the gradient to the input {@code dX = dY·W}. Ranges are given so that
 * callers can split the work between threads; each output depends only on its own range's blocks.
 */
interface QuantizedGemv {
    /**
     * {@code y[i, r] = Σ_p x[i, p]·W[r, p]} (added to y with {@code accumulate}) for {@code i < m} and
     * the weight rows {@code fromRow ≤ r < toRow}; row i of x starts at {@code xOff + i·ldx}, y's
     * element {@code (i, r)} is {@code y[yOff + i·ldy + r]}.
     */
    void timesTransposed(int m, float[] x, int xOff, int ldx, QuantizedMatrix w, float[] y, int yOff, int ldy,
                         boolean accumulate, int fromRow, int toRow);

    /**
     * {@code dx[i, c] = Σ_r dy[i, r]·W[r, c]} (added to dx with {@code accumulate}) for {@code i < m}
     * and the columns of the blocks {@code fromBlock ≤ b < toBlock} of every row,
     * {@code c} in {@code [fromBlock·blockSize, toBlock·blockSize)}; dy's element {@code (i, r)} is
     * {@code dy[dyOff + i·lddy + r]}, dx's {@code (i, c)} is {@code dx[dxOff + i·lddx + c]}.
     */
    void times(int m, float[] dy, int dyOff, int lddy, QuantizedMatrix w, float[] dx, int dxOff, int lddx,
               boolean accumulate, int fromBlock, int toBlock);
}
