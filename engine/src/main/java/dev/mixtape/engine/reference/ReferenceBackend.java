package dev.mixtape.engine.reference;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.BinaryOp;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.RopeLayout;
import dev.mixtape.engine.ScalarOp;
import dev.mixtape.engine.Storage;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.UnaryOp;

/**
 * The backend to read: every primitive of {@link Backend} as plain loops over elements, one short
 * method each, in double precision, on one thread, without SIMD and without a fused kernel (the ops
 * compose those from these primitives). It is the oracle the fast backends are tested against, and
 * the end of a learner's walk from {@link Tensor} through the tape and an op to a number computed.
 *
 * <p>Every tensor is read and written element by element through its view ({@link #get}, {@link #set}):
 * element {@code i} in row-major order sits at {@code offset + Σ index[d]·strides[d]}, so slices,
 * transposes and broadcasts (stride 0) need no special case. F32 tensors hold floats (each value
 * written is rounded to one); the arithmetic in between is done in double.
 */
public final class ReferenceBackend implements Backend {

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public boolean supports(DType dtype) {
        return dtype == DType.F32 || dtype == DType.F64;
    }

    // ---- storage and element access ------------------------------------------------------------

    @Override
    public ReferenceStorage allocate(DType dtype, int size) {
        if (!supports(dtype)) {
            throw new IllegalArgumentException("the reference backend holds F32 and F64 tensors, not " + dtype);
        }
        return new ReferenceStorage(this, dtype, size);
    }

    @Override
    public Storage fromArray(DType dtype, double[] data) {
        ReferenceStorage storage = allocate(dtype, data.length);
        for (int i = 0; i < data.length; i++) {
            storage.set(i, data[i]);
        }
        return storage;
    }

    @Override
    public Storage fromArray(float[] data) {
        ReferenceStorage storage = allocate(DType.F32, data.length);
        for (int i = 0; i < data.length; i++) {
            storage.set(i, data[i]);
        }
        return storage;
    }

    @Override
    public float[] toFloatArray(Tensor t) {
        float[] out = new float[t.numel()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) get(t, i);
        }
        return out;
    }

    @Override
    public double[] toDoubleArray(Tensor t) {
        double[] out = new double[t.numel()];
        for (int i = 0; i < out.length; i++) {
            out[i] = get(t, i);
        }
        return out;
    }

    /** Element {@code i} (row-major over the shape) of the view {@code t}. */
    private static double get(Tensor t, int i) {
        return storage(t).get(position(t, i));
    }

    /** Sets element {@code i} (row-major over the shape) of the view {@code t}. */
    private static void set(Tensor t, int i, double value) {
        storage(t).set(position(t, i), value);
    }

    /** Where element {@code i} of the view {@code t} sits in its storage. */
    private static int position(Tensor t, int i) {
        int[] shape = t.shape();
        int[] strides = t.strides();
        int position = t.offset();
        for (int d = shape.length - 1; d >= 0; d--) {
            position += i % shape[d] * strides[d];
            i /= shape[d];
        }
        return position;
    }

    private static ReferenceStorage storage(Tensor t) {
        if (!(t.storage() instanceof ReferenceStorage storage)) {
            throw new IllegalArgumentException("a tensor of the " + t.backend().name()
                    + " backend was given to the reference backend; move it with Tensor.to(backend)");
        }
        return storage;
    }

    // ---- elementwise ----------------------------------------------------------------------------

    @Override
    public void copy(Tensor src, Tensor dst) {
        for (int i = 0; i < dst.numel(); i++) {
            set(dst, i, get(src, i));
        }
    }

    @Override
    public void fill(Tensor dst, double value) {
        for (int i = 0; i < dst.numel(); i++) {
            set(dst, i, value);
        }
    }

    @Override
    public void unary(UnaryOp op, Tensor x, Tensor out) {
        for (int i = 0; i < out.numel(); i++) {
            double v = get(x, i);
            set(out, i, switch (op) {
                case NEG -> -v;
                case EXP -> Math.exp(v);
                case LOG -> Math.log(v);
                case SQRT -> Math.sqrt(v);
                case RSQRT -> 1 / Math.sqrt(v);
                case RECIPROCAL -> 1 / v;
                case SQUARE -> v * v;
                case SILU -> v * sigmoid(v);
                case SILU_DERIVATIVE -> sigmoid(v) * (1 + v * (1 - sigmoid(v)));
            });
        }
    }

    @Override
    public void scalar(ScalarOp op, Tensor x, double c, Tensor out) {
        for (int i = 0; i < out.numel(); i++) {
            double v = get(x, i);
            set(out, i, switch (op) {
                case ADD -> v + c;
                case MUL -> v * c;
                case POW -> Math.pow(v, c);
                case SUBTRACT_FROM -> c - v;
                case DIVIDE_INTO -> c / v;
            });
        }
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        for (int i = 0; i < out.numel(); i++) {
            double x = get(a, i);
            double y = get(b, i);
            set(out, i, switch (op) {
                case ADD -> x + y;
                case SUB -> x - y;
                case MUL -> x * y;
                case DIV -> x / y;
            });
        }
    }

    /** Each element of {@code x} is added to the element of {@code out} at its index, with the summed dimensions at 0. */
    @Override
    public void sumTo(Tensor x, Tensor out) {
        double[] sums = new double[out.numel()];
        for (int i = 0; i < x.numel(); i++) {
            sums[reducedIndex(i, x.shape(), out.shape())] += get(x, i);
        }
        for (int i = 0; i < sums.length; i++) {
            set(out, i, sums[i]);
        }
    }

    /** The row-major index in {@code outShape} of element {@code i} of {@code shape}, dimensions of size 1 in {@code outShape} taken at 0. */
    private static int reducedIndex(int i, int[] shape, int[] outShape) {
        int index = 0;
        int stride = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            int coordinate = i % shape[d];
            i /= shape[d];
            if (outShape[d] != 1) {
                index += coordinate * stride;
            }
            stride *= outShape[d];
        }
        return index;
    }

    @Override
    public double sumOfSquares(Tensor x) {
        double sum = 0;
        for (int i = 0; i < x.numel(); i++) {
            sum += get(x, i) * get(x, i);
        }
        return sum;
    }

    // ---- matmul ---------------------------------------------------------------------------------

    /** For each matrix of the stack, each output element is the dot product of a row of op(a) and a column of op(b). */
    @Override
    public void matmul(Tensor a, boolean transA, Tensor b, boolean transB, Tensor out, boolean accumulate) {
        int m = out.dim(-2);
        int n = out.dim(-1);
        int k = transA ? a.dim(-2) : a.dim(-1);
        int batch = out.numel() == 0 ? 0 : out.numel() / (m * n);
        boolean sharedB = b.rank() == 2;
        for (int t = 0; t < batch; t++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    int o = (t * m + i) * n + j;
                    double sum = accumulate ? get(out, o) : 0;
                    for (int p = 0; p < k; p++) {
                        int aIndex = t * m * k + (transA ? p * m + i : i * k + p);
                        int bIndex = (sharedB ? 0 : t * k * n) + (transB ? j * k + p : p * n + j);
                        sum += get(a, aIndex) * get(b, bIndex);
                    }
                    set(out, o, sum);
                }
            }
        }
    }

    // ---- the primitives of a transformer ----------------------------------------------------------

    /** Per row: {@code inv = 1/sqrt(mean(x²) + eps)}, {@code out = x·inv·weight}. */
    @Override
    public void rmsNorm(Tensor x, Tensor weight, double eps, Tensor out, Tensor invRms) {
        int dim = x.dim(-1);
        for (int r = 0; r < x.numel() / dim; r++) {
            double squares = 0;
            for (int j = 0; j < dim; j++) {
                squares += get(x, r * dim + j) * get(x, r * dim + j);
            }
            double inv = 1 / Math.sqrt(squares / dim + eps);
            set(invRms, r, inv);
            for (int j = 0; j < dim; j++) {
                set(out, r * dim + j, get(x, r * dim + j) * inv * get(weight, j));
            }
        }
    }

    /** Per row, with {@code g = dOut·weight}: {@code dx = g·inv − x·inv³·Σ(g·x)/dim}; {@code dWeight += dOut·x·inv}. */
    @Override
    public void rmsNormBackward(Tensor x, Tensor weight, Tensor invRms, Tensor dOut, Tensor dx, Tensor dWeight) {
        int dim = x.dim(-1);
        for (int r = 0; r < x.numel() / dim; r++) {
            double inv = get(invRms, r);
            double gx = 0;
            for (int j = 0; j < dim; j++) {
                gx += get(dOut, r * dim + j) * get(weight, j) * get(x, r * dim + j);
            }
            for (int j = 0; j < dim; j++) {
                double g = get(dOut, r * dim + j) * get(weight, j);
                set(dx, r * dim + j, g * inv - get(x, r * dim + j) * inv * inv * inv * gx / dim);
                if (dWeight != null) {
                    set(dWeight, j, get(dWeight, j) + get(dOut, r * dim + j) * get(x, r * dim + j) * inv);
                }
            }
        }
    }

    /** Rotates each pair of dimensions of each row by its position's angle (backwards when {@code inverse}). */
    @Override
    public void rope(Tensor x, Tensor cos, Tensor sin, RopeLayout layout, int positionOffset, boolean inverse, Tensor out) {
        int headDim = x.dim(-1);
        int half = headDim / 2;
        int seq = x.rank() >= 2 ? x.dim(-2) : 1;
        for (int r = 0; r < x.numel() / headDim; r++) {
            int position = positionOffset + r % seq;
            for (int j = 0; j < half; j++) {
                int first = r * headDim + (layout == RopeLayout.HALF ? j : 2 * j);
                int second = r * headDim + (layout == RopeLayout.HALF ? j + half : 2 * j + 1);
                double c = get(cos, position * half + j);
                double s = (inverse ? -1 : 1) * get(sin, position * half + j);
                double x0 = get(x, first);
                double x1 = get(x, second);
                set(out, first, x0 * c - x1 * s);
                set(out, second, x0 * s + x1 * c);
            }
        }
    }

    /** Per row: {@code exp(x − max) / Σ exp(x − max)} over the columns the causal mask leaves, 0 beyond them. */
    @Override
    public void softmax(Tensor x, int causalPeriod, int causalOffset, Tensor out) {
        int cols = x.dim(-1);
        for (int r = 0; r < x.numel() / cols; r++) {
            int visible = causalPeriod > 0 ? Math.min(cols, r % causalPeriod + causalOffset + 1) : cols;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < visible; j++) {
                max = Math.max(max, get(x, r * cols + j));
            }
            double[] exps = new double[cols];
            double sum = 0;
            for (int j = 0; j < visible; j++) {
                exps[j] = Math.exp(get(x, r * cols + j) - max);
                sum += exps[j];
            }
            for (int j = 0; j < cols; j++) {
                set(out, r * cols + j, exps[j] / sum);
            }
        }
    }

    /** Per row: {@code dx = y·(dy − Σ dy·y)}. */
    @Override
    public void softmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        int cols = y.dim(-1);
        for (int r = 0; r < y.numel() / cols; r++) {
            double dot = 0;
            for (int j = 0; j < cols; j++) {
                dot += get(dy, r * cols + j) * get(y, r * cols + j);
            }
            for (int j = 0; j < cols; j++) {
                set(dx, r * cols + j, get(y, r * cols + j) * (get(dy, r * cols + j) - dot));
            }
        }
    }

    /** Per row: {@code logSumExp = log Σ exp(logits)}, {@code loss = logSumExp − logits[target]} (0 if ignored). */
    @Override
    public void crossEntropy(Tensor logits, int[] targets, int ignoreIndex, Tensor losses, Tensor logSumExp) {
        int vocab = logits.dim(-1);
        for (int r = 0; r < targets.length; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < vocab; j++) {
                max = Math.max(max, get(logits, r * vocab + j));
            }
            double sum = 0;
            for (int j = 0; j < vocab; j++) {
                sum += Math.exp(get(logits, r * vocab + j) - max);
            }
            double lse = max + Math.log(sum);
            set(logSumExp, r, lse);
            set(losses, r, targets[r] == ignoreIndex ? 0 : lse - get(logits, r * vocab + targets[r]));
        }
    }

    /** Per row: {@code dLogits = scale·(softmax(logits) − onehot(target))}, 0 if ignored. */
    @Override
    public void crossEntropyBackward(Tensor logits, int[] targets, int ignoreIndex, Tensor logSumExp, double scale,
                                     Tensor dLogits) {
        int vocab = logits.dim(-1);
        for (int r = 0; r < targets.length; r++) {
            for (int j = 0; j < vocab; j++) {
                double probability = Math.exp(get(logits, r * vocab + j) - get(logSumExp, r));
                double gradient = scale * (probability - (j == targets[r] ? 1 : 0));
                set(dLogits, r * vocab + j, targets[r] == ignoreIndex ? 0 : gradient);
            }
        }
    }

    @Override
    public void gatherRows(Tensor table, int[] ids, Tensor out) {
        int dim = table.dim(1);
        for (int i = 0; i < ids.length; i++) {
            for (int j = 0; j < dim; j++) {
                set(out, i * dim + j, get(table, ids[i] * dim + j));
            }
        }
    }

    @Override
    public void scatterAddRows(Tensor dOut, int[] ids, Tensor dTable) {
        int dim = dTable.dim(1);
        for (int i = 0; i < ids.length; i++) {
            for (int j = 0; j < dim; j++) {
                set(dTable, ids[i] * dim + j, get(dTable, ids[i] * dim + j) + get(dOut, i * dim + j));
            }
        }
    }

    /** {@code out = gate·σ(gate)·up}. */
    @Override
    public void swiglu(Tensor gate, Tensor up, Tensor out) {
        for (int i = 0; i < out.numel(); i++) {
            double g = get(gate, i);
            set(out, i, g * sigmoid(g) * get(up, i));
        }
    }

    /** {@code dUp = silu(gate)·dOut}; {@code dGate = silu'(gate)·up·dOut}. */
    @Override
    public void swigluBackward(Tensor gate, Tensor up, Tensor dOut, Tensor dGate, Tensor dUp) {
        for (int i = 0; i < dOut.numel(); i++) {
            double g = get(gate, i);
            double s = sigmoid(g);
            set(dUp, i, g * s * get(dOut, i));
            set(dGate, i, s * (1 + g * (1 - s)) * get(up, i) * get(dOut, i));
        }
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }
}
