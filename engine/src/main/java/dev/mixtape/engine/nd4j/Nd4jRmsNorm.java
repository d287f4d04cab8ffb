package dev.mixtape.engine.nd4j;

import dev.mixtape.engine.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.same.Sum;
import org.nd4j.linalg.api.ops.impl.transforms.floating.RSqrt;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * RMSNorm over the last dimension and its backward, as ND4J row reductions and broadcasts: with
 * {@code r = 1/sqrt(mean(x²) + eps)} per row, {@code y = w ⊙ x · r} and
 * {@code dx = r·(dy ⊙ w) − x · r³·Σ(dy ⊙ w ⊙ x)/dim}, {@code dw += Σ_rows dy ⊙ x · r}.
 */
final class Nd4jRmsNorm {
    private Nd4jRmsNorm() {
    }

    static void forward(Nd4jViews views, Tensor x, Tensor weight, double eps, Tensor out, Tensor invRms) {
        int dim = x.dim(-1);
        int rows = x.numel() / dim;
        INDArray x2 = views.rows(x);
        INDArray inv = views.contiguous(invRms, rows, 1);
        // Squares then a sum, not ND4J's SquaredNorm: that one returns x, not x², for rows of one element.
        Nd4j.exec(new Sum(x2.mul(x2), inv, true, 1));
        inv.divi(dim).addi(eps);
        Nd4j.exec(new RSqrt(inv, inv));
        INDArray out2 = views.rows(out);
        Nd4j.exec(new MulOp(x2, views.contiguous(weight, 1, dim), out2));
        out2.muliColumnVector(inv);
    }

    static void backward(Nd4jViews views, Tensor x, Tensor weight, Tensor invRms, Tensor dOut, Tensor dx,
                         Tensor dWeight) {
        int dim = x.dim(-1);
        int rows = x.numel() / dim;
        INDArray x2 = views.rows(x);
        INDArray inv = views.contiguous(invRms, rows, 1);
        INDArray g = views.rows(dOut);
        INDArray gw = g.mulRowVector(views.contiguous(weight, 1, dim));
        INDArray c = gw.mul(x2).sum(true, 1).muli(inv).muli(inv).muli(inv).divi(dim);
        INDArray dx2 = views.rows(dx);
        Nd4j.exec(new MulOp(gw, inv, dx2));
        dx2.subi(x2.mulColumnVector(c));
        if (dWeight != null) {
            views.contiguous(dWeight, 1, dim).addi(g.mul(x2).muliColumnVector(inv).sum(true, 0));
        }
    }
}
