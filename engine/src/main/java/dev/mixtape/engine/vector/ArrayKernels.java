package dev.mixtape.engine.vector;

import dev.mixtape.engine.BinaryOp;
import dev.mixtape.engine.ScalarOp;
import dev.mixtape.engine.UnaryOp;

import java.util.Arrays;

/**
 * Loops over dense float arrays (offset + length) that the Vector backend builds every op from. Two
 * implementations: {@link SimdArrayKernels} (Vector API) and {@link ScalarArrayKernels}, used when
 * the JVM was started without {@code --add-modules jdk.incubator.vector}.
 */
interface ArrayKernels {

    /** {@code out[i] = op(a[i], b[i])}. */
    void binary(BinaryOp op, float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n);

    /** {@code out[i] = op(x[i], c)}. */
    void scalar(ScalarOp op, float[] x, int xOff, float c, float[] out, int outOff, int n);

    /** {@code out[i] = op(x[i])}. */
    void unary(UnaryOp op, float[] x, int xOff, float[] out, int outOff, int n);

    /** {@code Σ x[i]}. */
    float sum(float[] x, int off, int n);

    /** {@code Σ x[i]·y[i]}. */
    float dot(float[] x, int xOff, float[] y, int yOff, int n);

    /** {@code max x[i]}. */
    float max(float[] x, int off, int n);

    /** {@code y[i] += alpha·x[i]}. */
    void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n);

    /** {@code out[i] = exp(x[i] − shift)}, returning {@code Σ out[i]}. */
    float expShifted(float[] x, int xOff, float shift, float[] out, int outOff, int n);

    /**
     * Softmax of {@code x[xOff, xOff + valid)} into {@code out} from {@code outOff}, then zeros up to
     * {@code n} values: a row of attention scores whose columns from {@code valid} on are masked.
     * {@code out} may be {@code x}.
     */
    default void softmax(float[] x, int xOff, float[] out, int outOff, int valid, int n) {
        float max = max(x, xOff, valid);
        float sum = expShifted(x, xOff, max, out, outOff, valid);
        scalar(ScalarOp.MUL, out, outOff, 1f / sum, out, outOff, valid);
        Arrays.fill(out, outOff + valid, outOff + n, 0f);
    }

    /**
     * The softmax's backward over {@code n} values, from its output {@code y} and the gradient
     * {@code dy}: {@code dx[i] = y[i]·(dy[i] − Σ_j dy[j]·y[j])}. {@code dx} may be {@code dy}.
     */
    default void softmaxBackward(float[] y, int yOff, float[] dy, int dyOff, float[] dx, int dxOff, int n) {
        float dot = dot(y, yOff, dy, dyOff, n);
        scalar(ScalarOp.ADD, dy, dyOff, -dot, dx, dxOff, n);
        binary(BinaryOp.MUL, dx, dxOff, y, yOff, dx, dxOff, n);
    }

    /** SwiGLU in one pass: {@code out[i] = silu(gate[i])·up[i]}. */
    void swiglu(float[] gate, int gOff, float[] up, int uOff, float[] out, int outOff, int n);

    /**
     * SwiGLU's backward in one pass: {@code dUp[i] = silu(gate[i])·dOut[i]} and
     * {@code dGate[i] = silu'(gate[i])·dOut[i]·up[i]}, with one exponential per element for both.
     */
    void swigluBackward(float[] gate, int gOff, float[] up, int uOff, float[] dOut, int dOff, float[] dGate, int dgOff,
                        float[] dUp, int duOff, int n);

    /**
     * Rotary embedding of one head with the halves layout: each pair {@code (x[i], x[i + half])} turned
     * by the angle whose cosine and sine are {@code cos[i]} and {@code sign·sin[i]}, for {@code i < half}:
     * {@code out[i] = x[i]·c − x[i+half]·s}, {@code out[i+half] = x[i]·s + x[i+half]·c}.
     */
    void rotateHalves(float[] x, int xOff, float[] cos, int cOff, float[] sin, int sOff, float sign, float[] out, int outOff,
                      int half);

    /** One AdamW update over {@code n} elements; see {@link dev.mixtape.engine.FusedOptimizerSteps#adamwStep}. */
    void adamw(float[] p, int pOff, float[] g, int gOff, float[] m, int mOff, float[] v, int vOff, int n,
               float lr, float beta1, float beta2, float eps, float decay, float bc1, float bc2);
}
