package dev.mixtape.engine.nd4j;

import dev.mixtape.engine.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.custom.Tri;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.AddOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.SubOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Row softmax on ND4J, optionally causal, and its backward. The causal mask is built once per call
 * on the device: 0 where a column is visible to the row's position, −∞ beyond, so that ND4J's softmax
 * gives masked columns exactly 0. Row {@code r} sits at position {@code r % period + offset}, so one
 * mask of {@code period} rows serves every block of {@code period} rows by broadcasting.
 */
final class Nd4jSoftmax {
    private Nd4jSoftmax() {
    }

    static void forward(Nd4jViews views, Tensor x, int causalPeriod, int causalOffset, Tensor out) {
        INDArray out2 = views.rows(out);
        if (causalPeriod <= 0) {
            Nd4j.exec(new SoftMax(views.rows(x), out2, 1));
            return;
        }
        int cols = x.dim(-1);
        int rows = x.numel() / cols;
        INDArray mask = causalMask(out2.dataType(), causalPeriod, cols, causalOffset);
        int blocks = rows / causalPeriod;
        int start = blocks * causalPeriod * cols;
        int rest = rows % causalPeriod;
        if (blocks > 0) {
            Nd4j.exec(new AddOp(views.part(x, 0, blocks, causalPeriod, cols), mask,
                    views.part(out, 0, blocks, causalPeriod, cols)));
        }
        if (rest > 0) {
            Nd4j.exec(new AddOp(views.part(x, start, rest, cols),
                    mask.get(NDArrayIndex.interval(0, rest), NDArrayIndex.all()), views.part(out, start, rest, cols)));
        }
        Nd4j.exec(new SoftMax(out2, out2, 1));
    }

    /**
     * {@code [period, cols]}: 0 where column ≤ row + offset, −∞ elsewhere. {@code Tri} gives the ones
     * of that lower triangle and zeros above it; their logarithm is the additive mask.
     */
    private static INDArray causalMask(DataType type, int period, int cols, int offset) {
        INDArray visible = Nd4j.exec(new Tri(type, period, cols, offset))[0];
        return Transforms.log(visible, false);
    }

    static void backward(Nd4jViews views, Tensor y, Tensor dy, Tensor dx) {
        INDArray y2 = views.rows(y);
        INDArray g = views.rows(dy);
        INDArray dot = y2.mul(g).sum(true, 1);
        INDArray dx2 = views.rows(dx);
        Nd4j.exec(new SubOp(g, dot, dx2));
        dx2.muli(y2);
    }
}
