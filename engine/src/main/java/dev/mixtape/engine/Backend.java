package dev.mixtape.engine;

import java.util.Optional;
import java.util.function.Supplier;

/**
 * The kernels a tensor engine needs, implemented once per device. Ops ({@link Tensor}'s methods and
 * {@link F}) allocate their outputs, call these primitives and record their backward on the tape; a
 * backend only computes. Fused kernels beyond these primitives are optional capabilities an op looks
 * up with {@link #capability}; the op itself composes the result where a backend has none. Two
 * implementations exist: {@code VectorBackend} (JDK Vector API, the default) and {@code Nd4jBackend}
 * (ND4J on CPU or CUDA); {@link Backends} chooses between them.
 *
 * <p>Conventions for every primitive:
 * <ul>
 *   <li>Inputs may be any view (strides, offset) unless marked "contiguous"; outputs are contiguous
 *       tensors allocated by the caller, of the stated shape and of the inputs' dtype.</li>
 *   <li>All tensors of one call share this backend and one dtype ({@link DType#F32}, or
 *       {@link DType#F64} where {@link #supports} says so). The one exception: where a backend
 *       supports {@link DType#BF16}, the weight operand of {@link #matmul} (either side),
 *       {@link #gatherRows} and {@link FusedLinearCrossEntropy} may be a frozen BF16 tensor read as F32;
 *       {@link #copy} converts between the two. Every other primitive refuses BF16. A backend with the
 *       {@link BlockWeights} capability takes a frozen block-format weight in the same places.</li>
 *   <li>"rows" means the tensor viewed as {@code [numel / lastDim, lastDim]}.</li>
 * </ul>
 */
public interface Backend {

    /** Short name used by the {@code mixtape.backend} switch: {@code vector} or {@code nd4j}. */
    String name();

    /** Whether tensors of this dtype can live here. Every backend supports F32. */
    boolean supports(DType dtype);

    // ---- storage --------------------------------------------------------------------------

    /** A zero-filled storage of {@code size} elements. */
    Storage allocate(DType dtype, int size);

    /**
     * A storage of {@code size} elements whose contents are undefined, for an op's output that the
     * primitive it calls writes whole. The default is {@link #allocate}; where an open
     * {@link StepMemory} step lends a recycled array, the Vector backend skips zeroing it.
     */
    default Storage allocateForOverwrite(DType dtype, int size) {
        return allocate(dtype, size);
    }

    /**
     * Memory a training loop recycles from one step to the next ({@link StepMemory}); each call
     * returns a new one, holding no arrays yet. The default recycles nothing.
     */
    default StepMemory stepMemory() {
        return StepMemory.NONE;
    }

    /**
     * Opens a {@link StepMemory.Scope} in the calling thread's open {@link StepMemory} step: the arrays
     * allocated from now until it closes go back to the step then, all but those the caller keeps. The
     * default, and the result outside a step, is {@link StepMemory.Scope#NONE}.
     */
    default StepMemory.Scope stepScope() {
        return StepMemory.Scope.NONE;
    }

    /**
     * Hands the array of {@code dead} back to the calling thread's open {@link StepMemory} step, for the
     * step's later allocations, when the step lent it: the caller knows that nothing reads it, nor any
     * other tensor over its storage, any more (reading one afterwards throws). What the back-propagation
     * does with a gradient it has passed on ({@link Tape}). The default, and the result outside a step or
     * for a tensor the step did not lend, does nothing.
     */
    default void recycle(Tensor dead) {
    }

    /**
     * Runs {@code make} with the calling thread's open {@link StepMemory} step, if any, set aside, so
     * that the tensors it allocates outlive the step: state made lazily during a first step, such as
     * an optimizer's moments. The default, for backends that recycle nothing, just runs it.
     */
    default <T> T outsideStep(Supplier<T> make) {
        return make.get();
    }

    /**
     * The optional fused kernel {@code kind} ({@link MatmulLowRankEpilogue}, {@link FusedCausalAttention},
     * {@link FusedLinearCrossEntropy}, {@link FusedOptimizerSteps}, {@link SharedInputProducts}) if this backend has one, else empty; an op that finds none composes
     * the result from the primitives of this interface. The default offers the capabilities this
     * backend implements.
     */
    default <K> Optional<K> capability(Class<K> kind) {
        return kind.isInstance(this) ? Optional.of(kind.cast(this)) : Optional.empty();
    }

    /** A storage holding a copy of {@code data} in the given dtype (F32 or F64). */
    Storage fromArray(DType dtype, double[] data);

    /** A storage holding a copy of {@code data} as F32. */
    Storage fromArray(float[] data);

    /**
     * A storage of {@code data} itself, which the caller hands over and must not touch again (a weight
     * just read from a file): no copy where the backend keeps f32 arrays. The default copies it.
     */
    default Storage adopt(float[] data) {
        return fromArray(data);
    }

    /** Copies the elements of {@code t} (any view) in row-major order into a new float array. */
    float[] toFloatArray(Tensor t);

    /** Copies the elements of {@code t} (any view) in row-major order into a new double array. */
    double[] toDoubleArray(Tensor t);

    // ---- data movement and elementwise ----------------------------------------------------

    /**
     * Copies {@code src} into {@code dst}, element for element in row-major order of their common
     * shape. Both may be views; a stride of 0 in {@code src} broadcasts it. {@code dst} must not
     * overlap {@code src} unless they are the same view.
     */
    void copy(Tensor src, Tensor dst);

    /** Sets every element of the view {@code dst} to {@code value}. */
    void fill(Tensor dst, double value);

    /** {@code out = op(x)} elementwise; {@code x} has {@code out}'s shape (it may be {@code out} itself). */
    void unary(UnaryOp op, Tensor x, Tensor out);

    /** {@code out = op(x, c)} elementwise with a scalar {@code c}; {@code x} may be {@code out}. */
    void scalar(ScalarOp op, Tensor x, double c, Tensor out);

    /**
     * {@code out = op(a, b)} elementwise. {@code a} and {@code b} have {@code out}'s shape, possibly as
     * broadcast views (stride 0 on the broadcast dimensions); either may be {@code out} itself.
     */
    void binary(BinaryOp op, Tensor a, Tensor b, Tensor out);

    /**
     * Sums {@code x} into {@code out}, whose shape has {@code x}'s rank with some dimensions 1: every
     * dimension where {@code out} has 1 and {@code x} does not is summed over.
     */
    void sumTo(Tensor x, Tensor out);

    /** The sum of squares of all elements of {@code x}, accumulated in double. */
    double sumOfSquares(Tensor x);

    // ---- matmul -----------------------------------------------------------------------------

    /**
     * Batched matrix product {@code out = op(a)·op(b)} (plus {@code out} when {@code accumulate}),
     * where {@code op} transposes the last two dimensions when its flag is set. {@code a} is
     * {@code [batch…, m, k]} ({@code [batch…, k, m]} if {@code transA}); {@code b} is
     * {@code [batch…, k, n]} or {@code [k, n]} shared by all batches ({@code n, k} if {@code transB});
     * {@code out} is {@code [batch…, m, n]}. Each matrix of {@code a}, {@code b} and {@code out} is
     * row-major, its rows possibly further apart than their length ({@link Shapes#matrixRowStride}), so
     * a range of columns of a larger matrix is read or written in place; a stack of them may step by
     * any uniform stride ({@link Shapes#matrixBatchStride}), so a slice of a larger stack is too.
     */
    void matmul(Tensor a, boolean transA, Tensor b, boolean transB, Tensor out, boolean accumulate);

    // ---- the primitives of a transformer --------------------------------------------------------

    /**
     * RMSNorm over the last dimension: {@code out = w ⊙ x / sqrt(mean(x²) + eps)}; stores
     * {@code 1/sqrt(mean(x²) + eps)} per row in {@code invRms} (contiguous {@code [rows]}).
     * {@code x} and {@code weight} are contiguous.
     */
    void rmsNorm(Tensor x, Tensor weight, double eps, Tensor out, Tensor invRms);

    /**
     * Backward of {@link #rmsNorm}: writes {@code dx} and adds the weight gradient into {@code dWeight}
     * (contiguous, same shape as the weight), or skips it when {@code dWeight} is null (a frozen
     * weight). All inputs contiguous.
     */
    void rmsNormBackward(Tensor x, Tensor weight, Tensor invRms, Tensor dOut, Tensor dx, Tensor dWeight);

    /**
     * Rotary position embedding on contiguous {@code x [batch…, T, headDim]}: position of row t is
     * {@code positionOffset + t}; {@code cos}, {@code sin} are contiguous {@code [maxPositions, headDim/2]}.
     * {@code inverse} rotates by the negative angle (the backward of the forward rotation).
     */
    void rope(Tensor x, Tensor cos, Tensor sin, RopeLayout layout, int positionOffset, boolean inverse, Tensor out);

    /**
     * Softmax over the last dimension of contiguous {@code x}. With {@code causalPeriod > 0}, row r is
     * the query at position {@code r % causalPeriod + causalOffset} and columns beyond that position
     * get weight 0 (masked before the softmax). {@code out} may be {@code x} itself.
     */
    void softmax(Tensor x, int causalPeriod, int causalOffset, Tensor out);

    /**
     * Backward of {@link #softmax} from its output {@code y}: {@code dx = y ⊙ (dy − Σ(dy ⊙ y))} per
     * row. {@code dx} may be {@code dy} itself.
     */
    void softmaxBackward(Tensor y, Tensor dy, Tensor dx);

    /**
     * Fused log-softmax + negative log-likelihood on contiguous {@code logits [N, V]}: writes
     * {@code losses[i] = logsumexp(logits[i]) − logits[i, targets[i]]} (0 where the target is
     * {@code ignoreIndex}) and {@code logSumExp[i]}, both contiguous {@code [N]}.
     */
    void crossEntropy(Tensor logits, int[] targets, int ignoreIndex, Tensor losses, Tensor logSumExp);

    /**
     * Backward of {@link #crossEntropy} for {@code loss = scale · Σ losses}: {@code dLogits[i] =
     * scale · (softmax(logits[i]) − onehot(targets[i]))}, zero rows where the target is ignored.
     */
    void crossEntropyBackward(Tensor logits, int[] targets, int ignoreIndex, Tensor logSumExp, double scale,
                              Tensor dLogits);

    /** {@code out[i] = table[ids[i]]} for contiguous {@code table [V, D]}, {@code out [N, D]}. */
    void gatherRows(Tensor table, int[] ids, Tensor out);

    /** {@code dTable[ids[i]] += dOut[i]} for contiguous {@code dOut [N, D]}, {@code dTable [V, D]}. */
    void scatterAddRows(Tensor dOut, int[] ids, Tensor dTable);

    /** SwiGLU: {@code out = silu(gate) ⊙ up}, all contiguous and of one shape. */
    void swiglu(Tensor gate, Tensor up, Tensor out);

    /** Backward of {@link #swiglu}: writes {@code dGate} and {@code dUp}. */
    void swigluBackward(Tensor gate, Tensor up, Tensor dOut, Tensor dGate, Tensor dUp);
}
