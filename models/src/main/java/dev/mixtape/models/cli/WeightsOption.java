package dev.mixtape.models.cli;

import dev.mixtape.engine.DType;
import picocli.CommandLine.Option;

import java.util.Locale;

/** {@code --weights f32|bf16}: the type the model's weight matrices are kept in, for every command that loads one. */
final class WeightsOption {
    @Option(names = "--weights", defaultValue = "f32", description = "f32 (default) or bf16: keep the weight matrices in bf16, "
            + "frozen: half their memory and faster decoding, at bf16 precision (vector backend).")
    String weights;

    /** The dtype the option names. */
    DType dtype() {
        return switch (weights.toLowerCase(Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "bf16" -> DType.BF16;
            default -> throw new IllegalArgumentException("--weights must be f32 or bf16, got '" + weights + "'");
        };
    }
}
