package dev.mixtape.engine.vector;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.BinaryOp;
import dev.mixtape.engine.BlockWeights;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.FusedCausalAttention;
import dev.mixtape.engine.FusedLinearCrossEntropy;
import dev.mixtape.engine.FusedOptimizerSteps;
import dev.mixtape.engine.IndependentRows;
import dev.mixtape.engine.MatmulLowRankEpilogue;
import dev.mixtape.engine.RopeLayout;
import dev.mixtape.engine.ScalarOp;
import dev.mixtape.engine.SharedInputProducts;
import dev.mixtape.engine.Shapes;
import dev.mixtape.engine.StepMemory;
import dev.mixtape.engine.Storage;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.UnaryOp;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * The default backend: f32 tensors in heap arrays (and frozen weights in bf16, see {@link DType#BF16}, or in ggml's block
 * formats, see {@link BlockWeights} and {@link QuantizedWeights}), kernels written with the JDK Vector API and
 * split over a fixed pool of threads. It is a dispatcher: storage lives in {@link VectorMemory}, bf16
 * conversion in {@link Bf16Conversion}, the choice of a product's kernel in {@link MatmulDispatch}; the
 * methods here split rows between the threads and call the row kernels ({@link ArrayKernels}) or a
 * fused kernel's class. On a JVM started without {@code --add-modules
 * jdk.incubator.vector} it runs the same algorithms on scalar loops and says so once in the log.
 */
public final class VectorBackend implements Backend, MatmulLowRankEpilogue, FusedCausalAttention, FusedLinearCrossEntropy,
        FusedOptimizerSteps, BlockWeights, SharedInputProducts, IndependentRows, AutoCloseable {
    /** Rows smaller than this many elements per task are not worth a thread hop. */
    static final int MIN_ELEMENTS_PER_TASK = 1 << 14;

    private final Parallel parallel;
    private final ArrayKernels kernels;
    private final Sgemm sgemm;
    private final LinearCrossEntropy linearCrossEntropy;
    private final TiledLinearCrossEntropy tiledLinearCrossEntropy;
    private final FusedAttention attention;
    private final FewQueryAttention fewQueryAttention;
    private final RowLoops rowLoops;
    private final VectorMemory memory;
    private final Bf16Conversion conversion;
    private final QuantizedWeights quantized;
    private final MatmulDispatch products;

    /** A backend using {@code threads} threads (the caller's plus {@code threads − 1} workers). */
    public VectorBackend(int threads) {
        this.parallel = new Parallel(threads);
        this.kernels = VectorSupport.available() ? VectorSupport.simdKernels() : new ScalarArrayKernels();
        this.sgemm = new Sgemm(parallel);
        this.linearCrossEntropy = new LinearCrossEntropy(parallel, kernels, sgemm, LinearCrossEntropy.BLOCK_FLOATS,
                LinearCrossEntropy.VOCAB_PART);
        this.tiledLinearCrossEntropy = new TiledLinearCrossEntropy(parallel, kernels, sgemm, TiledLinearCrossEntropy.TILE_ROWS,
                TiledLinearCrossEntropy.VOCAB_PART, TiledLinearCrossEntropy.PARTIAL_FLOATS);
        this.attention = new FusedAttention(parallel, sgemm.kernel(), kernels);
        this.memory = new VectorMemory(this, parallel);
        this.conversion = new Bf16Conversion(this, memory);
        this.quantized = new QuantizedWeights(this, parallel, sgemm);
        this.products = new MatmulDispatch(this, parallel, memory, conversion, quantized, sgemm);
        this.fewQueryAttention = new FewQueryAttention(parallel, kernels, products.gemv());
        this.rowLoops = new RowLoops(parallel);
    }

    /** Whether this backend runs Vector API kernels (false: scalar fallback). */
    public boolean simd() {
        return !(kernels instanceof ScalarArrayKernels);
    }

    /** Where this backend's tensors live. */
    VectorMemory memory() {
        return memory;
    }

    /** Number of threads kernels are split over. */
    public int threads() {
        return parallel.threads();
    }

    @Override
    public String name() {
        return "vector";
    }

    @Override
    public boolean supports(DType dtype) {
        return dtype == DType.F32 || dtype == DType.BF16 || dtype.isBlockFormat();
    }

    @Override
    public void close() {
        parallel.close();
    }

    // ---- storage ----------------------------------------------------------------------------------

    private float[] data(Tensor t) {
        return memory.data(t);
    }

    private short[] bf16(Tensor t) {
        return memory.bf16(t);
    }

    private static boolean isBf16(Tensor t) {
        return Bf16Conversion.isBf16(t);
    }

    private Tensor widened(Tensor t) {
        return conversion.widened(t);
    }

    /** A frozen BF16 or block-format weight as a temporary F32 tensor, for kernels that read floats. */
    private Tensor widenedWeight(Tensor t) {
        return QuantizedWeights.isQuantized(t) ? quantized.widened(t) : widened(t);
    }

    @Override
    public Storage blockStorage(DType format, int rows, int cols, MemorySegment blocks) {
        return quantized.storage(format, rows, cols, blocks);
    }

    @Override
    public Storage allocate(DType dtype, int size) {
        return memory.allocate(dtype, size, true);
    }

    /** Skips zeroing an array that the open step lends; a new array comes zeroed from the JVM anyway. */
    @Override
    public Storage allocateForOverwrite(DType dtype, int size) {
        return memory.allocate(dtype, size, false);
    }

    @Override
    public StepMemory stepMemory() {
        return memory.stepMemory();
    }

    @Override
    public StepMemory.Scope stepScope() {
        return memory.stepScope();
    }

    @Override
    public void recycle(Tensor dead) {
        memory.recycle(dead);
    }

    @Override
    public <T> T outsideStep(Supplier<T> make) {
        return memory.outsideStep(make);
    }

    @Override
    public Storage fromArray(DType dtype, double[] data) {
        return memory.fromArray(dtype, data);
    }

    @Override
    public Storage fromArray(float[] data) {
        return memory.fromArray(data);
    }

    @Override
    public Storage adopt(float[] data) {
        return memory.adopt(data);
    }

    @Override
    public float[] toFloatArray(Tensor t) {
        if (QuantizedWeights.isQuantized(t)) {
            return QuantizedWeights.matrix(t).dequantize();
        }
        if (isBf16(t)) {
            return data(widened(t));
        }
        float[] src = data(t);
        if (t.isContiguous()) {
            return Arrays.copyOfRange(src, t.offset(), t.offset() + t.numel());
        }
        Tensor dense = Tensor.zeros(this, DType.F32, t.shape());
        StridedLoops.copy(t, src, dense, data(dense));
        return data(dense);
    }

    @Override
    public double[] toDoubleArray(Tensor t) {
        float[] values = toFloatArray(t);
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }

    // ---- elementwise ------------------------------------------------------------------------------

    @Override
    public void copy(Tensor src, Tensor dst) {
        if (QuantizedWeights.isQuantized(src)) {
            quantized.dequantize(src, dst, data(dst));
            return;
        }
        if (isBf16(src) || isBf16(dst)) {
            conversion.convert(src, dst);
            return;
        }
        float[] s = data(src);
        float[] d = data(dst);
        if (src.isContiguous() && dst.isContiguous()) {
            System.arraycopy(s, src.offset(), d, dst.offset(), dst.numel());
        } else if (dst.rank() == 0 || dst.numel() == 0) {
            StridedLoops.copy(src, s, dst, d);
        } else {
            int axis = 0;
            while (axis < dst.rank() - 1 && dst.dim(axis) == 1) {
                axis++;
            }
            int slices = dst.dim(axis);
            int perSlice = dst.numel() / slices;
            int splitAxis = axis;
            parallel.forRange(slices, Math.max(1, MIN_ELEMENTS_PER_TASK / perSlice),
                    (from, to) -> StridedLoops.copy(src, s, dst, d, splitAxis, from, to));
        }
    }

    @Override
    public void fill(Tensor dst, double value) {
        float[] d = data(dst);
        if (dst.isContiguous()) {
            Arrays.fill(d, dst.offset(), dst.offset() + dst.numel(), (float) value);
        } else {
            Tensor source = Tensor.of(this, new float[] {(float) value}).expand(dst.shape());
            StridedLoops.copy(source, data(source), dst, d);
        }
    }

    @Override
    public void unary(UnaryOp op, Tensor x, Tensor out) {
        float[] xv = data(contiguousOrCopy(x));
        int xOff = x.isContiguous() ? x.offset() : 0;
        float[] ov = data(out);
        int oOff = out.offset();
        parallel.forRange(out.numel(), MIN_ELEMENTS_PER_TASK,
                (from, to) -> kernels.unary(op, xv, xOff + from, ov, oOff + from, to - from));
    }

    @Override
    public void scalar(ScalarOp op, Tensor x, double c, Tensor out) {
        float[] xv = data(contiguousOrCopy(x));
        int xOff = x.isContiguous() ? x.offset() : 0;
        float[] ov = data(out);
        int oOff = out.offset();
        float cf = (float) c;
        parallel.forRange(out.numel(), MIN_ELEMENTS_PER_TASK,
                (from, to) -> kernels.scalar(op, xv, xOff + from, cf, ov, oOff + from, to - from));
    }

    private Tensor contiguousOrCopy(Tensor x) {
        return x.isContiguous() ? x : x.copy();
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        float[] av = data(a);
        float[] bv = data(b);
        float[] ov = data(out);
        int n = out.numel();
        if (a.isContiguous() && b.isContiguous() && out.isContiguous()) {
            int aOff = a.offset();
            int bOff = b.offset();
            int oOff = out.offset();
            parallel.forRange(n, MIN_ELEMENTS_PER_TASK,
                    (from, to) -> kernels.binary(op, av, aOff + from, bv, bOff + from, ov, oOff + from, to - from));
            return;
        }
        int row = out.rank() == 0 ? 1 : out.dim(-1);
        if (out.isContiguous() && a.isContiguous() && isRepeatedRow(b) && row > 1) {
            parallel.forRange(n / row, Math.max(1, MIN_ELEMENTS_PER_TASK / row), (from, to) -> {
                for (int r = from; r < to; r++) {
                    kernels.binary(op, av, a.offset() + r * row, bv, b.offset(), ov, out.offset() + r * row, row);
                }
            });
            return;
        }
        StridedLoops.binary(op, a, av, b, bv, out, ov);
    }

    /** Whether {@code t} is one dense last-dimension row broadcast over all leading dimensions. */
    private static boolean isRepeatedRow(Tensor t) {
        int[] strides = t.strides();
        int[] shape = t.shape();
        if (strides.length == 0 || strides[strides.length - 1] != 1) {
            return false;
        }
        for (int i = 0; i < strides.length - 1; i++) {
            if (strides[i] != 0 && shape[i] != 1) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void sumTo(Tensor x, Tensor out) {
        float[] xv = data(x);
        float[] ov = data(out);
        Arrays.fill(ov, out.offset(), out.offset() + out.numel(), 0f);
        int rank = x.rank();
        if (x.isContiguous() && rank > 0) {
            int[] outShape = out.shape();
            int[] xShape = x.shape();
            int row = xShape[rank - 1];
            boolean lastReduced = outShape[rank - 1] == 1 && row != 1;
            boolean onlyLast = lastReduced;
            boolean allButLast = !lastReduced;
            for (int i = 0; i < rank - 1; i++) {
                boolean reduced = outShape[i] == 1 && xShape[i] != 1;
                onlyLast &= !reduced;
                allButLast &= reduced || xShape[i] == 1;
            }
            if (onlyLast) {
                int rows = x.numel() / row;
                parallel.forRange(rows, Math.max(1, MIN_ELEMENTS_PER_TASK / row), (from, to) -> {
                    for (int r = from; r < to; r++) {
                        ov[out.offset() + r] = kernels.sum(xv, x.offset() + r * row, row);
                    }
                });
                return;
            }
            if (allButLast) {
                int rows = x.numel() / row;
                for (int r = 0; r < rows; r++) {
                    kernels.axpy(1f, xv, x.offset() + r * row, ov, out.offset(), row);
                }
                return;
            }
        }
        StridedLoops.sumTo(x, xv, out, ov);
    }

    @Override
    public double sumOfSquares(Tensor x) {
        Tensor dense = contiguousOrCopy(x);
        float[] xv = data(dense);
        int off = dense.offset();
        int n = dense.numel();
        double total = 0;
        int chunk = 4096;
        for (int i = 0; i < n; i += chunk) {
            int len = Math.min(chunk, n - i);
            total += kernels.dot(xv, off + i, xv, off + i, len);
        }
        return total;
    }

    // ---- matmul ----------------------------------------------------------------------------------

    @Override
    public void matmul(Tensor a, boolean transA, Tensor b, boolean transB, Tensor out, boolean accumulate) {
        products.matmul(a, transA, b, transB, out, accumulate);
    }

    @Override
    public boolean matmulPlusLowRank(Tensor a, Tensor b, boolean transB, Tensor low, Tensor lowB, boolean transLowB, Tensor out) {
        return products.matmulPlusLowRank(a, b, transB, low, lowB, transLowB, out);
    }

    @Override
    public Tensor[] productsSharingInput(Tensor x, Tensor[] weights) {
        return products.productsSharingInput(x, weights);
    }

    @Override
    public void forEachRange(int n, IndependentRows.RangeBody body) {
        rowLoops.forEachRange(n, body);
    }

    // ---- fused kernels ----------------------------------------------------------------------------

    @Override
    public void rmsNorm(Tensor x, Tensor weight, double eps, Tensor out, Tensor invRms) {
        float[] xv = data(x);
        float[] wv = data(weight);
        float[] ov = data(out);
        float[] rv = data(invRms);
        int dim = x.dim(-1);
        int rows = x.numel() / dim;
        parallel.forRange(rows, Math.max(1, MIN_ELEMENTS_PER_TASK / dim), (from, to) -> {
            for (int r = from; r < to; r++) {
                int xo = x.offset() + r * dim;
                int oo = out.offset() + r * dim;
                float inv = (float) (1.0 / Math.sqrt(kernels.dot(xv, xo, xv, xo, dim) / dim + eps));
                rv[invRms.offset() + r] = inv;
                kernels.binary(BinaryOp.MUL, xv, xo, wv, weight.offset(), ov, oo, dim);
                kernels.scalar(ScalarOp.MUL, ov, oo, inv, ov, oo, dim);
            }
        });
    }

    @Override
    public void rmsNormBackward(Tensor x, Tensor weight, Tensor invRms, Tensor dOut, Tensor dx, Tensor dWeight) {
        float[] xv = data(x);
        float[] wv = data(weight);
        float[] rv = data(invRms);
        float[] gv = data(dOut);
        float[] dxv = data(dx);
        int dim = x.dim(-1);
        int rows = x.numel() / dim;
        parallel.forRange(rows, Math.max(1, MIN_ELEMENTS_PER_TASK / dim), (from, to) -> {
            float[] gw = new float[dim];
            for (int r = from; r < to; r++) {
                int xo = x.offset() + r * dim;
                int go = dOut.offset() + r * dim;
                int dxo = dx.offset() + r * dim;
                float inv = rv[invRms.offset() + r];
                kernels.binary(BinaryOp.MUL, gv, go, wv, weight.offset(), gw, 0, dim);
                float c = kernels.dot(gw, 0, xv, xo, dim) * inv * inv * inv / dim;
                kernels.scalar(ScalarOp.MUL, gw, 0, inv, dxv, dxo, dim);
                kernels.axpy(-c, xv, xo, dxv, dxo, dim);
            }
        });
        if (dWeight == null) {
            return;
        }
        float[] dwv = data(dWeight);
        float[] gx = new float[dim];
        for (int r = 0; r < rows; r++) {
            kernels.binary(BinaryOp.MUL, gv, dOut.offset() + r * dim, xv, x.offset() + r * dim, gx, 0, dim);
            kernels.axpy(rv[invRms.offset() + r], gx, 0, dwv, dWeight.offset(), dim);
        }
    }

    @Override
    public void rope(Tensor x, Tensor cos, Tensor sin, RopeLayout layout, int positionOffset, boolean inverse, Tensor out) {
        float[] xv = data(x);
        float[] cv = data(cos);
        float[] sv = data(sin);
        float[] ov = data(out);
        int headDim = x.dim(-1);
        int half = headDim / 2;
        int seq = x.rank() >= 2 ? x.dim(-2) : 1;
        int rows = x.numel() / headDim;
        float sign = inverse ? -1f : 1f;
        parallel.forRange(rows, Math.max(1, MIN_ELEMENTS_PER_TASK / headDim), (from, to) -> {
            for (int r = from; r < to; r++) {
                int pos = positionOffset + r % seq;
                int xo = x.offset() + r * headDim;
                int oo = out.offset() + r * headDim;
                int to0 = cos.offset() + pos * half;
                int so0 = sin.offset() + pos * half;
                if (layout == RopeLayout.HALF) {
                    kernels.rotateHalves(xv, xo, cv, to0, sv, so0, sign, ov, oo, half);
                } else {
                    for (int j = 0; j < half; j++) {
                        float c = cv[to0 + j];
                        float s = sign * sv[so0 + j];
                        float x0 = xv[xo + 2 * j];
                        float x1 = xv[xo + 2 * j + 1];
                        ov[oo + 2 * j] = x0 * c - x1 * s;
                        ov[oo + 2 * j + 1] = x0 * s + x1 * c;
                    }
                }
            }
        });
    }

    @Override
    public void softmax(Tensor x, int causalPeriod, int causalOffset, Tensor out) {
        float[] xv = data(x);
        float[] ov = data(out);
        int cols = x.dim(-1);
        int rows = x.numel() / cols;
        parallel.forRange(rows, Math.max(1, MIN_ELEMENTS_PER_TASK / cols), (from, to) -> {
            for (int r = from; r < to; r++) {
                int xo = x.offset() + r * cols;
                int oo = out.offset() + r * cols;
                int valid = causalPeriod > 0 ? Math.min(cols, r % causalPeriod + causalOffset + 1) : cols;
                kernels.softmax(xv, xo, ov, oo, valid, cols);
            }
        });
    }

    @Override
    public void softmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        float[] yv = data(y);
        float[] gv = data(dy);
        float[] dv = data(dx);
        int cols = y.dim(-1);
        int rows = y.numel() / cols;
        parallel.forRange(rows, Math.max(1, MIN_ELEMENTS_PER_TASK / cols), (from, to) -> {
            for (int r = from; r < to; r++) {
                kernels.softmaxBackward(yv, y.offset() + r * cols, gv, dy.offset() + r * cols, dv, dx.offset() + r * cols, cols);
            }
        });
    }

    /**
     * Where every operand is f32 and a stack of row-major matrices: through {@link FewQueryAttention}
     * when there are at most a few-rows product's query rows (decoding) and no probabilities are asked
     * for, through {@link FusedAttention} when there are more (training, prompts); otherwise (a bf16
     * cache) declined, for the op's blockwise products.
     */
    @Override
    public boolean causalAttention(Tensor q, Tensor k, Tensor v, int seq, int positionOffset, Tensor probabilities, Tensor out) {
        if (probabilities == null && q.dim(2) <= Gemv.MAX_ROWS && isStackOfRows(q) && isStackOfRows(k) && isStackOfRows(v)
                && isStackOfRows(out)) {
            fewQueryAttention.forward(attentionShape(q, k, seq, positionOffset), stack("q", q), stack("k", k), stack("v", v),
                    stack("out", out));
            return true;
        }
        if (!fusedAttentionTakes(q, k, v, probabilities, out)) {
            return false;
        }
        attention.forward(attentionShape(q, k, seq, positionOffset), stack("q", q), stack("k", k), stack("v", v),
                stack("probabilities", probabilities), stack("out", out));
        return true;
    }

    /** Through {@link FusedAttention} where {@link #causalAttention} is, otherwise declined. */
    @Override
    public boolean causalAttentionBackward(Tensor q, Tensor k, Tensor v, Tensor probabilities, Tensor dOut, int seq, int positionOffset,
                                           Tensor dQ, Tensor dK, Tensor dV) {
        if (!fusedAttentionTakes(q, k, v, probabilities, dOut, dQ, dK, dV)) {
            return false;
        }
        attention.backward(attentionShape(q, k, seq, positionOffset), stack("q", q), stack("k", k), stack("v", v),
                stack("probabilities", probabilities), stack("dOut", dOut), stack("dQ", dQ), stack("dK", dK), stack("dV", dV));
        return true;
    }

    /** Whether q has more rows than a few-rows product and every given operand is an f32 stack of row-major matrices. */
    private static boolean fusedAttentionTakes(Tensor q, Tensor... others) {
        if (q.dim(2) <= Gemv.MAX_ROWS || !isStackOfRows(q)) {
            return false;
        }
        for (Tensor t : others) {
            if (t != null && !isStackOfRows(t)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isStackOfRows(Tensor t) {
        return !isBf16(t) && Shapes.matrixBatchStride(t.shape(), t.strides()) >= 0;
    }

    private static FusedAttention.Shape attentionShape(Tensor q, Tensor k, int seq, int positionOffset) {
        return new FusedAttention.Shape(q.dim(0) * q.dim(1), q.dim(2), k.dim(2), q.dim(3), seq, positionOffset);
    }

    /** A stack of row-major matrices ({@link #isStackOfRows}) as a {@link StridedMatrix}; null for a null tensor. */
    private StridedMatrix stack(String name, Tensor t) {
        if (t == null) {
            return null;
        }
        return new StridedMatrix(name, data(t), t.offset(), Shapes.matrixBatchStride(t.shape(), t.strides()),
                Shapes.matrixRowStride(t.shape(), t.strides()), 1);
    }

    @Override
    public void crossEntropy(Tensor logits, int[] targets, int ignoreIndex, Tensor losses, Tensor logSumExp) {
        float[] lv = data(logits);
        float[] loss = data(losses);
        float[] lse = data(logSumExp);
        int vocab = logits.dim(-1);
        int rows = targets.length;
        parallel.forRange(rows, Math.max(1, MIN_ELEMENTS_PER_TASK / vocab), (from, to) -> {
            float[] scratch = new float[vocab];
            for (int r = from; r < to; r++) {
                int lo = logits.offset() + r * vocab;
                float max = kernels.max(lv, lo, vocab);
                float value = max + (float) Math.log(kernels.expShifted(lv, lo, max, scratch, 0, vocab));
                lse[logSumExp.offset() + r] = value;
                loss[losses.offset() + r] = targets[r] == ignoreIndex ? 0f : value - lv[lo + targets[r]];
            }
        });
    }

    @Override
    public void crossEntropyBackward(Tensor logits, int[] targets, int ignoreIndex, Tensor logSumExp, double scale,
                                     Tensor dLogits) {
        float[] lv = data(logits);
        float[] lse = data(logSumExp);
        float[] dv = data(dLogits);
        int vocab = logits.dim(-1);
        float s = (float) scale;
        parallel.forRange(targets.length, Math.max(1, MIN_ELEMENTS_PER_TASK / vocab), (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = dLogits.offset() + r * vocab;
                if (targets[r] == ignoreIndex) {
                    Arrays.fill(dv, o, o + vocab, 0f);
                    continue;
                }
                kernels.expShifted(lv, logits.offset() + r * vocab, lse[logSumExp.offset() + r], dv, o, vocab);
                dv[o + targets[r]] -= 1f;
                kernels.scalar(ScalarOp.MUL, dv, o, s, dv, o, vocab);
            }
        });
    }

    @Override
    public void linearCrossEntropy(Tensor x, Tensor weight, int[] targets, int ignoreIndex, double scale, Tensor losses,
                                   Tensor dx, Tensor dWeight) {
        boolean blocks = QuantizedWeights.isQuantized(weight);
        if (isBf16(weight) || blocks && dWeight != null) {
            linearCrossEntropy(x, widenedWeight(weight), targets, ignoreIndex, scale, losses, dx, dWeight);
            return;
        }
        int dim = x.dim(-1);
        if (dWeight == null) {
            HeadWeight head = blocks ? new HeadWeight.Blocks(QuantizedWeights.matrix(weight))
                    : new HeadWeight.Floats(data(weight), weight.offset(), dim);
            tiledLinearCrossEntropy.run(targets.length, dim, weight.dim(0), data(x), x.offset(), head,
                    targets, ignoreIndex, (float) scale, data(losses), losses.offset(),
                    dx == null ? null : data(dx), dx == null ? 0 : dx.offset());
        } else {
            linearCrossEntropy.run(targets.length, dim, weight.dim(0), data(x), x.offset(), data(weight), weight.offset(),
                    targets, ignoreIndex, (float) scale, data(losses), losses.offset(),
                    dx == null ? null : data(dx), dx == null ? 0 : dx.offset(), data(dWeight), dWeight.offset());
        }
    }

    @Override
    public void gatherRows(Tensor table, int[] ids, Tensor out) {
        if (QuantizedWeights.isQuantized(table)) {
            QuantizedWeights.gatherRows(table, ids, data(out), out.offset());
            return;
        }
        if (isBf16(table)) {
            short[] tv = bf16(table);
            float[] ov = data(out);
            int dim = table.dim(1);
            for (int i = 0; i < ids.length; i++) {
                int row = table.offset() + ids[i] * dim;
                int at = out.offset() + i * dim;
                for (int j = 0; j < dim; j++) {
                    ov[at + j] = DType.bf16ToFloat(tv[row + j]);
                }
            }
            return;
        }
        float[] tv = data(table);
        float[] ov = data(out);
        int dim = table.dim(1);
        for (int i = 0; i < ids.length; i++) {
            System.arraycopy(tv, table.offset() + ids[i] * dim, ov, out.offset() + i * dim, dim);
        }
    }

    @Override
    public void scatterAddRows(Tensor dOut, int[] ids, Tensor dTable) {
        float[] gv = data(dOut);
        float[] tv = data(dTable);
        int dim = dTable.dim(1);
        for (int i = 0; i < ids.length; i++) {
            kernels.axpy(1f, gv, dOut.offset() + i * dim, tv, dTable.offset() + ids[i] * dim, dim);
        }
    }

    @Override
    public void swiglu(Tensor gate, Tensor up, Tensor out) {
        float[] gv = data(gate);
        float[] uv = data(up);
        float[] ov = data(out);
        parallel.forRange(out.numel(), MIN_ELEMENTS_PER_TASK, (from, to) ->
                kernels.swiglu(gv, gate.offset() + from, uv, up.offset() + from, ov, out.offset() + from, to - from));
    }

    @Override
    public void swigluBackward(Tensor gate, Tensor up, Tensor dOut, Tensor dGate, Tensor dUp) {
        float[] gv = data(gate);
        float[] uv = data(up);
        float[] dv = data(dOut);
        float[] dgv = data(dGate);
        float[] duv = data(dUp);
        parallel.forRange(dOut.numel(), MIN_ELEMENTS_PER_TASK, (from, to) ->
                kernels.swigluBackward(gv, gate.offset() + from, uv, up.offset() + from, dv, dOut.offset() + from,
                        dgv, dGate.offset() + from, duv, dUp.offset() + from, to - from));
    }

    // ---- optimizer steps --------------------------------------------------------------------------

    @Override
    public void adamwStep(Tensor param, Tensor grad, Tensor m, Tensor v, double lr, double beta1, double beta2,
                          double eps, double weightDecay, double biasCorrection1, double biasCorrection2) {
        float[] pv = data(param);
        float[] gv = data(contiguousOrCopy(grad));
        int gOff = grad.isContiguous() ? grad.offset() : 0;
        float[] mv = data(m);
        float[] vv = data(v);
        float decay = (float) (1 - lr * weightDecay);
        parallel.forRange(param.numel(), MIN_ELEMENTS_PER_TASK, (from, to) ->
                kernels.adamw(pv, param.offset() + from, gv, gOff + from, mv, m.offset() + from, vv, v.offset() + from,
                        to - from, (float) lr, (float) beta1, (float) beta2, (float) eps, decay,
                        (float) biasCorrection1, (float) biasCorrection2));
    }

    @Override
    public void sgdStep(Tensor param, Tensor grad, Tensor momentumBuffer, double lr, double momentum, double weightDecay,
                        boolean nesterov, boolean firstStep) {
        float[] pv = data(param);
        Tensor g = contiguousOrCopy(grad);
        float[] gv = data(g);
        float[] bv = momentumBuffer == null ? null : data(momentumBuffer);
        int n = param.numel();
        for (int i = 0; i < n; i++) {
            float p = pv[param.offset() + i];
            float d = gv[g.offset() + i] + (float) weightDecay * p;
            if (bv != null) {
                int bi = momentumBuffer.offset() + i;
                float buf = firstStep ? d : (float) momentum * bv[bi] + d;
                bv[bi] = buf;
                d = nesterov ? d + (float) momentum * buf : buf;
            }
            pv[param.offset() + i] = p - (float) lr * d;
        }
    }
}
