package dev.mixtape.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.train.Dataset;
import dev.mixtape.models.train.Evaluation;
import dev.mixtape.models.train.Evaluator;
import dev.mixtape.models.train.SpecialIds;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code mixtape eval}: one JSON object on stdout with the model's mean next-token cross-entropy on a
 * data file ({@code loss}), {@code perplexity}, the number of predicted {@code tokens}, and for
 * prompt/completion data the exact-match {@code accuracy} of greedy completions.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Measure a model on a data file. Stdout: {\"loss\", \"perplexity\", \"tokens\"[, \"accuracy\"]}.")
final class EvalCommand implements Callable<Integer> {
    private static final int DEFAULT_SEQ_LEN = 512;

    @Mixin
    ModelOptions model;

    @Option(names = "--data", required = true, description = "A .jsonl file (text, prompt/completion, instruction) or plain text.")
    Path data;

    @Option(names = "--seq-len", description = "Tokens per sequence (default: " + DEFAULT_SEQ_LEN + " or the model's positions, if fewer).")
    Integer seqLen;

    @Option(names = "--batch-size", description = "Sequences per forward pass, as in finetune: the same batches give the same figures to the last digit (default: ${DEFAULT-VALUE}).")
    int batchSize = 16;

    @Option(names = "--batch", hidden = true, description = "Deprecated spelling of --batch-size.")
    void deprecatedBatch(int value) {
        DeprecatedOption.warn("--batch", "--batch-size");
        batchSize = value;
    }

    @Override
    public Integer call() throws Exception {
        OptionChecks.atLeast("--batch-size", batchSize, 1);
        ModelOptions.Loaded loaded = model.loadModelAndTokenizer(false);
        Llama llama = loaded.llama();
        Tokenizer tokenizer = loaded.tokenizer();
        int positions = llama.config().maxPositions();
        if (seqLen != null && seqLen > positions) {
            throw new IllegalArgumentException("--seq-len " + seqLen + " exceeds the model's " + positions + " positions");
        }
        SpecialIds special = SpecialIds.of(tokenizer, llama.config());
        Dataset dataset = Dataset.load(data, tokenizer, special, seqLen != null ? seqLen : Math.min(DEFAULT_SEQ_LEN, positions));
        if (!dataset.lengthReport().isEmpty()) {
            System.err.println("eval: " + dataset.lengthReport());
        }
        Evaluation evaluation = Evaluator.evaluate(llama, tokenizer, dataset, special, batchSize);
        ObjectNode result = new ObjectMapper().createObjectNode()
                .put("loss", evaluation.loss())
                .put("perplexity", evaluation.perplexity())
                .put("tokens", evaluation.tokens());
        evaluation.accuracy().ifPresent(accuracy -> result.put("accuracy", accuracy));
        model.explainGates();
        System.out.println(result);
        return 0;
    }
}
