package dev.mixtape.cli;

import dev.mixtape.engine.DType;
import dev.mixtape.models.llama.NonFiniteWeights;
import picocli.CommandLine.Option;

import java.util.Locale;

/**
 * {@code --weights f32|bf16}, the type the model's weight matrices are kept in, and
 * {@code --allow-nonfinite-weights}, for every command that loads a model.
 */
final class WeightsOption {
    @Option(names = "--allow-nonfinite-weights", description = "Load a model whose weights hold NaN or ±Inf, with a warning "
            + "per tensor, instead of refusing it.")
    boolean allowNonFinite;

    @Option(names = "--weights", defaultValue = "f32", description = "f32 (default) or bf16: keep the weight matrices in bf16, "
            + "frozen: half their memory and faster decoding, at bf16 precision (vector backend).")
    String weights;

    /** What loading does with a weight holding NaN or ±Inf. */
    NonFiniteWeights nonFinite() {
        return allowNonFinite ? NonFiniteWeights.WARN : NonFiniteWeights.REFUSE;
    }

    /** The dtype the option names. */
    DType dtype() {
        return switch (weights.toLowerCase(Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "bf16" -> DType.BF16;
            default -> throw new IllegalArgumentException("--weights must be f32 or bf16, got '" + weights + "'");
        };
    }
}
