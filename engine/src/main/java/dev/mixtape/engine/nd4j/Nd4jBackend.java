package dev.mixtape.engine.nd4j;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.BinaryOp;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.FusedOptimizerSteps;
import dev.mixtape.engine.RopeLayout;
import dev.mixtape.engine.ScalarOp;
import dev.mixtape.engine.Storage;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.UnaryOp;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.same.Sum;
import org.nd4j.linalg.factory.Nd4j;

import java.util.stream.IntStream;

/**
 * The ND4J backend: tensors live in ND4J arrays and every primitive runs as ND4J ops, F32 or F64.
 * With {@code nd4j-native} on the classpath it computes on the CPU (OpenBLAS and libnd4j); with
 * {@code nd4j-cuda-11.6} the same code runs on an NVIDIA GPU and tensors stay in device memory
 * between ops: only the host arrays a primitive takes ({@code targets}, {@code ids}) are uploaded.
 *
 * <p>Each primitive turns its tensors into ND4J views of their storage ({@link Nd4jViews}) and hands
 * them to the class for its concept; the {@code VectorBackend} is the reference for every result.
 * Select it with {@code -Dmixtape.backend=nd4j}.
 */
public final class Nd4jBackend implements Backend, FusedOptimizerSteps {
    private final Nd4jViews views = new Nd4jViews(this);
    private final String nd4jBackend;

    /** Loads ND4J's native backend now, so that a missing or broken ND4J install fails here. */
    public Nd4jBackend() {
        this.nd4jBackend = Nd4j.getBackend().getClass().getSimpleName();
    }

    @Override
    public String name() {
        return "nd4j";
    }

    /** ND4J's backend class in use: {@code CpuBackend} (nd4j-native) or {@code JCublasBackend} (CUDA). */
    public String nd4jBackend() {
        return nd4jBackend;
    }

    @Override
    public boolean supports(DType dtype) {
        return dtype == DType.F32 || dtype == DType.F64;
    }

    // ---- storage ----------------------------------------------------------------------------------

    @Override
    public Storage allocate(DType dtype, int size) {
        return new Nd4jStorage(this, dtype, Nd4j.zeros(Nd4jViews.dataType(dtype), size));
    }

    @Override
    public Storage fromArray(DType dtype, double[] data) {
        DataType type = Nd4jViews.dataType(dtype);
        return new Nd4jStorage(this, dtype, Nd4j.createFromArray(data).castTo(type));
    }

    @Override
    public Storage fromArray(float[] data) {
        return new Nd4jStorage(this, DType.F32, Nd4j.createFromArray(data));
    }

    @Override
    public float[] toFloatArray(Tensor t) {
        return t.numel() == 0 ? new float[0] : views.of(t).dup('c').data().asFloat();
    }

    @Override
    public double[] toDoubleArray(Tensor t) {
        return t.numel() == 0 ? new double[0] : views.of(t).dup('c').data().asDouble();
    }

    // ---- data movement and elementwise ------------------------------------------------------------

    @Override
    public void copy(Tensor src, Tensor dst) {
        if (dst.numel() > 0) {
            views.of(dst).assign(views.of(src));
        }
    }

    @Override
    public void fill(Tensor dst, double value) {
        if (dst.numel() > 0) {
            views.of(dst).assign(value);
        }
    }

    @Override
    public void unary(UnaryOp op, Tensor x, Tensor out) {
        if (out.numel() > 0) {
            Nd4jElementwise.unary(op, views.of(x), views.of(out));
        }
    }

    @Override
    public void scalar(ScalarOp op, Tensor x, double c, Tensor out) {
        if (out.numel() > 0) {
            Nd4jElementwise.scalar(op, views.of(x), c, views.of(out));
        }
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        if (out.numel() > 0) {
            Nd4jElementwise.binary(op, views.of(a), views.of(b), views.of(out));
        }
    }

    @Override
    public void sumTo(Tensor x, Tensor out) {
        int[] reduced = IntStream.range(0, x.rank()).filter(i -> out.dim(i) == 1 && x.dim(i) != 1).toArray();
        if (reduced.length == 0) {
            copy(x, out);
        } else if (x.numel() == 0) {
            fill(out, 0);
        } else {
            Nd4j.exec(new Sum(views.of(x), views.of(out), true, reduced));
        }
    }

    @Override
    public double sumOfSquares(Tensor x) {
        if (x.numel() == 0) {
            return 0;
        }
        // In double, as the contract says; squares then a sum, because ND4J's SquaredNorm returns x,
        // not x², when there is a single element.
        INDArray wide = views.of(x).castTo(DataType.DOUBLE);
        return wide.mul(wide).sumNumber().doubleValue();
    }

    // ---- matmul -----------------------------------------------------------------------------------

    @Override
    public void matmul(Tensor a, boolean transA, Tensor b, boolean transB, Tensor out, boolean accumulate) {
        Nd4jMatmul.multiply(views, a, transA, b, transB, out, accumulate);
    }

    // ---- fused kernels ----------------------------------------------------------------------------

    @Override
    public void rmsNorm(Tensor x, Tensor weight, double eps, Tensor out, Tensor invRms) {
        Nd4jRmsNorm.forward(views, x, weight, eps, out, invRms);
    }

    @Override
    public void rmsNormBackward(Tensor x, Tensor weight, Tensor invRms, Tensor dOut, Tensor dx, Tensor dWeight) {
        Nd4jRmsNorm.backward(views, x, weight, invRms, dOut, dx, dWeight);
    }

    @Override
    public void rope(Tensor x, Tensor cos, Tensor sin, RopeLayout layout, int positionOffset, boolean inverse,
                     Tensor out) {
        Nd4jRope.apply(views, x, cos, sin, layout, positionOffset, inverse, out);
    }

    @Override
    public void softmax(Tensor x, int causalPeriod, int causalOffset, Tensor out) {
        Nd4jSoftmax.forward(views, x, causalPeriod, causalOffset, out);
    }

    @Override
    public void softmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        Nd4jSoftmax.backward(views, y, dy, dx);
    }

    @Override
    public void crossEntropy(Tensor logits, int[] targets, int ignoreIndex, Tensor losses, Tensor logSumExp) {
        Nd4jCrossEntropy.forward(views, logits, targets, ignoreIndex, losses, logSumExp);
    }

    @Override
    public void crossEntropyBackward(Tensor logits, int[] targets, int ignoreIndex, Tensor logSumExp, double scale,
                                     Tensor dLogits) {
        Nd4jCrossEntropy.backward(views, logits, targets, ignoreIndex, logSumExp, scale, dLogits);
    }

    @Override
    public void gatherRows(Tensor table, int[] ids, Tensor out) {
        Nd4jEmbedding.gatherRows(views, table, ids, out);
    }

    @Override
    public void scatterAddRows(Tensor dOut, int[] ids, Tensor dTable) {
        Nd4jEmbedding.scatterAddRows(views, dOut, ids, dTable);
    }

    @Override
    public void swiglu(Tensor gate, Tensor up, Tensor out) {
        Nd4jSwiglu.forward(views.of(gate), views.of(up), views.of(out));
    }

    @Override
    public void swigluBackward(Tensor gate, Tensor up, Tensor dOut, Tensor dGate, Tensor dUp) {
        Nd4jSwiglu.backward(views.of(gate), views.of(up), views.of(dOut), views.of(dGate), views.of(dUp));
    }

    // ---- optimizer steps --------------------------------------------------------------------------

    @Override
    public void adamwStep(Tensor param, Tensor grad, Tensor m, Tensor v, double lr, double beta1, double beta2,
                          double eps, double weightDecay, double biasCorrection1, double biasCorrection2) {
        Nd4jOptimizers.adamw(views.of(param), views.of(grad), views.of(m), views.of(v), lr, beta1, beta2, eps,
                weightDecay, biasCorrection1, biasCorrection2);
    }

    @Override
    public void sgdStep(Tensor param, Tensor grad, Tensor momentumBuffer, double lr, double momentum,
                        double weightDecay, boolean nesterov, boolean firstStep) {
        Nd4jOptimizers.sgd(views.of(param), views.of(grad), momentumBuffer == null ? null : views.of(momentumBuffer),
                lr, momentum, weightDecay, nesterov, firstStep);
    }
}
