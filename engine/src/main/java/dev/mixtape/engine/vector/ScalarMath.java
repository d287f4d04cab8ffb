package dev.mixtape.engine.vector;

/**
 * {@link SimdMath#exp}'s arithmetic on one float: the same constants, fused multiply-adds and
 * exponent bits, so that an element gives the same bits whether a vector lane or a scalar loop
 * computes it. Loops that leave their last {@code n % lanes} elements to a scalar tail would
 * otherwise compute an element one way or the other depending on where it falls in the array, and
 * a row's values would depend on how many rows share its batch; the kernels for JVMs without the
 * Vector API use it too, so they agree with the vector ones bit for bit.
 */
final class ScalarMath {
    static final float LOG2E = 1.44269504088896341f;
    static final float LN2_HI = 0.693359375f;
    static final float LN2_LO = -2.12194440e-4f;
    static final float ROUNDING_MAGIC = 12582912f;
    static final float MAX_ARG = 88.3762626647949f;
    static final float MIN_ARG = -87.3365447504f;

    private ScalarMath() {
    }

    /** {@code e^x} within about 2 ulp, bit for bit as one lane of {@link SimdMath#exp}. */
    static float exp(float x) {
        float clamped = x > MAX_ARG ? MAX_ARG : x;
        float rounded = Math.fma(clamped, LOG2E, ROUNDING_MAGIC);
        float n = rounded - ROUNDING_MAGIC;
        float r = Math.fma(n, -LN2_HI, clamped);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(r, 1f / 720, 1f / 120);
        p = Math.fma(p, r, 1f / 24);
        p = Math.fma(p, r, 1f / 6);
        p = Math.fma(p, r, 0.5f);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        float scale = Float.intBitsToFloat((Float.floatToRawIntBits(rounded) + 127) << 23);
        return x < MIN_ARG ? 0f : p * scale;
    }

    /** {@code x·sigmoid(x)} as the vector kernels compute it: {@code x / (e^-x + 1)}. */
    static float silu(float x) {
        return x / (exp(-x) + 1f);
    }
}
