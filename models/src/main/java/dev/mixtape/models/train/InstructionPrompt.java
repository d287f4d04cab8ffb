package dev.mixtape.models.train;

/**
 * Turns an instruction record ({@code instruction}, optional {@code input}, {@code output}) into a
 * prompt and completion with the Alpaca template, the format most instruction sets were written for:
 * <pre>
 * ### Instruction:
 * {instruction}
 *
 * ### Input:              (only when input is not empty)
 * {input}
 *
 * ### Response:
 * </pre>
 * The completion is the output.
 */
final class InstructionPrompt {
    private InstructionPrompt() {
    }

    /** The prompt for {@code instruction} and {@code input} (empty for none). */
    static String of(String instruction, String input) {
        StringBuilder prompt = new StringBuilder("### Instruction:\n").append(instruction).append("\n\n");
        if (!input.isEmpty()) {
            prompt.append("### Input:\n").append(input).append("\n\n");
        }
        return prompt.append("### Response:\n").toString();
    }
}
