package dev.mixtape.spark;

import java.io.Serializable;

/**
 * Where every partition starts a round of local SGD, broadcast by the driver: the adapter's weights
 * and the optimizer's state, as the last round's average (or the checkpoint) left them.
 */
record RoundStart(NamedArrays weights, NamedArrays optimizerState) implements Serializable {
}
