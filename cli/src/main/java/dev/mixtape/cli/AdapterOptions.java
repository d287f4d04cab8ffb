package dev.mixtape.cli;

import dev.mixtape.adapters.LoraConfig;
import dev.mixtape.adapters.LoraInit;
import dev.mixtape.adapters.MixerInit;
import dev.mixtape.adapters.TargetModules;
import picocli.CommandLine.Option;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** The options that describe a new adapter: kind, rank, scaling, dropout, targets, initialisation. */
final class AdapterOptions {
    @Option(names = "--adapter-type", description = "moslora (default: LoRA with a learnable r×r mixer) or lora.")
    String kind = "moslora";

    @Option(names = "--rank", defaultValue = "8", description = "LoRA rank r (default: ${DEFAULT-VALUE}).")
    int rank;

    @Option(names = "--lora-alpha", description = "LoRA alpha; the scaling is alpha/r (default: ${DEFAULT-VALUE}).")
    double alpha = 16;

    @Option(names = "--rslora", description = "rsLoRA scaling alpha/√r instead of alpha/r.")
    boolean rslora;

    @Option(names = "--lora-dropout", description = "Dropout on the adapter's input while training (default: ${DEFAULT-VALUE}).")
    double dropout;

    @Option(names = "--target-modules",
            description = "Layers to adapt: all-linear (default: q,k,v,o,gate,up,down), a comma-separated list of names "
                    + "(q_proj,v_proj), or a regex over whole module names (.*\\.(q|v)_proj).")
    String targets = TargetModules.AllLinear.KEYWORD;

    @Option(names = "--init", defaultValue = "kaiming", description = "A's initialisation: kaiming (default, PEFT's) or gaussian; B starts at 0.")
    String init;

    @Option(names = "--mixer-init", defaultValue = "kaiming", description = "MoSLoRA mixer initialisation: kaiming (default), orthogonal or identity.")
    String mixerInit;

    @Option(names = "--adapter", hidden = true, description = "Deprecated spelling of --adapter-type.")
    void deprecatedAdapter(String value) {
        DeprecatedOption.warn("finetune --adapter", "--adapter-type");
        kind = value;
    }

    @Option(names = "--alpha", hidden = true, description = "Deprecated spelling of --lora-alpha.")
    void deprecatedAlpha(double value) {
        DeprecatedOption.warn("finetune --alpha", "--lora-alpha");
        alpha = value;
    }

    @Option(names = "--dropout", hidden = true, description = "Deprecated spelling of --lora-dropout.")
    void deprecatedDropout(double value) {
        DeprecatedOption.warn("--dropout", "--lora-dropout");
        dropout = value;
    }

    @Option(names = "--targets", hidden = true, description = "Deprecated spelling of --target-modules.")
    void deprecatedTargets(String value) {
        DeprecatedOption.warn("--targets", "--target-modules");
        targets = value;
    }

    /** The adapter config these options describe; {@code baseModel} is recorded in it. Errors name the option. */
    LoraConfig toConfig(String baseModel) {
        OptionChecks.atLeast("--rank", rank, 1);
        OptionChecks.nonNegative("--lora-alpha", alpha);
        OptionChecks.fraction("--lora-dropout", dropout);
        boolean mixer = switch (kind.toLowerCase(Locale.ROOT)) {
            case "moslora" -> true;
            case "lora" -> false;
            default -> throw new IllegalArgumentException("--adapter-type must be lora or moslora, got '" + kind + "'");
        };
        LoraInit loraInit = switch (init.toLowerCase(Locale.ROOT)) {
            case "kaiming" -> LoraInit.KAIMING;
            case "gaussian" -> LoraInit.GAUSSIAN;
            default -> throw new IllegalArgumentException("--init must be kaiming or gaussian, got '" + init + "'");
        };
        MixerInit mixerStart = switch (mixerInit.toLowerCase(Locale.ROOT)) {
            case "kaiming" -> MixerInit.KAIMING;
            case "orthogonal" -> MixerInit.ORTHOGONAL;
            case "identity" -> MixerInit.IDENTITY;
            default -> throw new IllegalArgumentException("--mixer-init must be kaiming, orthogonal or identity, got '" + mixerInit + "'");
        };
        return LoraConfig.builder(targetModules()).r(rank).alpha(alpha).useRslora(rslora).dropout(dropout).init(loraInit)
                .mixer(mixer ? mixerStart : null).baseModelNameOrPath(baseModel).build();
    }

    /** The options' values, by option name, for a run's settings. */
    Map<String, String> settings() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("--adapter-type", kind.toLowerCase(Locale.ROOT));
        settings.put("--rank", Integer.toString(rank));
        settings.put("--lora-alpha", Double.toString(alpha));
        settings.put("--rslora", Boolean.toString(rslora));
        settings.put("--lora-dropout", Double.toString(dropout));
        settings.put("--target-modules", targets);
        settings.put("--init", init.toLowerCase(Locale.ROOT));
        settings.put("--mixer-init", mixerInit.toLowerCase(Locale.ROOT));
        return settings;
    }

    private TargetModules targetModules() {
        if (targets.equals(TargetModules.AllLinear.KEYWORD)) {
            return new TargetModules.AllLinear();
        }
        if (targets.chars().anyMatch(c -> "*?+()[]{}|^$\\".indexOf(c) >= 0)) {
            return new TargetModules.Regex(targets);
        }
        return new TargetModules.Names(Arrays.stream(targets.split(",")).map(String::strip).toList());
    }
}
