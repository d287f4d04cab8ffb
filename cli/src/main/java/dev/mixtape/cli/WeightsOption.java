package dev.mixtape.cli;

import dev.mixtape.engine.DType;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.llama.NonFiniteWeights;
import picocli.CommandLine.Option;

import java.util.Locale;
import java.util.stream.Collectors;

/**
 * {@code --weights f32|bf16|q8_0|q4_0}, the type the model's weight matrices are kept in (by default
 * as the file stores them), and {@code --allow-nonfinite-weights}, for every command that loads a model.
 */
final class WeightsOption {
    @Option(names = "--allow-nonfinite-weights", description = "Load a model whose weights hold NaN or ±Inf, with a warning "
            + "per tensor, instead of refusing it.")
    boolean allowNonFinite;

    @Option(names = "--weights", paramLabel = "TYPE", description = "f32, bf16, q8_0 or q4_0: the type the weight matrices are kept in "
            + "(default: as the file stores them, a GGUF's quantised matrices quantised, the rest f32). bf16, q8_0 and q4_0 freeze "
            + "the matrices in 1/2, ~1/4 and ~1/7 of f32's memory (vector backend); f32 widens a quantised GGUF.")
    String weights;

    /** What loading does with a weight holding NaN or ±Inf. */
    NonFiniteWeights nonFinite() {
        return allowNonFinite ? NonFiniteWeights.WARN : NonFiniteWeights.REFUSE;
    }

    /** The dtype the option names, or {@link Llama#AS_STORED} when it is not given. */
    DType dtype() {
        if (weights == null) {
            return Llama.AS_STORED;
        }
        return switch (weights.toLowerCase(Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "bf16" -> DType.BF16;
            case "q8_0" -> DType.Q8_0;
            case "q4_0" -> DType.Q4_0;
            default -> throw new IllegalArgumentException("--weights must be f32, bf16, q8_0 or q4_0, got '" + weights + "'");
        };
    }

    /**
     * The weights as a run's settings record them: the types the loaded model's weight matrices are
     * held in, sorted and joined with '+' (a Q4_K_M file's "Q4_K+Q6_K"). Recording the outcome rather
     * than the option lets a run resume with any choice that loads the same weights: the default on
     * an f32 file and {@code --weights f32} alike. Call it before attaching adapters.
     */
    static String recorded(Llama llama) {
        return llama.namedParameters().values().stream()
                .filter(weight -> weight.rank() == 2)
                .map(weight -> weight.dtype().toString())
                .distinct()
                .sorted()
                .collect(Collectors.joining("+"));
    }
}
