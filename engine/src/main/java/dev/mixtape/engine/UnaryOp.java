package dev.mixtape.engine;

/** Elementwise functions of one tensor, computed by {@link Backend#unary}. */
public enum UnaryOp {
    NEG, EXP, LOG, SQRT, RSQRT, RECIPROCAL, SQUARE, SILU,
    /** The derivative of SiLU: {@code σ(x)·(1 + x·(1 − σ(x)))}. */
    SILU_DERIVATIVE
}
