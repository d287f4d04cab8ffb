package dev.mixtape.engine.vector;

import dev.mixtape.engine.BinaryOp;
import dev.mixtape.engine.ScalarOp;
import dev.mixtape.engine.UnaryOp;

/**
 * Plain-Java loops: the fallback when the Vector API is absent, and the tails of the SIMD loops
 * (elements {@code from..n-1}), so both paths compute each element with the same formula.
 */
final class ScalarArrayKernels implements ArrayKernels {

    static void binary(BinaryOp op, float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int from, int n) {
        switch (op) {
            case ADD -> {
                for (int i = from; i < n; i++) {
                    out[outOff + i] = a[aOff + i] + b[bOff + i];
                }
            }
            case SUB -> {
                for (int i = from; i < n; i++) {
                    out[outOff + i] = a[aOff + i] - b[bOff + i];
                }
            }
            case MUL -> {
                for (int i = from; i < n; i++) {
                    out[outOff + i] = a[aOff + i] * b[bOff + i];
                }
            }
            case DIV -> {
                for (int i = from; i < n; i++) {
                    out[outOff + i] = a[aOff + i] / b[bOff + i];
                }
            }
        }
    }

    static float apply(ScalarOp op, float x, float c) {
        return switch (op) {
            case ADD -> x + c;
            case MUL -> x * c;
            case POW -> (float) Math.pow(x, c);
            case SUBTRACT_FROM -> c - x;
            case DIVIDE_INTO -> c / x;
        };
    }

    static float apply(UnaryOp op, float x) {
        return switch (op) {
            case NEG -> -x;
            case EXP -> ScalarMath.exp(x);
            case LOG -> (float) Math.log(x);
            case SQRT -> (float) Math.sqrt(x);
            case RSQRT -> (float) (1.0 / Math.sqrt(x));
            case RECIPROCAL -> 1f / x;
            case SQUARE -> x * x;
            case SILU -> ScalarMath.silu(x);
            case SILU_DERIVATIVE -> {
                float s = 1f / (ScalarMath.exp(-x) + 1f);
                yield s * (1f + x * (1f - s));
            }
        };
    }

    static void scalar(ScalarOp op, float[] x, int xOff, float c, float[] out, int outOff, int from, int n) {
        for (int i = from; i < n; i++) {
            out[outOff + i] = apply(op, x[xOff + i], c);
        }
    }

    static void unary(UnaryOp op, float[] x, int xOff, float[] out, int outOff, int from, int n) {
        for (int i = from; i < n; i++) {
            out[outOff + i] = apply(op, x[xOff + i]);
        }
    }

    static void adamw(float[] p, int pOff, float[] g, int gOff, float[] m, int mOff, float[] v, int vOff, int from, int n,
                      float lr, float beta1, float beta2, float eps, float decay, float bc1, float bc2) {
        for (int i = from; i < n; i++) {
            float grad = g[gOff + i];
            float param = p[pOff + i] * decay;
            float mi = beta1 * m[mOff + i] + (1 - beta1) * grad;
            float vi = beta2 * v[vOff + i] + grad * grad * (1 - beta2);
            m[mOff + i] = mi;
            v[vOff + i] = vi;
            p[pOff + i] = param - lr * (mi / bc1) / ((float) Math.sqrt(vi / bc2) + eps);
        }
    }

    static void swiglu(float[] gate, int gOff, float[] up, int uOff, float[] out, int outOff, int from, int n) {
        for (int i = from; i < n; i++) {
            float g = gate[gOff + i];
            out[outOff + i] = ScalarMath.silu(g) * up[uOff + i];
        }
    }

    static void rotateHalves(float[] x, int xOff, float[] cos, int cOff, float[] sin, int sOff, float sign, float[] out,
                             int outOff, int from, int half) {
        for (int i = from; i < half; i++) {
            float c = cos[cOff + i];
            float s = sign * sin[sOff + i];
            float x0 = x[xOff + i];
            float x1 = x[xOff + half + i];
            out[outOff + i] = x0 * c - x1 * s;
            out[outOff + half + i] = x0 * s + x1 * c;
        }
    }

    static void swigluBackward(float[] gate, int gOff, float[] up, int uOff, float[] dOut, int dOff, float[] dGate, int dgOff,
                               float[] dUp, int duOff, int from, int n) {
        for (int i = from; i < n; i++) {
            float g = gate[gOff + i];
            float d = dOut[dOff + i];
            float denominator = ScalarMath.exp(-g) + 1f;
            float sigmoid = 1f / denominator;
            dUp[duOff + i] = g / denominator * d;
            dGate[dgOff + i] = sigmoid * (1f + g * (1f - sigmoid)) * d * up[uOff + i];
        }
    }

    @Override
    public void binary(BinaryOp op, float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        binary(op, a, aOff, b, bOff, out, outOff, 0, n);
    }

    @Override
    public void scalar(ScalarOp op, float[] x, int xOff, float c, float[] out, int outOff, int n) {
        scalar(op, x, xOff, c, out, outOff, 0, n);
    }

    @Override
    public void unary(UnaryOp op, float[] x, int xOff, float[] out, int outOff, int n) {
        unary(op, x, xOff, out, outOff, 0, n);
    }

    @Override
    public float sum(float[] x, int off, int n) {
        float s = 0;
        for (int i = 0; i < n; i++) {
            s += x[off + i];
        }
        return s;
    }

    @Override
    public float dot(float[] x, int xOff, float[] y, int yOff, int n) {
        float s = 0;
        for (int i = 0; i < n; i++) {
            s += x[xOff + i] * y[yOff + i];
        }
        return s;
    }

    @Override
    public float max(float[] x, int off, int n) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, x[off + i]);
        }
        return m;
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = Math.fma(alpha, x[xOff + i], y[yOff + i]);
        }
    }

    @Override
    public float expShifted(float[] x, int xOff, float shift, float[] out, int outOff, int n) {
        float s = 0;
        for (int i = 0; i < n; i++) {
            float e = ScalarMath.exp(x[xOff + i] - shift);
            out[outOff + i] = e;
            s += e;
        }
        return s;
    }

    @Override
    public void swiglu(float[] gate, int gOff, float[] up, int uOff, float[] out, int outOff, int n) {
        swiglu(gate, gOff, up, uOff, out, outOff, 0, n);
    }

    @Override
    public void swigluBackward(float[] gate, int gOff, float[] up, int uOff, float[] dOut, int dOff, float[] dGate, int dgOff,
                               float[] dUp, int duOff, int n) {
        swigluBackward(gate, gOff, up, uOff, dOut, dOff, dGate, dgOff, dUp, duOff, 0, n);
    }

    @Override
    public void rotateHalves(float[] x, int xOff, float[] cos, int cOff, float[] sin, int sOff, float sign, float[] out, int outOff,
                             int half) {
        rotateHalves(x, xOff, cos, cOff, sin, sOff, sign, out, outOff, 0, half);
    }

    @Override
    public void adamw(float[] p, int pOff, float[] g, int gOff, float[] m, int mOff, float[] v, int vOff, int n,
                      float lr, float beta1, float beta2, float eps, float decay, float bc1, float bc2) {
        adamw(p, pOff, g, gOff, m, mOff, v, vOff, 0, n, lr, beta1, beta2, eps, decay, bc1, bc2);
    }
}
