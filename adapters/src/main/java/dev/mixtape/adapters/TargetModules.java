package dev.mixtape.adapters;

import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which Linear layers of a model receive an adapter: PEFT's {@code target_modules} in its three forms.
 * Module names are the dotted names of {@link dev.mixtape.engine.nn.Module#namedModules()}, e.g.
 * {@code model.layers.0.self_attn.q_proj}.
 */
public sealed interface TargetModules {

    /**
     * A list of names: a module matches when its name equals an entry or ends with {@code "."} + entry
     * (so {@code "q_proj"} matches every layer's {@code q_proj}). Every entry must match at least one
     * module, so that a misspelt name is an error instead of a silently smaller adapter.
     *
     * @param names the entries, in the order given
     */
    record Names(List<String> names) implements TargetModules {
        /** Keeps an unmodifiable copy; the list must be non-empty and every entry non-blank. */
        public Names {
            names = List.copyOf(names);
            if (names.isEmpty()) {
                throw new IllegalArgumentException("target_modules is an empty list: name at least one module");
            }
            for (String name : names) {
                if (name.isBlank()) {
                    throw new IllegalArgumentException("target_modules " + names + " holds a blank name");
                }
            }
        }
    }

    /**
     * A regular expression that must match a module's whole name (Python's {@code re.fullmatch}),
     * compiled by {@link java.util.regex.Pattern}, whose syntax agrees with Python's for the usual patterns.
     *
     * @param pattern the expression
     */
    record Regex(String pattern) implements TargetModules {
        /** Checks that {@code pattern} compiles. */
        public Regex {
            try {
                Pattern.compile(pattern);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("target_modules regex '" + pattern + "' does not compile: " + e.getDescription(), e);
            }
        }
    }

    /** PEFT's {@code "all-linear"}: every Linear layer except the output head {@code lm_head}. */
    record AllLinear() implements TargetModules {
        /** PEFT's spelling of this choice in {@code adapter_config.json}. */
        public static final String KEYWORD = "all-linear";
    }

    /** The modules named, or whose names end with {@code "."} + one of, {@code names}: {@code names("q_proj", "v_proj")}. */
    static TargetModules names(String... names) {
        return new Names(List.of(names));
    }

    /** The modules whose whole name matches {@code pattern}: {@code regex(".*\\.(q|v)_proj")}. */
    static TargetModules regex(String pattern) {
        return new Regex(pattern);
    }

    /** Every Linear layer but {@code lm_head}. */
    static TargetModules allLinear() {
        return new AllLinear();
    }
}
