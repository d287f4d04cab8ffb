package dev.mixtape.serve;

/**
 * How a generation ended and what it counted.
 *
 * @param finishReason     why it ended
 * @param promptTokens     tokens of the prompt
 * @param completionTokens tokens generated (the end-of-sequence token not counted)
 * @param text             the whole generated text, without a stop sequence that ended it
 */
public record Completion(FinishReason finishReason, int promptTokens, int completionTokens, String text) {
}
