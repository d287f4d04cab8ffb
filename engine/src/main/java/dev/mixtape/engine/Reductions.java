package dev.mixtape.engine;

import java.util.Arrays;

/** Sums and means over axes; their backward broadcasts the gradient back over the reduced axes. */
final class Reductions {
    private Reductions() {
    }

    static Tensor sumAll(Tensor x) {
        int[] ones = new int[x.rank()];
        Arrays.fill(ones, 1);
        return sumKeep(x, ones).reshape();
    }

    static Tensor sum(Tensor x, boolean keepDims, int... axes) {
        int[] keptShape = x.shape();
        boolean[] reduced = new boolean[x.rank()];
        for (int axis : axes) {
            int a = Shapes.axis(axis, x.rank());
            reduced[a] = true;
            keptShape[a] = 1;
        }
        Tensor kept = sumKeep(x, keptShape);
        if (keepDims) {
            return kept;
        }
        int[] squeezed = new int[x.rank() - countTrue(reduced)];
        for (int i = 0, j = 0; i < reduced.length; i++) {
            if (!reduced[i]) {
                squeezed[j++] = keptShape[i];
            }
        }
        return kept.reshape(squeezed);
    }

    static Tensor mean(Tensor x, boolean keepDims, int... axes) {
        long count = 1;
        boolean[] reduced = new boolean[x.rank()];
        for (int axis : axes) {
            int a = Shapes.axis(axis, x.rank());
            if (!reduced[a]) {
                count *= x.dim(a);
            }
            reduced[a] = true;
        }
        return sum(x, keepDims, axes).div(count);
    }

    /** Sums {@code x} down to {@code shape}, the shape it was broadcast from (the backward of broadcasting). */
    static Tensor sumToShape(Tensor x, int[] shape) {
        if (Arrays.equals(x.shape(), shape)) {
            return x;
        }
        int lead = x.rank() - shape.length;
        int[] kept = new int[x.rank()];
        for (int i = 0; i < x.rank(); i++) {
            kept[i] = i < lead ? 1 : shape[i - lead];
        }
        return sumKeep(x, kept).reshape(shape);
    }

    /** Sum to {@code keptShape}: x's rank, with 1 on the summed dimensions. */
    private static Tensor sumKeep(Tensor x, int[] keptShape) {
        Tensor out = Tensor.zeros(x.backend(), x.dtype(), keptShape);
        x.backend().sumTo(x, out);
        int[] inShape = x.shape();
        return Tape.record("sum", out, g -> new Tensor[] {g.expand(inShape)}, x);
    }

    private static int countTrue(boolean[] flags) {
        int n = 0;
        for (boolean f : flags) {
            n += f ? 1 : 0;
        }
        return n;
    }
}
