package dev.mixtape.cli;

import dev.mixtape.engine.DType;
import dev.mixtape.models.llama.Checkpoint;
import dev.mixtape.models.llama.Checkpoints;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.llama.LlamaConfig;
import dev.mixtape.models.llama.StoredTensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code mixtape info}: a model's config, parameter count, the memory its weights take once loaded
 * (as stored and with each {@code --weights} type), and each tensor's shape, type and bytes as the
 * file stores it, without loading the weights.
 */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Show a model's config, parameter count, resident weight bytes per --weights type, and each tensor's type and bytes in the file.")
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
            printResidentBytes(checkpoint);
            printTensors(checkpoint);
        }
        return 0;
    }

    /**
     * The bytes the weights take in memory once loaded: as stored (the default), then with each
     * {@code --weights} type the file can be loaded in (a quantised GGUF is not quantised again).
     */
    private static void printResidentBytes(Checkpoint checkpoint) throws IOException {
        long asStored = Llama.weightBytes(checkpoint, Llama.AS_STORED);
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "resident weight bytes: %,d as stored (%.1f MB)",
                asStored, asStored / 1e6));
        for (DType type : new DType[] {DType.F32, DType.BF16, DType.Q8_0, DType.Q4_0}) {
            try {
                long bytes = Llama.weightBytes(checkpoint, type);
                line.append(String.format(Locale.ROOT, "; --weights %s %.1f MB", type.name().toLowerCase(Locale.ROOT), bytes / 1e6));
            } catch (IOException quantizedAlready) {
                line.append("; --weights ").append(type.name().toLowerCase(Locale.ROOT)).append(" refused (stored quantised)");
            }
        }
        System.out.println(line);
    }

    /** One line per tensor (name, shape, type, bytes in the file), then the total. */
    private static void printTensors(Checkpoint checkpoint) throws IOException {
        List<String> names = checkpoint.names();
        int width = 0;
        for (String name : names) {
            width = Math.max(width, name.length());
        }
        long total = 0;
        System.out.println("tensors (as stored in the file):");
        for (String name : names) {
            StoredTensor stored = checkpoint.stored(name);
            total += stored.bytes();
            System.out.printf(Locale.ROOT, "  %-" + width + "s  %-12s  %-5s  %,d bytes%n", name,
                    Arrays.toString(checkpoint.shape(name)), stored.type(), stored.bytes());
        }
        System.out.printf(Locale.ROOT, "tensor bytes in file: %,d (%.1f MB)%n", total, total / 1e6);
    }
}
