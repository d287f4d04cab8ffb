package dev.mixtape.engine.nd4j;

import dev.mixtape.engine.Tensor;
import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code out = op(a)·op(b)} (plus {@code out} when accumulating) on ND4J: BLAS gemm for matrices,
 * ND4J's batched {@code matmul} op for stacks of them. Accumulation is gemm's {@code beta = 1}. An
 * {@code out} whose rows are further apart than their length is computed densely and then copied in.
 */
final class Nd4jMatmul {
    private Nd4jMatmul() {
    }

    static void multiply(Nd4jViews views, Tensor a, boolean transA, Tensor b, boolean transB, Tensor out,
                         boolean accumulate) {
        if (out.numel() == 0) {
            return;
        }
        if (a.numel() == 0) {
            // k = 0: every product is an empty sum.
            if (!accumulate) {
                views.of(out).assign(0);
            }
            return;
        }
        if (!out.isContiguous()) {
            // A range of columns of a larger matrix: multiply into a dense block, then write it there.
            Tensor dense = Tensor.zeros(out.backend(), out.dtype(), out.shape());
            multiply(views, a, transA, b, transB, dense, false);
            INDArray target = views.of(out);
            if (accumulate) {
                target.addi(views.of(dense));
            } else {
                target.assign(views.of(dense));
            }
            return;
        }
        double beta = accumulate ? 1.0 : 0.0;
        if (a.rank() == 2) {
            Nd4j.gemm(views.of(a), views.of(b), views.of(out), transA, transB, 1.0, beta);
        } else if (b.rank() == 2 && !transA && a.isContiguous()) {
            // A shared B (a linear layer): [batch…, m, k]·[k, n] is one gemm on [batch·m, k].
            Nd4j.gemm(views.rows(a), views.of(b), views.rows(out), false, transB, 1.0, beta);
        } else {
            INDArray bb = b.rank() == 2 ? views.broadcast(b, batchShape(a, b)) : views.of(b);
            MMulTranspose transpose = MMulTranspose.builder().transposeA(transA).transposeB(transB).build();
            Nd4j.exec(new Mmul(views.of(a), bb, views.of(out), 1.0, beta, transpose));
        }
    }

    /** {@code a}'s batch dimensions followed by the 2-D {@code b}'s own: the shape ND4J's batched op needs. */
    private static int[] batchShape(Tensor a, Tensor b) {
        int[] shape = a.shape();
        shape[shape.length - 2] = b.dim(0);
        shape[shape.length - 1] = b.dim(1);
        return shape;
    }
}
