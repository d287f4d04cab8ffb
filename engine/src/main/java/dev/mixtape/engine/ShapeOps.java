package dev.mixtape.engine;

import java.util.Arrays;
import java.util.List;

/**
 * Ops that move or re-view elements without arithmetic: reshape, transpose, permute, slice, expand,
 * contiguous, concat, split. Views share storage with their input; their backward maps the gradient
 * back to the input's shape.
 */
final class ShapeOps {
    private ShapeOps() {
    }

    static Tensor reshape(Tensor x, int[] requested) {
        int[] shape = resolveShape(x, requested);
        if (Arrays.equals(shape, x.shape())) {
            return x;
        }
        Tensor base = x.isContiguous() ? x : contiguous(x);
        Tensor out = base.view(shape, Shapes.contiguousStrides(shape), base.offset());
        int[] inShape = base.shape();
        return Tape.record("reshape", out, g -> new Tensor[] {reshape(g, inShape)}, base);
    }

    private static int[] resolveShape(Tensor x, int[] requested) {
        int[] shape = requested.clone();
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == -1) {
                if (inferred >= 0) {
                    throw new IllegalArgumentException("reshape: more than one -1 in " + Shapes.str(requested));
                }
                inferred = i;
            } else {
                known *= shape[i];
            }
        }
        if (inferred >= 0 && known > 0 && x.numel() % known == 0) {
            shape[inferred] = (int) (x.numel() / known);
        }
        if (Shapes.numel(shape) != x.numel() || (inferred >= 0 && shape[inferred] < 0)) {
            throw new IllegalArgumentException("reshape: cannot view shape " + Shapes.str(x.shape())
                    + " as " + Shapes.str(requested));
        }
        return shape;
    }

    static Tensor transpose(Tensor x, int axis0, int axis1) {
        int[] order = new int[x.rank()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        int a = Shapes.axis(axis0, x.rank());
        int b = Shapes.axis(axis1, x.rank());
        order[a] = b;
        order[b] = a;
        return permute(x, order);
    }

    static Tensor permute(Tensor x, int[] order) {
        int rank = x.rank();
        if (order.length != rank) {
            throw new IllegalArgumentException("permute: order " + Shapes.str(order) + " for rank " + rank);
        }
        int[] shape = x.shape();
        int[] strides = x.strides();
        int[] newShape = new int[rank];
        int[] newStrides = new int[rank];
        int[] inverse = new int[rank];
        boolean[] seen = new boolean[rank];
        for (int i = 0; i < rank; i++) {
            int from = Shapes.axis(order[i], rank);
            if (seen[from]) {
                throw new IllegalArgumentException("permute: order " + Shapes.str(order) + " repeats axis " + from);
            }
            seen[from] = true;
            newShape[i] = shape[from];
            newStrides[i] = strides[from];
            inverse[from] = i;
        }
        Tensor out = x.view(newShape, newStrides, x.offset());
        return Tape.record("permute", out, g -> new Tensor[] {permute(g, inverse)}, x);
    }

    static Tensor slice(Tensor x, int axis, int start, int end) {
        int a = Shapes.axis(axis, x.rank());
        int[] shape = x.shape();
        if (start < 0 || end > shape[a] || start > end) {
            throw new IllegalArgumentException("slice [" + start + ", " + end + ") out of range for axis " + a
                    + " of shape " + Shapes.str(shape));
        }
        int[] strides = x.strides();
        int[] newShape = shape.clone();
        newShape[a] = end - start;
        Tensor out = x.view(newShape, strides, x.offset() + start * strides[a]);
        return Tape.record("slice", out, g -> {
            Tensor full = Tensor.zeros(g.backend(), g.dtype(), shape);
            g.backend().copy(g, full.view(newShape, full.strides(), start * full.strides()[a]));
            return new Tensor[] {full};
        }, x);
    }

    static Tensor expand(Tensor x, int[] newShape) {
        int rank = newShape.length;
        if (rank < x.rank()) {
            throw new IllegalArgumentException("expand: cannot expand " + Shapes.str(x.shape()) + " to " + Shapes.str(newShape));
        }
        int[] shape = x.shape();
        int[] strides = x.strides();
        int[] newStrides = new int[rank];
        int lead = rank - shape.length;
        for (int i = 0; i < rank; i++) {
            int d = i < lead ? 1 : shape[i - lead];
            if (d == newShape[i]) {
                newStrides[i] = i < lead ? 0 : strides[i - lead];
            } else if (d == 1) {
                newStrides[i] = 0;
            } else {
                throw new IllegalArgumentException("expand: cannot expand " + Shapes.str(shape) + " to " + Shapes.str(newShape));
            }
        }
        if (Arrays.equals(shape, newShape)) {
            return x;
        }
        Tensor out = x.view(newShape.clone(), newStrides, x.offset());
        return Tape.record("expand", out, g -> new Tensor[] {Reductions.sumToShape(g, shape)}, x);
    }

    static Tensor contiguous(Tensor x) {
        if (x.isContiguous()) {
            return x;
        }
        Tensor out = Tensor.forOverwrite(x.backend(), x.dtype(), x.shape());
        x.backend().copy(x, out);
        return Tape.record("contiguous", out, g -> new Tensor[] {g}, x);
    }

    static Tensor concat(List<Tensor> parts, int axis) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("concat of no tensors");
        }
        Tensor first = parts.getFirst();
        int a = Shapes.axis(axis, first.rank());
        int[] shape = first.shape();
        int total = 0;
        for (Tensor p : parts) {
            int[] s = p.shape();
            int along = s[a];
            s[a] = shape[a];
            if (!Arrays.equals(s, shape)) {
                throw new IllegalArgumentException("concat: shape " + Shapes.str(p.shape()) + " does not match "
                        + Shapes.str(first.shape()) + " outside axis " + a);
            }
            total += along;
        }
        int[] outShape = shape.clone();
        outShape[a] = total;
        Tensor out = Tensor.zeros(first.backend(), first.dtype(), outShape);
        int[] starts = new int[parts.size()];
        int start = 0;
        for (int i = 0; i < parts.size(); i++) {
            Tensor p = parts.get(i);
            starts[i] = start;
            int[] partShape = p.shape();
            first.backend().copy(p, out.view(partShape, out.strides(), start * out.strides()[a]));
            start += partShape[a];
        }
        int[] ends = new int[parts.size()];
        for (int i = 0; i < ends.length; i++) {
            ends[i] = starts[i] + parts.get(i).dim(a);
        }
        return Tape.record("concat", out, g -> {
            Tensor[] grads = new Tensor[ends.length];
            for (int i = 0; i < ends.length; i++) {
                grads[i] = slice(g, a, starts[i], ends[i]);
            }
            return grads;
        }, parts.toArray(Tensor[]::new));
    }

    static List<Tensor> split(Tensor x, int axis, int... sizes) {
        int a = Shapes.axis(axis, x.rank());
        int sum = Arrays.stream(sizes).sum();
        if (sum != x.dim(a)) {
            throw new IllegalArgumentException("split: sizes " + Shapes.str(sizes) + " do not add up to "
                    + x.dim(a) + " (axis " + a + " of " + Shapes.str(x.shape()) + ")");
        }
        Tensor[] parts = new Tensor[sizes.length];
        int start = 0;
        for (int i = 0; i < sizes.length; i++) {
            parts[i] = slice(x, a, start, start + sizes[i]);
            start += sizes[i];
        }
        return List.of(parts);
    }
}
