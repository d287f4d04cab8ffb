package dev.mixtape.cli;

import dev.mixtape.models.generate.Generation;
import dev.mixtape.models.generate.Generator;
import dev.mixtape.models.generate.SamplingSettings;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code mixtape generate}: prints the prompt followed by the generated text, streamed as it comes. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Continue a prompt with a model. Stdout: the prompt followed by the generated text.")
final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Option(names = "--prompt", defaultValue = "", description = "Text to continue (default: empty, start from BOS).")
    String prompt;

    @Option(names = "--max-new-tokens", description = "Most tokens to generate (default: ${DEFAULT-VALUE}).")
    int steps = 256;

    @Option(names = "--temperature", defaultValue = "1.0", description = "0 for greedy (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-p", defaultValue = "0.9", description = "Nucleus sampling threshold (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--top-k", defaultValue = "0", description = "Sample among the k most likely tokens; 0: all (default).")
    int topK;

    @Option(names = "--seed", description = "Sampling seed (default: from the clock).")
    Long seed;

    @Option(names = "--stats", description = "Print one line of speed and memory figures to stderr.")
    boolean stats;

    @Option(names = "--steps", hidden = true, description = "Deprecated spelling of --max-new-tokens.")
    void deprecatedSteps(int value) {
        DeprecatedOption.warn("generate --steps", "--max-new-tokens");
        steps = value;
    }

    @Override
    public Integer call() throws Exception {
        OptionChecks.atLeast("--max-new-tokens", steps, 0);
        OptionChecks.nonNegative("--temperature", temperature);
        OptionChecks.atLeast("--top-k", topK, 0);
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("--top-p must be in (0, 1], got " + topP);
        }
        ModelOptions.Loaded loaded = model.loadModelAndTokenizer(true);
        Llama llama = loaded.llama();
        Tokenizer tokenizer = loaded.tokenizer();
        SamplingSettings sampling = new SamplingSettings(temperature, topK, topP, seed != null ? seed : System.currentTimeMillis());
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        out.print(prompt);
        out.flush();
        Generation result = Generator.generate(llama, tokenizer, prompt, steps, sampling, piece -> {
            out.print(piece);
            out.flush();
        });
        out.println();
        out.flush();
        model.explainGates();
        if (stats) {
            System.err.printf(Locale.ROOT, "stats: prompt_tokens=%d prompt_tok_s=%.1f gen_tokens=%d gen_tok_s=%.1f peak_rss_mb=%d%n",
                    result.promptTokens(), result.promptTokensPerSecond(), result.generatedIds().length,
                    result.generatedTokensPerSecond(), ProcessMemory.peakRssMb());
        }
        return 0;
    }
}
