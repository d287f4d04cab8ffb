package dev.mixtape.engine.vector;

import dev.mixtape.engine.quant.BlockFormat;
import dev.mixtape.engine.quant.QuantizedMatrix;

import java.util.Arrays;

/**
 * {@link QuantizedGemv} for any block format in plain loops: each block is decoded by its
 * {@link BlockFormat} into a small buffer, then multiplied. The fallback without the Vector API and
 * for formats that have no SIMD kernel.
 */
final class ScalarQuantizedGemv implements QuantizedGemv {

    @Override
    public void timesTransposed(int m, float[] x, int xOff, int ldx, QuantizedMatrix w, float[] y, int yOff, int ldy,
                                boolean accumulate, int fromRow, int toRow) {
        BlockFormat format = w.format();
        int size = format.blockSize();
        float[] block = new float[size];
        float[] sums = new float[m];
        for (int r = fromRow; r < toRow; r++) {
            Arrays.fill(sums, 0f);
            for (int b = 0; b < w.blocksPerRow(); b++) {
                format.dequantizeBlock(w.blocks(), w.blockOffset(r, b), block, 0);
                for (int i = 0; i < m; i++) {
                    int xFrom = xOff + i * ldx + b * size;
                    float sum = sums[i];
                    for (int j = 0; j < size; j++) {
                        sum += block[j] * x[xFrom + j];
                    }
                    sums[i] = sum;
                }
            }
            for (int i = 0; i < m; i++) {
                int at = yOff + i * ldy + r;
                y[at] = accumulate ? y[at] + sums[i] : sums[i];
            }
        }
    }

    @Override
    public void times(int m, float[] dy, int dyOff, int lddy, QuantizedMatrix w, float[] dx, int dxOff, int lddx,
                      boolean accumulate, int fromBlock, int toBlock) {
        BlockFormat format = w.format();
        int size = format.blockSize();
        if (!accumulate) {
            for (int i = 0; i < m; i++) {
                Arrays.fill(dx, dxOff + i * lddx + fromBlock * size, dxOff + i * lddx + toBlock * size, 0f);
            }
        }
        float[] block = new float[size];
        for (int r = 0; r < w.rows(); r++) {
            for (int b = fromBlock; b < toBlock; b++) {
                format.dequantizeBlock(w.blocks(), w.blockOffset(r, b), block, 0);
                for (int i = 0; i < m; i++) {
                    float g = dy[dyOff + i * lddy + r];
                    int out = dxOff + i * lddx + b * size;
                    for (int j = 0; j < size; j++) {
                        dx[out + j] += g * block[j];
                    }
                }
            }
        }
    }
}
