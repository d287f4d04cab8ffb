package dev.mixtape.engine;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * An n-dimensional array on a {@link Backend}: a shape, a dtype and a view (strides, offset) over a
 * {@link Storage}. Reshaping a contiguous tensor, transposing, permuting and slicing make views that
 * share storage; everything else makes a new tensor.
 *
 * <p>Autodiff follows PyTorch: mark leaves with {@link #requiresGrad(boolean)}, compute a scalar
 * loss with these methods and {@link F}, call {@link #backward()}, read {@link #grad()}. Each op that
 * sees an input requiring a gradient records itself on the {@link Tape}; see {@link Grad} to switch
 * recording off.
 */
public final class Tensor {
    private final Storage storage;
    private final int[] shape;
    private final int[] strides;
    private final int offset;

    private boolean requiresGrad;
    private Tensor grad;
    private Tape.Node node;

    Tensor(Storage storage, int[] shape, int[] strides, int offset) {
        this.storage = storage;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
    }

    // ---- creation ---------------------------------------------------------------------------

    /** A new contiguous tensor of zeros. */
    public static Tensor zeros(Backend backend, DType dtype, int... shape) {
        int[] s = shape.clone();
        return new Tensor(backend.allocate(dtype, Shapes.numel(s)), s, Shapes.contiguousStrides(s), 0);
    }

    /**
     * A new contiguous tensor whose values are undefined ({@link Backend#allocateForOverwrite}): for
     * ops whose backend primitive writes every element of its output.
     */
    static Tensor forOverwrite(Backend backend, DType dtype, int... shape) {
        int[] s = shape.clone();
        return new Tensor(backend.allocateForOverwrite(dtype, Shapes.numel(s)), s, Shapes.contiguousStrides(s), 0);
    }

    /** A new contiguous tensor with every element {@code value}. */
    public static Tensor full(Backend backend, DType dtype, double value, int... shape) {
        Tensor t = zeros(backend, dtype, shape);
        if (value != 0) {
            backend.fill(t, value);
        }
        return t;
    }

    /** A new f32 tensor on {@code backend} holding a copy of {@code data}. */
    public static Tensor of(Backend backend, float[] data, int... shape) {
        checkLength(data.length, shape);
        int[] s = shape.clone();
        return new Tensor(backend.fromArray(data), s, Shapes.contiguousStrides(s), 0);
    }

    /**
     * A new f32 tensor on {@code backend} over {@code data} itself, which the caller hands over and must
     * not touch again ({@link Backend#adopt}): loading a model this way does not copy each weight once more.
     */
    public static Tensor adopting(Backend backend, float[] data, int... shape) {
        checkLength(data.length, shape);
        int[] s = shape.clone();
        return new Tensor(backend.adopt(data), s, Shapes.contiguousStrides(s), 0);
    }

    /** A new tensor of {@code dtype} (F32 or F64) on {@code backend} holding a copy of {@code data}. */
    public static Tensor of(Backend backend, DType dtype, double[] data, int... shape) {
        checkLength(data.length, shape);
        int[] s = shape.clone();
        return new Tensor(backend.fromArray(dtype, data), s, Shapes.contiguousStrides(s), 0);
    }

    /**
     * A frozen {@code [rows, cols]} weight held in the block format {@code format} (Q8_0, Q4_0, Q4_K,
     * ...) on a backend with the {@link BlockWeights} capability: {@code blocks} holds the matrix's
     * blocks row after row, as ggml lays them out, and is used as it is, not copied.
     */
    public static Tensor ofBlocks(Backend backend, DType format, MemorySegment blocks, int rows, int cols) {
        if (!format.isBlockFormat()) {
            throw new IllegalArgumentException(format + " is not a block format");
        }
        BlockWeights holder = backend.capability(BlockWeights.class).orElseThrow(() -> new UnsupportedOperationException(
                "the " + backend.name() + " backend cannot hold " + format + " weights; use the vector backend or f32 weights"));
        int[] shape = {rows, cols};
        return new Tensor(holder.blockStorage(format, rows, cols, blocks), shape, Shapes.contiguousStrides(shape), 0);
    }

    private static void checkLength(int length, int[] shape) {
        if (length != Shapes.numel(shape)) {
            throw new IllegalArgumentException(length + " values do not fill shape " + Shapes.str(shape));
        }
    }

    // ---- what it is ---------------------------------------------------------------------------

    /** The dimensions (a copy). */
    public int[] shape() {
        return shape.clone();
    }

    /** Size of dimension {@code axis} (negative counts from the end). */
    public int dim(int axis) {
        return shape[Shapes.axis(axis, shape.length)];
    }

    /** Number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** Number of elements. */
    public int numel() {
        return Shapes.numel(shape);
    }

    public DType dtype() {
        return storage.dtype();
    }

    public Backend backend() {
        return storage.backend();
    }

    /** The storage this tensor views (for backends). */
    public Storage storage() {
        return storage;
    }

    /** Element strides of the view (a copy; for backends). */
    public int[] strides() {
        return strides.clone();
    }

    /** Element offset of the view into its storage (for backends). */
    public int offset() {
        return offset;
    }

    /** Whether the view is dense in row-major order (it may still start at an offset). */
    public boolean isContiguous() {
        int expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expected) {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }

    // ---- autodiff ----------------------------------------------------------------------------

    /** Whether gradients flow to or through this tensor. */
    public boolean requiresGrad() {
        return requiresGrad || node() != null;
    }

    /** Marks a leaf tensor (a parameter) as needing a gradient; returns {@code this}. */
    public Tensor requiresGrad(boolean required) {
        if (node() != null) {
            throw new IllegalStateException("requiresGrad can only be set on a leaf tensor, not on the output of " + node.op());
        }
        requiresGrad = required;
        return this;
    }

    /** The accumulated gradient of a leaf, or null before any {@link #backward()} reached it. */
    public Tensor grad() {
        return grad;
    }

    /** Clears the accumulated gradient. */
    public void zeroGrad() {
        grad = null;
    }

    /** Whether this tensor was produced by a recorded op (false for leaves). */
    public boolean hasGradFn() {
        return node() != null;
    }

    /** Back-propagates from this scalar (a one-element tensor) with gradient 1. */
    public void backward() {
        if (numel() != 1) {
            throw new IllegalStateException("backward() needs a scalar, this tensor has shape " + Shapes.str(shape));
        }
        backward(full(backend(), dtype(), 1.0, shape));
    }

    /** Back-propagates {@code gradient} (of this tensor's shape) through the recorded graph. */
    public void backward(Tensor gradient) {
        if (!requiresGrad()) {
            throw new IllegalStateException("backward() on a tensor that does not require a gradient: "
                    + "no parameter with requiresGrad(true) contributed to it, or it was computed under Grad.off()");
        }
        Tape.backward(this, gradient);
    }

    /** The same data, cut from the graph: a leaf that requires no gradient. */
    public Tensor detach() {
        return new Tensor(storage, shape, strides, offset);
    }

    /** The op that produced this tensor, or null for a leaf and once back-propagation has run through it. */
    Tape.Node node() {
        if (node != null && node.released()) {
            node = null;
        }
        return node;
    }

    void attach(Tape.Node producer) {
        node = producer;
    }

    void accumulateGrad(Tensor g) {
        if (!requiresGrad) {
            return;
        }
        if (grad == null) {
            grad = g.copy();
        } else {
            backend().binary(BinaryOp.ADD, grad, g, grad);
        }
    }

    // ---- reading values -------------------------------------------------------------------------

    /** The elements in row-major order as floats. */
    public float[] toFloatArray() {
        return backend().toFloatArray(this);
    }

    /** The elements in row-major order as doubles. */
    public double[] toDoubleArray() {
        return backend().toDoubleArray(this);
    }

    /** The value of a one-element tensor. */
    public double item() {
        if (numel() != 1) {
            throw new IllegalStateException("item() needs one element, shape is " + Shapes.str(shape));
        }
        return toDoubleArray()[0];
    }

    /** A new contiguous tensor with the same values, not connected to the graph. */
    public Tensor copy() {
        Tensor out = zeros(backend(), dtype(), shape);
        backend().copy(this, out);
        return out;
    }

    /** Copies {@code source}'s values into this tensor in place (same shape); not recorded. */
    public Tensor assign(Tensor source) {
        if (!Arrays.equals(shape, source.shape)) {
            throw new IllegalArgumentException("assign: shape " + Shapes.str(source.shape) + " into " + Shapes.str(shape));
        }
        backend().copy(source, this);
        return this;
    }

    /**
     * A new contiguous tensor of the same values in {@code dtype} on this backend, rounded to nearest
     * even when narrowing; not connected to the graph. {@code to(DType.BF16)} keeps a frozen weight in
     * half the memory (see {@link DType}).
     */
    public Tensor to(DType dtype) {
        if (dtype.isBlockFormat()) {
            throw new IllegalArgumentException("to(" + dtype + "): block-format weights are made from their blocks, with Tensor.ofBlocks");
        }
        if (!backend().supports(dtype)) {
            throw new UnsupportedOperationException("the " + backend().name() + " backend cannot hold " + dtype + " tensors");
        }
        Tensor out = zeros(backend(), dtype, shape);
        backend().copy(this, out);
        return out;
    }

    /** A tensor of the same shape and values on another backend (f32, or this dtype if supported there and not a block format). */
    public Tensor to(Backend target) {
        if (target == backend()) {
            return this;
        }
        if (target.supports(dtype()) && !dtype().isBlockFormat()) {
            return of(target, dtype(), toDoubleArray(), shape);
        }
        return of(target, toFloatArray(), shape);
    }

    // ---- views and shape ops (ShapeOps) ------------------------------------------------------------

    /** The same elements in a new shape; one dimension may be -1. A view when contiguous. */
    public Tensor reshape(int... newShape) {
        return ShapeOps.reshape(this, newShape);
    }

    /** Swaps two dimensions (a view). */
    public Tensor transpose(int axis0, int axis1) {
        return ShapeOps.transpose(this, axis0, axis1);
    }

    /** Reorders the dimensions (a view): dimension i of the result is dimension {@code order[i]} here. */
    public Tensor permute(int... order) {
        return ShapeOps.permute(this, order);
    }

    /** Elements {@code start} (inclusive) to {@code end} (exclusive) along {@code axis} (a view). */
    public Tensor slice(int axis, int start, int end) {
        return ShapeOps.slice(this, axis, start, end);
    }

    /** This tensor broadcast to {@code newShape} (a view with stride 0 on stretched dimensions). */
    public Tensor expand(int... newShape) {
        return ShapeOps.expand(this, newShape);
    }

    /** This tensor if contiguous, else a contiguous copy (recorded, so gradients flow). */
    public Tensor contiguous() {
        return ShapeOps.contiguous(this);
    }

    /** View constructor for ShapeOps: same storage, new geometry. */
    Tensor view(int[] newShape, int[] newStrides, int newOffset) {
        return new Tensor(storage, newShape, newStrides, newOffset);
    }

    // ---- arithmetic (Elementwise, Reductions, MatmulOp) ------------------------------------------------

    /** {@code this + other}, broadcasting. */
    public Tensor add(Tensor other) {
        return Elementwise.binary(BinaryOp.ADD, this, other);
    }

    /** {@code this − other}, broadcasting. */
    public Tensor sub(Tensor other) {
        return Elementwise.binary(BinaryOp.SUB, this, other);
    }

    /** {@code this ⊙ other}, broadcasting. */
    public Tensor mul(Tensor other) {
        return Elementwise.binary(BinaryOp.MUL, this, other);
    }

    /** {@code this / other}, broadcasting. */
    public Tensor div(Tensor other) {
        return Elementwise.binary(BinaryOp.DIV, this, other);
    }

    /** {@code this + c}. */
    public Tensor add(double c) {
        return Elementwise.scalar(ScalarOp.ADD, this, c);
    }

    /** {@code this − c}. */
    public Tensor sub(double c) {
        return Elementwise.scalar(ScalarOp.ADD, this, -c);
    }

    /** {@code this · c}. */
    public Tensor mul(double c) {
        return Elementwise.scalar(ScalarOp.MUL, this, c);
    }

    /** {@code this / c}. */
    public Tensor div(double c) {
        return Elementwise.scalar(ScalarOp.MUL, this, 1.0 / c);
    }

    /** {@code this ^ p} elementwise. */
    public Tensor pow(double p) {
        return Elementwise.scalar(ScalarOp.POW, this, p);
    }

    public Tensor neg() {
        return Elementwise.unary(UnaryOp.NEG, this);
    }

    public Tensor exp() {
        return Elementwise.unary(UnaryOp.EXP, this);
    }

    public Tensor log() {
        return Elementwise.unary(UnaryOp.LOG, this);
    }

    public Tensor sqrt() {
        return Elementwise.unary(UnaryOp.SQRT, this);
    }

    /** {@code 1 / sqrt(this)}. */
    public Tensor rsqrt() {
        return Elementwise.unary(UnaryOp.RSQRT, this);
    }

    /** Sum of all elements, a scalar of shape {@code []}. */
    public Tensor sum() {
        return Reductions.sumAll(this);
    }

    /** Sum over {@code axes}; kept as size-1 dimensions when {@code keepDims}. */
    public Tensor sum(boolean keepDims, int... axes) {
        return Reductions.sum(this, keepDims, axes);
    }

    /** Mean of all elements, a scalar of shape {@code []}. */
    public Tensor mean() {
        return sum().div(numel());
    }

    /** Mean over {@code axes}; kept as size-1 dimensions when {@code keepDims}. */
    public Tensor mean(boolean keepDims, int... axes) {
        return Reductions.mean(this, keepDims, axes);
    }

    /**
     * Matrix product over the last two dimensions, batched over the leading ones; {@code other} may
     * be 2-D and shared by every batch. A transposed view as either operand is read in place.
     */
    public Tensor matmul(Tensor other) {
        return MatmulOp.matmul(this, other);
    }

    @Override
    public String toString() {
        String values = numel() <= 16 ? " " + Arrays.toString(toFloatArray()) : "";
        return "Tensor" + Shapes.str(shape) + " " + dtype() + " on " + backend().name() + values;
    }
}
