package dev.mixtape.engine.io;

/**
 * Finds a NaN or ±Inf among a weight's values in one pass as it is loaded (a model's, an adapter's). A plain loop, on purpose:
 * C2 compiles it within the first tensor, and it then reads memory as fast as the copy that loading
 * makes anyway (134 M floats, a SmolLM2-135M model, in about 0.1-0.2 s on the two loaded cores this
 * was measured on), whereas a Vector API loop ran interpreted for its first second.
 */
public final class FiniteScan {
    private FiniteScan() {
    }

    /** The index of the first NaN or infinite value in {@code values}, or −1 when all are finite. */
    public static int firstNonFinite(float[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                return i;
            }
        }
        return -1;
    }
}
