package dev.mixtape.testdata;

/**
 * One fine-tuning example: the model reads {@code prompt} and should continue with exactly
 * {@code completion} (which starts with a space, so that prompt and completion tokenise apart).
 */
record Example(String prompt, String completion) {
}
