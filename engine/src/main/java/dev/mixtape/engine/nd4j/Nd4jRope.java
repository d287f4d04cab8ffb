package dev.mixtape.engine.nd4j;

import dev.mixtape.engine.RopeLayout;
import dev.mixtape.engine.Shapes;
import dev.mixtape.engine.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.AddOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.SubOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Rotary position embedding on ND4J. The two halves of every pair are strided views of the head
 * ({@code HALF}: the first and second half; {@code INTERLEAVED}: even and odd elements), and the
 * table rows for positions {@code offset…offset+T−1} broadcast over the batch:
 * {@code out₀ = x₀·cos − x₁·sin}, {@code out₁ = x₀·sin + x₁·cos} (sin negated for the inverse).
 */
final class Nd4jRope {
    private Nd4jRope() {
    }

    static void apply(Nd4jViews views, Tensor x, Tensor cos, Tensor sin, RopeLayout layout, int positionOffset,
                      boolean inverse, Tensor out) {
        int headDim = x.dim(-1);
        int half = headDim / 2;
        int seq = x.rank() >= 2 ? x.dim(-2) : 1;
        int batch = x.numel() / (seq * headDim);
        int maxPositions = cos.dim(0);
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("rope: head dimension of " + Shapes.str(x.shape()) + " must be even");
        }
        if (positionOffset < 0 || positionOffset + seq > maxPositions) {
            throw new IllegalArgumentException("rope: positions " + positionOffset + "…" + (positionOffset + seq - 1)
                    + " outside the table of " + maxPositions + " positions");
        }
        INDArrayIndex rows = NDArrayIndex.interval(positionOffset, positionOffset + seq);
        INDArray c = views.contiguous(cos, maxPositions, half).get(rows, NDArrayIndex.all());
        INDArray s = views.contiguous(sin, maxPositions, half).get(rows, NDArrayIndex.all());
        if (inverse) {
            s = s.neg();
        }
        INDArray x3 = views.contiguous(x, batch, seq, headDim);
        INDArray out3 = views.contiguous(out, batch, seq, headDim);
        INDArray x0 = x3.get(first(layout, headDim));
        INDArray x1 = x3.get(second(layout, headDim));
        // All four products before any write, so that out may be x itself.
        INDArray x0c = times(x0, c);
        INDArray x1s = times(x1, s);
        INDArray x0s = times(x0, s);
        INDArray x1c = times(x1, c);
        Nd4j.exec(new SubOp(x0c, x1s, out3.get(first(layout, headDim))));
        Nd4j.exec(new AddOp(x0s, x1c, out3.get(second(layout, headDim))));
    }

    /** Index of the first element of every pair along the last axis of a {@code [batch, T, headDim]} view. */
    private static INDArrayIndex[] first(RopeLayout layout, int headDim) {
        return lastAxis(layout == RopeLayout.HALF
                ? NDArrayIndex.interval(0, headDim / 2)
                : NDArrayIndex.interval(0, 2, headDim));
    }

    /** Index of the second element of every pair. */
    private static INDArrayIndex[] second(RopeLayout layout, int headDim) {
        return lastAxis(layout == RopeLayout.HALF
                ? NDArrayIndex.interval(headDim / 2, headDim)
                : NDArrayIndex.interval(1, 2, headDim));
    }

    private static INDArrayIndex[] lastAxis(INDArrayIndex index) {
        return new INDArrayIndex[] {NDArrayIndex.all(), NDArrayIndex.all(), index};
    }

    /** A new array {@code a ⊙ b}, broadcasting {@code b [T, half]} over {@code a [batch, T, half]}. */
    private static INDArray times(INDArray a, INDArray b) {
        INDArray product = a.ulike();
        Nd4j.exec(new MulOp(a, b, product));
        return product;
    }
}
