package dev.mixtape.bench;

import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.LoraConfig;
import dev.mixtape.adapters.LoraInit;
import dev.mixtape.adapters.MixerInit;
import dev.mixtape.adapters.TargetModules;
import dev.mixtape.adapters.mole.Composition;
import dev.mixtape.adapters.mole.Mole;
import dev.mixtape.adapters.mole.MoleConfig;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.vector.VectorBackend;
import dev.mixtape.models.generate.Sampler;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.llama.LlamaConfig;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What MoLE's gates cost in generation: token-by-token decoding of a random-weight stories15M-shape
 * Llama with three random MoSLoRA experts (r=8 on all seven projections), (a) merged into the weights
 * as one {@code cat} adapter, which costs what the base model costs, against (b) a MoLE of the three,
 * whose every adapted matrix runs three low-rank branches and a gate per token. Greedy from BOS over
 * a KV cache, in alternating rounds after a warm-up run; prints a Markdown table of generated tokens per second.
 */
public final class MoleDecodeTable {
    private static final List<String> EXPERTS = List.of("a", "b", "c");

    private MoleDecodeTable() {
    }

    /** Runs the table; {@code --quick} decodes fewer tokens. */
    public static void main(String[] args) {
        boolean quick = args.length > 0 && args[0].equals("--quick");
        int tokens = quick ? 64 : 256;
        LlamaConfig stories15m = new LlamaConfig(288, 768, 6, 6, 6, 48, 32000, 1024, 1e-5, 10000, null, true, 1, 2);
        System.out.println(Host.describe());
        System.out.println();
        System.out.println("| stories15M shape, 3 experts r=8 | threads | tokens | gen tok/s | vs merged |");
        System.out.println("|---|---|---|---|---|");
        for (int threads : new int[] {1, 2}) {
            try (VectorBackend backend = new VectorBackend(threads)) {
                Llama merged = withExperts(stories15m, backend);
                Composition.cat(merged, EXPERTS, new double[] {1, 1, 1}, "cat");
                Adapters.mergeAndUnload(merged, "cat");
                Llama gated = withExperts(stories15m, backend);
                Mole.attach(gated, EXPERTS, MoleConfig.builder().build());
                double[] speeds = alternatingSpeeds(tokens, merged, gated);
                double mergedSpeed = speeds[0];
                double moleSpeed = speeds[1];
                System.out.printf(Locale.ROOT, "| merged adapter | %d | %d | %.1f | 1.00 |%n", threads, tokens, mergedSpeed);
                System.out.printf(Locale.ROOT, "| MoLE, layer gates | %d | %d | %.1f | %.2f |%n", threads, tokens, moleSpeed, moleSpeed / mergedSpeed);
            }
        }
    }

    private static Llama withExperts(LlamaConfig config, VectorBackend backend) {
        Llama llama = Llama.random(config, backend, 1);
        LoraConfig expert = LoraConfig.builder(new TargetModules.AllLinear()).r(8).alpha(16).init(LoraInit.RANDOM).mixer(MixerInit.KAIMING).build();
        for (int i = 0; i < EXPERTS.size(); i++) {
            Adapters.inject(llama, expert, EXPERTS.get(i), new Rng(10 + i));
        }
        Adapters.eval(llama);
        return llama;
    }

    /**
     * Tokens per second of each model, decoding {@code tokens} tokens greedily from BOS: after a
     * warm-up run of each, rounds alternate between the models so that both see the same machine
     * load, and each model's median round counts.
     */
    private static double[] alternatingSpeeds(int tokens, Llama... models) {
        int rounds = 5;
        double[][] speeds = new double[models.length][rounds];
        for (Llama model : models) {
            run(model, tokens);
        }
        for (int round = 0; round < rounds; round++) {
            for (int m = 0; m < models.length; m++) {
                long start = System.nanoTime();
                run(models[m], tokens);
                speeds[m][round] = tokens / ((System.nanoTime() - start) / 1e9);
            }
        }
        double[] medians = new double[models.length];
        for (int m = 0; m < models.length; m++) {
            Arrays.sort(speeds[m]);
            medians[m] = speeds[m][rounds / 2];
        }
        return medians;
    }

    private static void run(Llama llama, int tokens) {
        Llama.Session session = llama.newSession(tokens + 1);
        int token = llama.config().bosId();
        for (int i = 0; i < tokens; i++) {
            token = Sampler.argmax(session.forward(token));
        }
    }
}
