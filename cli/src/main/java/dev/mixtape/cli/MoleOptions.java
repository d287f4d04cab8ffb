package dev.mixtape.cli;

import dev.mixtape.adapters.mole.GateInput;
import dev.mixtape.adapters.mole.Granularity;
import dev.mixtape.adapters.mole.MoleConfig;
import dev.mixtape.adapters.mole.Pooling;
import picocli.CommandLine.Option;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** The options that shape a MoLE's gates: granularity, what they read, pooling, temperature, balance loss. */
final class MoleOptions {
    @Option(names = "--granularity", defaultValue = "layer",
            description = "Which matrices share a gate: matrix, layer (default: attention / MLP sub-layer), block or network.")
    String granularity;

    @Option(names = "--gate-input", defaultValue = "module-input",
            description = "What the gates read: module-input (default, the released code's; routes best on the bundled tasks) "
                    + "or expert-outputs (the paper's).")
    String gateInput;

    @Option(names = "--pooling", defaultValue = "token", description = "Gate each token (default) or the mean of the sequence (mean).")
    String pooling;

    @Option(names = "--gate-temperature", description = "The gates' τ in softmax(logits/τ) (default: ${DEFAULT-VALUE}).")
    double temperature = 1;

    @Option(names = "--learnable-gate-temperature", description = "Let each gate learn its τ, starting at --gate-temperature.")
    boolean learnableTemperature;

    @Option(names = "--balance-weight", description = "Weight of the balance loss −Σ log qᵢ; 0 for none (default: ${DEFAULT-VALUE}).")
    double balanceWeight = 0.5;

    @Option(names = "--temperature", hidden = true, description = "Deprecated spelling of --gate-temperature.")
    void deprecatedTemperature(double value) {
        DeprecatedOption.warn("compose --temperature", "--gate-temperature");
        temperature = value;
    }

    @Option(names = "--learnable-temperature", hidden = true, description = "Deprecated spelling of --learnable-gate-temperature.")
    void deprecatedLearnableTemperature(boolean value) {
        DeprecatedOption.warn("--learnable-temperature", "--learnable-gate-temperature");
        learnableTemperature = value;
    }

    @Option(names = "--alpha", hidden = true, description = "Deprecated spelling of --balance-weight.")
    void deprecatedAlpha(double value) {
        DeprecatedOption.warn("compose --alpha", "--balance-weight");
        balanceWeight = value;
    }

    /** The config these options describe; errors name the option and its choices. */
    MoleConfig toConfig() {
        OptionChecks.positive("--gate-temperature", temperature);
        OptionChecks.nonNegative("--balance-weight", balanceWeight);
        return MoleConfig.builder().granularity(choice("--granularity", granularity, Granularity.class))
                .gateInput(choice("--gate-input", gateInput, GateInput.class)).pooling(choice("--pooling", pooling, Pooling.class))
                .temperature(temperature).learnableTemperature(learnableTemperature).balanceWeight(balanceWeight).build();
    }

    /** The options' values, by option name, for a run's settings. */
    Map<String, String> settings() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("--granularity", granularity.toLowerCase(Locale.ROOT));
        settings.put("--gate-input", gateInput.toLowerCase(Locale.ROOT));
        settings.put("--pooling", pooling.toLowerCase(Locale.ROOT));
        settings.put("--gate-temperature", Double.toString(temperature));
        settings.put("--learnable-gate-temperature", Boolean.toString(learnableTemperature));
        settings.put("--balance-weight", Double.toString(balanceWeight));
        return settings;
    }

    private static <E extends Enum<E>> E choice(String option, String value, Class<E> type) {
        try {
            return Enum.valueOf(type, value.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + " must be one of " + Arrays.stream(type.getEnumConstants())
                    .map(c -> c.name().toLowerCase(Locale.ROOT).replace('_', '-')).collect(Collectors.joining(", ")) + "; got '" + value + "'");
        }
    }
}
