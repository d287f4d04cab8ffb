package dev.mixtape.engine;

/** Elementwise functions of a tensor and a scalar {@code c}, computed by {@link Backend#scalar}. */
public enum ScalarOp {
    /** {@code x + c} */
    ADD,
    /** {@code x · c} */
    MUL,
    /** {@code x ^ c} */
    POW,
    /** {@code c − x} */
    SUBTRACT_FROM,
    /** {@code c / x} */
    DIVIDE_INTO
}
