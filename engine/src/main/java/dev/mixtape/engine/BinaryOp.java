package dev.mixtape.engine;

/** Elementwise functions of two tensors of one (broadcast) shape, computed by {@link Backend#binary}. */
public enum BinaryOp {
    ADD, SUB, MUL, DIV
}
