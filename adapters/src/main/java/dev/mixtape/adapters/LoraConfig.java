package dev.mixtape.adapters;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A LoRA or MoSLoRA adapter's settings, with PEFT's meaning and defaults ({@code LoraConfig} in
 * PEFT). Build one with {@link #builder(TargetModules)}; {@link PeftFiles} reads and writes it as
 * {@code adapter_config.json}.
 *
 * @param r                   the rank: A is {@code [r, in]}, B is {@code [out, r]}
 * @param alpha               {@code lora_alpha}; the scaling is {@code alpha / r}, or {@code alpha / √r} with rsLoRA
 * @param dropout             {@code lora_dropout}: dropout on the adapter branch's input, in training mode only
 * @param targetModules       which Linear layers are adapted
 * @param useRslora           rsLoRA scaling {@code alpha / √r}
 * @param init                how A and B start
 * @param mixer               MoSLoRA's mixer initialisation, or null for plain LoRA
 * @param layersToTransform   only these layer indices (empty: all); only with a list of target names
 * @param layersPattern       the name(s) before the layer index ({@code "layers"}); empty: any name
 * @param rankPattern         per-module ranks: the first key (a regex) that matches the module's
 *                            name or a dotted suffix of it gives the rank
 * @param alphaPattern        per-module alphas, matched the same way
 * @param baseModelNameOrPath the base model, recorded in the config file; may be null
 */
public record LoraConfig(int r, double alpha, double dropout, TargetModules targetModules, boolean useRslora,
                         LoraInit init, MixerInit mixer, List<Integer> layersToTransform, List<String> layersPattern,
                         Map<String, Integer> rankPattern, Map<String, Double> alphaPattern, String baseModelNameOrPath) {

    /** Checks every setting (see the class description); collections are copied, pattern maps keep their order. */
    public LoraConfig {
        if (r < 1) {
            throw new IllegalArgumentException("LoRA rank r must be at least 1, got " + r);
        }
        if (!Double.isFinite(alpha)) {
            throw new IllegalArgumentException("lora_alpha must be finite, got " + alpha);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("lora_dropout must be in [0, 1), got " + dropout);
        }
        if (targetModules == null || init == null) {
            throw new IllegalArgumentException("target_modules and init_lora_weights must be given");
        }
        layersToTransform = List.copyOf(layersToTransform);
        layersPattern = List.copyOf(layersPattern);
        rankPattern = Collections.unmodifiableMap(new LinkedHashMap<>(rankPattern));
        alphaPattern = Collections.unmodifiableMap(new LinkedHashMap<>(alphaPattern));
        for (int layer : layersToTransform) {
            if (layer < 0) {
                throw new IllegalArgumentException("layers_to_transform " + layersToTransform + " holds a negative index");
            }
        }
        if (!layersToTransform.isEmpty() && !(targetModules instanceof TargetModules.Names)) {
            throw new IllegalArgumentException("layers_to_transform cannot be used when target_modules is a string "
                    + "(a regex or \"all-linear\"), as in PEFT: list the module names instead");
        }
        if (!layersPattern.isEmpty() && layersToTransform.isEmpty()) {
            throw new IllegalArgumentException("layers_pattern " + layersPattern + " is given without layers_to_transform");
        }
        rankPattern.forEach((key, rank) -> {
            checkPatternKey("rank_pattern", key);
            if (rank < 1) {
                throw new IllegalArgumentException("rank_pattern gives '" + key + "' rank " + rank + "; ranks must be at least 1");
            }
        });
        alphaPattern.forEach((key, value) -> {
            checkPatternKey("alpha_pattern", key);
            if (!Double.isFinite(value)) {
                throw new IllegalArgumentException("alpha_pattern gives '" + key + "' alpha " + value + "; it must be finite");
            }
        });
        if (mixer == MixerInit.ZEROS && init.zeroB()) {
            throw new IllegalArgumentException("a zero mixer with init " + init + " (which makes B zero) never trains: "
                    + "with M = 0 and B = 0 every gradient of A, M and B is zero. Use MixerInit.KAIMING, ORTHOGONAL or "
                    + "IDENTITY, or LoraInit.RANDOM");
        }
    }

    private static void checkPatternKey(String what, String key) {
        try {
            Pattern.compile(key);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(what + " key '" + key + "' is not a valid regex: " + e.getDescription(), e);
        }
    }

    /** A builder with PEFT's defaults: r 8, alpha 8, no dropout, Kaiming init, no rsLoRA, no mixer. */
    public static Builder builder(TargetModules targetModules) {
        return new Builder(targetModules);
    }

    /** Whether this is MoSLoRA (a learnable mixer between A and B). */
    public boolean useMixer() {
        return mixer != null;
    }

    /** The rank of the adapter on module {@code moduleName}: {@link #rankPattern()}'s, else {@link #r()}. */
    public int rankFor(String moduleName) {
        String key = patternKey(rankPattern, moduleName);
        return key == null ? r : rankPattern.get(key);
    }

    /** The alpha of the adapter on module {@code moduleName}: {@link #alphaPattern()}'s, else {@link #alpha()}. */
    public double alphaFor(String moduleName) {
        String key = patternKey(alphaPattern, moduleName);
        return key == null ? alpha : alphaPattern.get(key);
    }

    /** The scaling s of the adapter on module {@code moduleName}: alpha / r, or alpha / √r with rsLoRA. */
    public double scalingFor(String moduleName) {
        int rank = rankFor(moduleName);
        return alphaFor(moduleName) / (useRslora ? Math.sqrt(rank) : rank);
    }

    /** PEFT's rule: the first key {@code k} for which the whole name matches {@code (.*\.)?(k)}. */
    private static String patternKey(Map<String, ?> patterns, String moduleName) {
        for (String key : patterns.keySet()) {
            if (Pattern.compile("(.*\\.)?(" + key + ")").matcher(moduleName).matches()) {
                return key;
            }
        }
        return null;
    }

    /** Assembles a {@link LoraConfig}; each setter returns the builder. */
    public static final class Builder {
        private int r = 8;
        private double alpha = 8;
        private double dropout;
        private final TargetModules targetModules;
        private boolean useRslora;
        private LoraInit init = LoraInit.KAIMING;
        private MixerInit mixer;
        private List<Integer> layersToTransform = List.of();
        private List<String> layersPattern = List.of();
        private Map<String, Integer> rankPattern = Map.of();
        private Map<String, Double> alphaPattern = Map.of();
        private String baseModelNameOrPath;

        private Builder(TargetModules targetModules) {
            this.targetModules = targetModules;
        }

        /** The rank r. */
        public Builder r(int r) {
            this.r = r;
            return this;
        }

        /** {@code lora_alpha}. */
        public Builder alpha(double alpha) {
            this.alpha = alpha;
            return this;
        }

        /** {@code lora_dropout}, applied in training mode only. */
        public Builder dropout(double dropout) {
            this.dropout = dropout;
            return this;
        }

        /** rsLoRA scaling {@code alpha / √r}. */
        public Builder useRslora(boolean useRslora) {
            this.useRslora = useRslora;
            return this;
        }

        /** How A and B start. */
        public Builder init(LoraInit init) {
            this.init = init;
            return this;
        }

        /** Makes it MoSLoRA, with a mixer that starts as {@code mixer}; null for plain LoRA. */
        public Builder mixer(MixerInit mixer) {
            this.mixer = mixer;
            return this;
        }

        /** Adapts only the layers with these indices. */
        public Builder layersToTransform(List<Integer> layers) {
            this.layersToTransform = layers;
            return this;
        }

        /** The name(s) that precede the layer index in module names, for {@link #layersToTransform}. */
        public Builder layersPattern(List<String> names) {
            this.layersPattern = names;
            return this;
        }

        /** Per-module ranks, keyed by regex (see {@link LoraConfig#rankFor}); iteration order is match order. */
        public Builder rankPattern(Map<String, Integer> rankPattern) {
            this.rankPattern = rankPattern;
            return this;
        }

        /** Per-module alphas, keyed by regex (see {@link LoraConfig#alphaFor}); iteration order is match order. */
        public Builder alphaPattern(Map<String, Double> alphaPattern) {
            this.alphaPattern = alphaPattern;
            return this;
        }

        /** The base model's name or path, recorded in {@code adapter_config.json}. */
        public Builder baseModelNameOrPath(String baseModelNameOrPath) {
            this.baseModelNameOrPath = baseModelNameOrPath;
            return this;
        }

        /** The checked config. */
        public LoraConfig build() {
            return new LoraConfig(r, alpha, dropout, targetModules, useRslora, init, mixer, layersToTransform,
                    layersPattern, rankPattern, alphaPattern, baseModelNameOrPath);
        }
    }
}
