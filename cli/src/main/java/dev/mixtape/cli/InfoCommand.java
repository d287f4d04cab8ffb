package dev.mixtape.cli;

import dev.mixtape.models.llama.Checkpoint;
import dev.mixtape.models.llama.Checkpoints;
import dev.mixtape.models.llama.LlamaConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code mixtape info}: a model's config, parameter count and memory, without loading the weights. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Show a model's config, parameter count and memory.")
final class InfoCommand implements Callable<Integer> {
    @Mixin
    ModelOption model;

    @Override
    public Integer call() throws Exception {
        try (Checkpoint checkpoint = Checkpoints.open(model.path())) {
            LlamaConfig c = checkpoint.config();
            long params = c.parameterCount();
            System.out.printf(Locale.ROOT, "model: %s%n", checkpoint.source());
            System.out.printf(Locale.ROOT, "format: %s%n", checkpoint.getClass().getSimpleName().replace("Checkpoint", ""));
            System.out.printf(Locale.ROOT, "dim=%d hidden=%d layers=%d heads=%d kv_heads=%d head_dim=%d vocab=%d max_positions=%d%n",
                    c.dim(), c.hiddenDim(), c.layers(), c.heads(), c.kvHeads(), c.headDim(), c.vocabSize(), c.maxPositions());
            System.out.printf(Locale.ROOT, "rms_eps=%g rope_theta=%g rope_scaling=%s tied_embeddings=%b bos=%d eos=%d%n",
                    c.normEps(), c.ropeTheta(), c.ropeScaling() == null ? "none" : c.ropeScaling(), c.tieWordEmbeddings(), c.bosId(), c.eosId());
            System.out.printf(Locale.ROOT, "parameters: %,d%n", params);
            System.out.printf(Locale.ROOT, "dtypes in file: %s%n", checkpoint.dtypes());
            long normParams = (2L * c.layers() + 1) * c.dim();
            System.out.printf(Locale.ROOT, "memory as f32: %.1f MB; with --weights bf16: %.1f MB%n", params * 4 / 1e6,
                    ((params - normParams) * 2 + normParams * 4) / 1e6);
        }
        return 0;
    }
}
