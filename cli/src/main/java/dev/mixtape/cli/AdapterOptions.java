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
    @Option(names = "--adapter", defaultValue = "moslora", description = "moslora (default: LoRA with a learnable r×r mixer) or lora.")
    String kind;

    @Option(names = "--rank", defaultValue = "8", description = "LoRA rank r (default: ${DEFAULT-VALUE}).")
    int rank;

    @Option(names = "--alpha", defaultValue = "16", description = "LoRA alpha; the scaling is alpha/r (default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--rslora", description = "rsLoRA scaling alpha/√r instead of alpha/r.")
    boolean rslora;

    @Option(names = "--dropout", defaultValue = "0", description = "Dropout on the adapter's input while training (default: ${DEFAULT-VALUE}).")
    double dropout;

    @Option(names = "--targets", defaultValue = TargetModules.AllLinear.KEYWORD,
            description = "Layers to adapt: all-linear (default: q,k,v,o,gate,up,down), a comma-separated list of names "
                    + "(q_proj,v_proj), or a regex over whole module names (.*\\.(q|v)_proj).")
    String targets;

    @Option(names = "--init", defaultValue = "kaiming", description = "A's initialisation: kaiming (default, PEFT's) or gaussian; B starts at 0.")
    String init;

    @Option(names = "--mixer-init", defaultValue = "kaiming", description = "MoSLoRA mixer initialisation: kaiming (default), orthogonal or identity.")
    String mixerInit;

    /** The adapter config these options describe; {@code baseModel} is recorded in it. Errors name the option. */
    LoraConfig toConfig(String baseModel) {
        boolean mixer = switch (kind.toLowerCase(Locale.ROOT)) {
            case "moslora" -> true;
            case "lora" -> false;
            default -> throw new IllegalArgumentException("--adapter must be lora or moslora, got '" + kind + "'");
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
        settings.put("--adapter", kind.toLowerCase(Locale.ROOT));
        settings.put("--rank", Integer.toString(rank));
        settings.put("--alpha", Double.toString(alpha));
        settings.put("--rslora", Boolean.toString(rslora));
        settings.put("--dropout", Double.toString(dropout));
        settings.put("--targets", targets);
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
