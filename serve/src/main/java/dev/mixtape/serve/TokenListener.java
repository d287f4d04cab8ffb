package dev.mixtape.serve;

/**
 * Receives a generation's output as the engine produces it, on the engine's thread: keep each call
 * short (hand the text to another thread to write anywhere slow).
 */
public interface TokenListener {
    /** A piece of generated text, complete UTF-8 characters and never part of a stop sequence. */
    void onText(String text);

    /** The generation ended; called once, last. */
    void onFinish(Completion completion);

    /** The generation failed; called once, last, instead of {@link #onFinish}. */
    void onError(RuntimeException error);
}
