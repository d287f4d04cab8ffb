package dev.mixtape.engine.vector;

import dev.mixtape.engine.BinaryOp;
import dev.mixtape.engine.ScalarOp;
import dev.mixtape.engine.UnaryOp;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The array loops written with the Vector API at the platform's preferred species (8 floats on
 * AVX2, 16 on AVX-512); the last {@code n % lanes} elements go through {@link ScalarArrayKernels},
 * whose arithmetic is the lanes' own ({@link ScalarMath}), so that an element's value does not
 * depend on where it falls in the array.
 * This class is loaded only when {@code jdk.incubator.vector} is present.
 */
final class SimdArrayKernels implements ArrayKernels {
    private static final VectorSpecies<Float> S = VectorWidth.FLOATS;

    @Override
    public void binary(BinaryOp op, float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        switch (op) {
            case ADD -> {
                for (; i < bound; i += S.length()) {
                    FloatVector.fromArray(S, a, aOff + i).add(FloatVector.fromArray(S, b, bOff + i)).intoArray(out, outOff + i);
                }
            }
            case SUB -> {
                for (; i < bound; i += S.length()) {
                    FloatVector.fromArray(S, a, aOff + i).sub(FloatVector.fromArray(S, b, bOff + i)).intoArray(out, outOff + i);
                }
            }
            case MUL -> {
                for (; i < bound; i += S.length()) {
                    FloatVector.fromArray(S, a, aOff + i).mul(FloatVector.fromArray(S, b, bOff + i)).intoArray(out, outOff + i);
                }
            }
            case DIV -> {
                for (; i < bound; i += S.length()) {
                    FloatVector.fromArray(S, a, aOff + i).div(FloatVector.fromArray(S, b, bOff + i)).intoArray(out, outOff + i);
                }
            }
        }
        ScalarArrayKernels.binary(op, a, aOff, b, bOff, out, outOff, i, n);
    }

    @Override
    public void scalar(ScalarOp op, float[] x, int xOff, float c, float[] out, int outOff, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        switch (op) {
            case ADD -> {
                for (; i < bound; i += S.length()) {
                    FloatVector.fromArray(S, x, xOff + i).add(c).intoArray(out, outOff + i);
                }
            }
            case MUL -> {
                for (; i < bound; i += S.length()) {
                    FloatVector.fromArray(S, x, xOff + i).mul(c).intoArray(out, outOff + i);
                }
            }
            case SUBTRACT_FROM -> {
                FloatVector cv = FloatVector.broadcast(S, c);
                for (; i < bound; i += S.length()) {
                    cv.sub(FloatVector.fromArray(S, x, xOff + i)).intoArray(out, outOff + i);
                }
            }
            case DIVIDE_INTO -> {
                FloatVector cv = FloatVector.broadcast(S, c);
                for (; i < bound; i += S.length()) {
                    cv.div(FloatVector.fromArray(S, x, xOff + i)).intoArray(out, outOff + i);
                }
            }
            case POW -> {
                // No lanewise pow here: the scalar loop below computes every element.
            }
        }
        ScalarArrayKernels.scalar(op, x, xOff, c, out, outOff, i, n);
    }

    @Override
    public void unary(UnaryOp op, float[] x, int xOff, float[] out, int outOff, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        switch (op) {
            case NEG -> {
                for (; i < bound; i += S.length()) {
                    FloatVector.fromArray(S, x, xOff + i).neg().intoArray(out, outOff + i);
                }
            }
            case EXP -> {
                for (; i < bound; i += S.length()) {
                    SimdMath.exp(FloatVector.fromArray(S, x, xOff + i)).intoArray(out, outOff + i);
                }
            }
            case SQRT -> {
                for (; i < bound; i += S.length()) {
                    FloatVector.fromArray(S, x, xOff + i).sqrt().intoArray(out, outOff + i);
                }
            }
            case SQUARE -> {
                for (; i < bound; i += S.length()) {
                    FloatVector v = FloatVector.fromArray(S, x, xOff + i);
                    v.mul(v).intoArray(out, outOff + i);
                }
            }
            case SILU -> {
                for (; i < bound; i += S.length()) {
                    FloatVector v = FloatVector.fromArray(S, x, xOff + i);
                    v.div(SimdMath.exp(v.neg()).add(1f)).intoArray(out, outOff + i);
                }
            }
            default -> {
                // LOG, RSQRT, RECIPROCAL, SILU_DERIVATIVE: the scalar loop below computes every element.
            }
        }
        ScalarArrayKernels.unary(op, x, xOff, out, outOff, i, n);
    }

    @Override
    public float sum(float[] x, int off, int n) {
        int bound = S.loopBound(n);
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i < bound; i += S.length()) {
            acc = acc.add(FloatVector.fromArray(S, x, off + i));
        }
        float s = SimdMath.sumLanes(acc);
        for (; i < n; i++) {
            s += x[off + i];
        }
        return s;
    }

    @Override
    public float dot(float[] x, int xOff, float[] y, int yOff, int n) {
        int bound = S.loopBound(n);
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i < bound; i += S.length()) {
            acc = FloatVector.fromArray(S, x, xOff + i).fma(FloatVector.fromArray(S, y, yOff + i), acc);
        }
        float s = SimdMath.sumLanes(acc);
        for (; i < n; i++) {
            s += x[xOff + i] * y[yOff + i];
        }
        return s;
    }

    @Override
    public float max(float[] x, int off, int n) {
        int bound = S.loopBound(n);
        FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i < bound; i += S.length()) {
            acc = acc.max(FloatVector.fromArray(S, x, off + i));
        }
        float m = acc.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            m = Math.max(m, x[off + i]);
        }
        return m;
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, xOff + i).fma(FloatVector.broadcast(S, alpha), FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] = Math.fma(alpha, x[xOff + i], y[yOff + i]);
        }
    }

    @Override
    public float expShifted(float[] x, int xOff, float shift, float[] out, int outOff, int n) {
        int bound = S.loopBound(n);
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector e = SimdMath.exp(FloatVector.fromArray(S, x, xOff + i).sub(shift));
            e.intoArray(out, outOff + i);
            acc = acc.add(e);
        }
        float s = SimdMath.sumLanes(acc);
        for (; i < n; i++) {
            float e = ScalarMath.exp(x[xOff + i] - shift);
            out[outOff + i] = e;
            s += e;
        }
        return s;
    }

    @Override
    public void swiglu(float[] gate, int gOff, float[] up, int uOff, float[] out, int outOff, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector g = FloatVector.fromArray(S, gate, gOff + i);
            g.div(SimdMath.exp(g.neg()).add(1f)).mul(FloatVector.fromArray(S, up, uOff + i)).intoArray(out, outOff + i);
        }
        ScalarArrayKernels.swiglu(gate, gOff, up, uOff, out, outOff, i, n);
    }

    @Override
    public void swigluBackward(float[] gate, int gOff, float[] up, int uOff, float[] dOut, int dOff, float[] dGate, int dgOff,
                               float[] dUp, int duOff, int n) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector g = FloatVector.fromArray(S, gate, gOff + i);
            FloatVector d = FloatVector.fromArray(S, dOut, dOff + i);
            FloatVector denominator = SimdMath.exp(g.neg()).add(1f);
            FloatVector sigmoid = FloatVector.broadcast(S, 1f).div(denominator);
            g.div(denominator).mul(d).intoArray(dUp, duOff + i);
            FloatVector derivative = sigmoid.mul(g.mul(sigmoid.neg().add(1f)).add(1f));
            derivative.mul(d).mul(FloatVector.fromArray(S, up, uOff + i)).intoArray(dGate, dgOff + i);
        }
        ScalarArrayKernels.swigluBackward(gate, gOff, up, uOff, dOut, dOff, dGate, dgOff, dUp, duOff, i, n);
    }

    @Override
    public void rotateHalves(float[] x, int xOff, float[] cos, int cOff, float[] sin, int sOff, float sign, float[] out, int outOff,
                             int half) {
        int bound = S.loopBound(half);
        int i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector c = FloatVector.fromArray(S, cos, cOff + i);
            FloatVector s = FloatVector.fromArray(S, sin, sOff + i).mul(sign);
            FloatVector x0 = FloatVector.fromArray(S, x, xOff + i);
            FloatVector x1 = FloatVector.fromArray(S, x, xOff + half + i);
            x0.mul(c).sub(x1.mul(s)).intoArray(out, outOff + i);
            x0.mul(s).add(x1.mul(c)).intoArray(out, outOff + half + i);
        }
        ScalarArrayKernels.rotateHalves(x, xOff, cos, cOff, sin, sOff, sign, out, outOff, i, half);
    }

    @Override
    public void adamw(float[] p, int pOff, float[] g, int gOff, float[] m, int mOff, float[] v, int vOff, int n,
                      float lr, float beta1, float beta2, float eps, float decay, float bc1, float bc2) {
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += S.length()) {
            FloatVector grad = FloatVector.fromArray(S, g, gOff + i);
            FloatVector param = FloatVector.fromArray(S, p, pOff + i).mul(decay);
            FloatVector mi = FloatVector.fromArray(S, m, mOff + i).mul(beta1).add(grad.mul(1 - beta1));
            FloatVector vi = FloatVector.fromArray(S, v, vOff + i).mul(beta2).add(grad.mul(grad).mul(1 - beta2));
            mi.intoArray(m, mOff + i);
            vi.intoArray(v, vOff + i);
            param.sub(mi.div(bc1).mul(lr).div(vi.div(bc2).sqrt().add(eps))).intoArray(p, pOff + i);
        }
        ScalarArrayKernels.adamw(p, pOff, g, gOff, m, mOff, v, vOff, i, n, lr, beta1, beta2, eps, decay, bc1, bc2);
    }
}
