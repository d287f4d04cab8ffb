package dev.mixtape.models.tokenizer;

/**
 * A piece of text on its way through a tokenizer.json pipeline.
 *
 * @param text        the text
 * @param atTextStart true when the piece starts where the whole input starts (Metaspace's
 *                    {@code prepend_scheme: first} adds {@code ▁} only there)
 */
record TextPiece(String text, boolean atTextStart) {
}
