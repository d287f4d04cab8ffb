package dev.mixtape.engine.vector;

import dev.mixtape.engine.BinaryOp;
import dev.mixtape.engine.Tensor;

/**
 * Loops over tensors of any strides (views, broadcasts): the general path behind copy, binary ops
 * and reductions when the operands are not dense. The innermost dimension is the inner loop; an
 * odometer over the outer dimensions advances each operand's offset.
 */
final class StridedLoops {
    private StridedLoops() {
    }

    /** The per-row callback: {@code count} elements, each operand starting at its offset, stepping by its inner stride. */
    @FunctionalInterface
    interface Row {
        void run(int[] offsets, int[] innerStrides, int count);
    }

    /** Calls {@code row} once per innermost row of {@code shape}, with the offsets of each operand. */
    static void forEachRow(int[] shape, int[][] strides, int[] baseOffsets, Row row) {
        int operands = strides.length;
        int rank = shape.length;
        for (int d : shape) {
            if (d == 0) {
                return;
            }
        }
        int inner = rank == 0 ? 1 : shape[rank - 1];
        int[] innerStrides = new int[operands];
        for (int o = 0; o < operands; o++) {
            innerStrides[o] = rank == 0 ? 0 : strides[o][rank - 1];
        }
        int[] counter = new int[Math.max(0, rank - 1)];
        int[] offsets = baseOffsets.clone();
        while (true) {
            row.run(offsets, innerStrides, inner);
            int d = rank - 2;
            while (d >= 0) {
                counter[d]++;
                for (int o = 0; o < operands; o++) {
                    offsets[o] += strides[o][d];
                }
                if (counter[d] < shape[d]) {
                    break;
                }
                for (int o = 0; o < operands; o++) {
                    offsets[o] -= strides[o][d] * shape[d];
                }
                counter[d] = 0;
                d--;
            }
            if (d < 0) {
                return;
            }
        }
    }

    static void copy(Tensor src, float[] s, Tensor dst, float[] d) {
        if (dst.rank() == 0) {
            d[dst.offset()] = s[src.offset()];
            return;
        }
        copy(src, s, dst, d, 0, 0, dst.dim(0));
    }

    /**
     * Copies the part of {@code src} to {@code dst} whose index along {@code axis} is in
     * {@code [from, to)}, so that threads can share a copy. Rows that are contiguous on both sides
     * (a transpose of the outer dimensions, such as attention's heads and positions) are block copies.
     */
    static void copy(Tensor src, float[] s, Tensor dst, float[] d, int axis, int from, int to) {
        int[] shape = dst.shape();
        shape[axis] = to - from;
        int[] srcStrides = src.strides();
        int[] dstStrides = dst.strides();
        forEachRow(shape, new int[][] {srcStrides, dstStrides},
                new int[] {src.offset() + from * srcStrides[axis], dst.offset() + from * dstStrides[axis]},
                (off, step, count) -> {
                    int si = off[0];
                    int di = off[1];
                    if (step[0] == 1 && step[1] == 1) {
                        System.arraycopy(s, si, d, di, count);
                        return;
                    }
                    for (int i = 0; i < count; i++, si += step[0], di += step[1]) {
                        d[di] = s[si];
                    }
                });
    }

    static void binary(BinaryOp op, Tensor a, float[] av, Tensor b, float[] bv, Tensor out, float[] ov) {
        forEachRow(out.shape(), new int[][] {a.strides(), b.strides(), out.strides()},
                new int[] {a.offset(), b.offset(), out.offset()}, (off, step, count) -> {
                    int ai = off[0];
                    int bi = off[1];
                    int oi = off[2];
                    for (int i = 0; i < count; i++, ai += step[0], bi += step[1], oi += step[2]) {
                        float x = av[ai];
                        float y = bv[bi];
                        ov[oi] = switch (op) {
                            case ADD -> x + y;
                            case SUB -> x - y;
                            case MUL -> x * y;
                            case DIV -> x / y;
                        };
                    }
                });
    }

    /** {@code out += x} summed over the dimensions where {@code out} has size 1 (out is zeroed by the caller). */
    static void sumTo(Tensor x, float[] xv, Tensor out, float[] ov) {
        int[] outStrides = out.strides();
        int[] outShape = out.shape();
        int[] xShape = x.shape();
        int[] reducing = new int[xShape.length];
        for (int i = 0; i < xShape.length; i++) {
            reducing[i] = outShape[i] == 1 && xShape[i] != 1 ? 0 : outStrides[i];
        }
        forEachRow(xShape, new int[][] {x.strides(), reducing}, new int[] {x.offset(), out.offset()},
                (off, step, count) -> {
                    int xi = off[0];
                    int oi = off[1];
                    if (step[1] == 0) {
                        double s = 0;
                        for (int i = 0; i < count; i++, xi += step[0]) {
                            s += xv[xi];
                        }
                        ov[oi] += (float) s;
                    } else {
                        for (int i = 0; i < count; i++, xi += step[0], oi += step[1]) {
                            ov[oi] += xv[xi];
                        }
                    }
                });
    }
}
