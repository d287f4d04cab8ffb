package dev.mixtape.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.testdata.Bundled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fine-tuning on a quantised base through the CLI: {@code finetune --weights q4_0} trains (the held-out
 * loss drops by more than a nat, as on the f32 base), and what it writes is an ordinary PEFT folder,
 * whose adapter {@code eval --weights q4_0} reproduces exactly and which the f32 base also loads;
 * {@code merge} onto a quantised GGUF says it writes F32 and computes what the adapter on the
 * dequantised base computes; a run resumes with any weights choice that loads the same weights; an
 * unusable type is one line.
 */
class QuantizedFinetuneCliTest {

    @TempDir
    Path folder;


    @Test
    void finetuneOnAQ4_0BaseWritesAnOrdinaryPeftFolder() throws IOException {
        Path out = folder.resolve("run");
        JsonNode summary = CliRun.of("finetune", "--weights", "q4_0", "--task", "reverse", "--steps", "12",
                "--batch-size", "8", "--lr", "1e-2", "--out", out.toString()).summary();
        double before = summary.get("eval_before").get("loss").asDouble();
        double after = summary.get("eval_after").get("loss").asDouble();
        assertTrue(after < before - 1.0, "12 steps on the Q4_0 base train as on f32 (4.3 to 2.8 nats there): " + summary);
        String adapterWeights = Files.readString(out.resolve(PeftFiles.WEIGHTS_FILE), StandardCharsets.ISO_8859_1);
        assertTrue(adapterWeights.contains("\"dtype\":\"F32\""), "adapter tensors in F32");
        assertFalse(adapterWeights.contains("Q4_0") || adapterWeights.contains("base_layer"), "only the adapter's own tensors");

        String model = Bundled.tinyLlama().toString();
        String evalData = Bundled.task("reverse").eval().toString();
        JsonNode onQ4 = CliRun.of("eval", "--model", model, "--weights", "q4_0", "--adapter", out.toString(),
                "--data", evalData, "--seq-len", "64", "--batch-size", "8").summary();
        assertEquals(after, onQ4.get("loss").asDouble(), 0.0, "eval on the same Q4_0 base gives the run's figure");
        JsonNode onF32 = CliRun.of("eval", "--model", model, "--adapter", out.toString(), "--data", evalData,
                "--seq-len", "64", "--batch-size", "8").summary();
        assertTrue(Math.abs(onF32.get("loss").asDouble() - after) < 0.5, "the f32 base loads it and is close: " + onF32);
    }

    /**
     * A run records the weights as they were loaded, not the option's spelling: on the f32 bundled
     * model the default and {@code --weights f32} load the same weights, so a run made with one
     * resumes with the other, while {@code --weights bf16} is another base and is refused, naming
     * both types.
     */
    @Test
    void aRunResumesWithAnyWeightsChoiceThatLoadsTheSameWeights() {
        String out = folder.resolve("run").toString();
        String[] run = {"finetune", "--task", "reverse", "--steps", "2", "--batch-size", "4", "--out", out};
        assertEquals(0, CliRun.of(run).status());
        CliRun asF32 = CliRun.of(with(run, "--resume", "--weights", "f32"));
        assertEquals(0, asF32.status(), asF32.err());
        assertTrue(asF32.err().contains("is already finished (2 steps); nothing to train"), asF32.err());
        CliRun asBf16 = CliRun.of(with(run, "--resume", "--weights", "bf16"));
        assertEquals(1, asBf16.status());
        assertTrue(asBf16.err().contains("the run was made with --weights F32, not --weights BF16"), asBf16.err());
    }

    private static String[] with(String[] args, String... more) {
        return Stream.concat(Arrays.stream(args), Arrays.stream(more)).toArray(String[]::new);
    }

    @Test
    void mergeOntoAQuantisedGgufWritesF32AndSaysSo() throws IOException {
        Path base = folder.resolve("stories260K-q8_0.gguf");
        try (InputStream in = QuantizedFinetuneCliTest.class.getResourceAsStream("/dev/mixtape/models/quant/stories260K-q8_0.gguf")) {
            Files.copy(in, base);
        }
        Path run = folder.resolve("run");
        CliRun.of("finetune", "--model", base.toString(), "--task", "reverse", "--steps", "2", "--batch-size", "4",
                "--lr", "1e-2", "--out", run.toString()).summary();
        Path merged = folder.resolve("merged");
        CliRun merge = CliRun.of("merge", "--model", base.toString(), "--adapter", run.toString(), "--out", merged.toString());
        assertEquals(0, merge.status(), merge.err());
        assertTrue(merge.err().contains("merge: the merged weights are written in F32 (the base's Q8_0 matrices dequantised, "
                + "not re-quantised)"), merge.err());
        String evalData = Bundled.task("reverse").eval().toString();
        JsonNode adapterOnWidened = CliRun.of("eval", "--model", base.toString(), "--weights", "f32", "--adapter", run.toString(),
                "--data", evalData, "--seq-len", "64", "--batch-size", "4").summary();
        JsonNode mergedEval = CliRun.of("eval", "--model", merged.toString(), "--tokenizer",
                dev.mixtape.engine.SharedFiles.require("models/stories260K/tok512.bin").toString(), "--data", evalData,
                "--seq-len", "64", "--batch-size", "4").summary();
        assertEquals(adapterOnWidened.get("loss").asDouble(), mergedEval.get("loss").asDouble(), 1e-5);
    }

    @Test
    void aTypeThatCannotBeUsedIsOneLine() {
        CliRun unknown = CliRun.of("generate", "--weights", "q4_k", "--max-new-tokens", "1");
        assertEquals(1, unknown.status());
        assertEquals("mixtape: --weights must be f32, bf16, q8_0 or q4_0, got 'q4_k'", unknown.err().strip());
        CliRun reference = CliRun.of("generate", "--weights", "q4_0", "--backend", "reference", "--max-new-tokens", "1");
        assertEquals(1, reference.status());
        assertEquals("mixtape: the reference backend cannot hold Q4_0 weights; use the vector backend or f32 weights",
                reference.err().strip());
    }
}
