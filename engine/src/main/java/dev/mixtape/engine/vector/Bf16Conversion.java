package dev.mixtape.engine.vector;

import dev.mixtape.engine.DType;
import dev.mixtape.engine.Tensor;

import java.util.Arrays;

/**
 * The Vector backend's conversions between f32 and the bf16 of frozen weights: a {@code copy} between
 * the two dtypes, and a bf16 weight widened into a temporary f32 tensor for the kernels that read f32.
 */
final class Bf16Conversion {
    private final VectorBackend owner;
    private final VectorMemory memory;

    Bf16Conversion(VectorBackend owner, VectorMemory memory) {
        this.owner = owner;
        this.memory = memory;
    }

    static boolean isBf16(Tensor t) {
        return t.dtype() == DType.BF16;
    }

    /**
     * A BF16 tensor's values widened into a new F32 tensor, for the products whose blocked kernels read
     * f32 (a whole prompt, a training batch): the copy lives for one call, the weight stays in bf16.
     */
    Tensor widened(Tensor t) {
        Tensor out = Tensor.zeros(owner, DType.F32, t.shape());
        convert(t, out);
        return out;
    }

    /**
     * Copies between dtypes (widening from or narrowing to bf16). A BF16 tensor is a whole weight, so
     * BF16 sides must be contiguous; an F32 view is made contiguous first.
     */
    void convert(Tensor src, Tensor dst) {
        if (!isBf16(src) && !src.isContiguous()) {
            src = src.copy();
        }
        if (!src.isContiguous() || !dst.isContiguous()) {
            throw new IllegalArgumentException("copying " + src.dtype() + " " + Arrays.toString(src.shape()) + " to " + dst.dtype()
                    + ": BF16 tensors are whole weight matrices, read and written contiguously, not as views");
        }
        int n = dst.numel();
        int from = src.offset();
        int to = dst.offset();
        if (isBf16(src) && isBf16(dst)) {
            System.arraycopy(memory.bf16(src), from, memory.bf16(dst), to, n);
        } else if (isBf16(src)) {
            short[] s = memory.bf16(src);
            float[] d = memory.data(dst);
            for (int i = 0; i < n; i++) {
                d[to + i] = DType.bf16ToFloat(s[from + i]);
            }
        } else {
            float[] s = memory.data(src);
            short[] d = memory.bf16(dst);
            for (int i = 0; i < n; i++) {
                d[to + i] = DType.floatToBf16(s[from + i]);
            }
        }
    }
}
