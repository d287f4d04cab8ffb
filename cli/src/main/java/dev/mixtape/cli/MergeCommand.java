package dev.mixtape.cli;

import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.models.llama.Checkpoint;
import dev.mixtape.models.llama.Checkpoints;
import dev.mixtape.models.llama.HfWriter;
import dev.mixtape.engine.DType;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.llama.NonFiniteWeights;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code mixtape merge}: folds an adapter into its model's weights ({@code W₀ + s·B·M·A}) and writes
 * the result as a plain Hugging Face Llama folder in F32, which loads and runs with no adapter code at
 * all, into a new or empty folder ({@link OutputFolder}): never over the base model it read. A
 * quantised base (a GGUF of block formats) is dequantised first and never re-quantised; the command
 * says so.
 */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = "Merge an adapter into its model and write a plain HF Llama folder in F32 (a quantised base is dequantised, never re-quantised).")
final class MergeCommand implements Callable<Integer> {
    @Mixin
    ModelOption model;

    @Option(names = "--adapter", required = true, description = "The adapter folder (PEFT's format).")
    Path adapter;

    @Option(names = "--out", required = true, description = "The HF folder to write, empty or new (never the model's or the adapter's).")
    Path out;

    @Option(names = "--overwrite", description = "Delete what --out holds first.")
    boolean overwrite;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "The tokenizer.json to put beside the weights (default: the model folder's).")
    Path tokenizer;

    @Override
    public Integer call() throws Exception {
        Path model = this.model.path();
        OutputFolder folder = OutputFolder.check(out, null, overwrite, List.of(new OutputFolder.Input("--model", model),
                new OutputFolder.Input("--adapter", adapter), new OutputFolder.Input("--tokenizer", tokenizer)));
        List<String> quantized = quantizedTypes(model);
        Llama llama = ModelOptions.loadModel(model, "vector", DType.F32, NonFiniteWeights.REFUSE);
        String name = PeftFiles.load(adapter, llama, "merged").name();
        Adapters.mergeAndUnload(llama, name);
        Path tokenizerJson = tokenizer != null ? tokenizer : model.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizerJson)) {
            System.err.println("merge: no tokenizer.json for " + model + " (pass --tokenizer); the folder gets none");
            tokenizerJson = null;
        }
        folder.prepare();
        HfWriter.write(llama, tokenizerJson, out);
        System.err.println("merge: the merged weights are written in F32" + (quantized.isEmpty() ? ""
                : " (the base's " + String.join(", ", quantized) + " matrices dequantised, not re-quantised)"));
        System.out.println(out);
        return 0;
    }

    /** The block formats the model's file stores matrices in (Q8_0, Q4_K, ...), none for f32/f16/bf16 files. */
    private static List<String> quantizedTypes(Path model) throws IOException {
        try (Checkpoint checkpoint = Checkpoints.open(model)) {
            return checkpoint.dtypes().stream()
                    .filter(type -> Arrays.stream(DType.values()).anyMatch(dtype -> dtype.isBlockFormat() && dtype.name().equals(type)))
                    .toList();
        }
    }
}
