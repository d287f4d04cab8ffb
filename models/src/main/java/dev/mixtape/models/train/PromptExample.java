package dev.mixtape.models.train;

/**
 * What exact-match accuracy needs of a prompt/completion record: the ids the model starts from
 * (BOS and the prompt, as in training), the completion text it should produce, and how many tokens
 * that completion and its EOS take.
 */
public record PromptExample(int[] promptIds, String completion, int completionTokens) {
}
