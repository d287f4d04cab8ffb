package dev.mixtape.models.examples;

import dev.mixtape.adapters.Adapter;
import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.LoraConfig;
import dev.mixtape.adapters.MixerInit;
import dev.mixtape.adapters.TargetModules;
import dev.mixtape.engine.Backends;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.optim.LrSchedule;
import dev.mixtape.models.generate.Generation;
import dev.mixtape.models.generate.Generator;
import dev.mixtape.models.generate.SamplingSettings;
import dev.mixtape.models.llama.HfWriter;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.tokenizer.Tokenizers;
import dev.mixtape.models.train.Dataset;
import dev.mixtape.models.train.TrainingResult;
import dev.mixtape.models.train.FineTuning;
import dev.mixtape.models.train.SpecialIds;
import dev.mixtape.models.train.StepMetrics;
import dev.mixtape.models.train.TrainingConfig;
import dev.mixtape.models.train.TrainingListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's library example, run as written: the lines between the markers below are the
 * README's, character for character (the second test checks), and the first test runs them.
 */
class ReadmeExampleTest {
    private static final Path README = Path.of("..", "README.md");
    private static final String BEGIN = "// README example begins";
    private static final String END = "// README example ends";

    @TempDir
    Path runs;

    @Test
    void theExampleFineTunesTheBundledModelToAnswerAndWritesAMergedModel() throws IOException {
        Path repo = Path.of("..");
        // README example begins
        Path bundled = repo.resolve("testdata/src/main/resources/dev/mixtape/testdata");
        Path base = bundled.resolve("tiny-llama");
        Llama llama = Llama.load(base, Backends.defaultBackend());
        Tokenizer tokenizer = Tokenizers.forModel(base);
        SpecialIds special = SpecialIds.of(tokenizer, llama.config());
        Dataset train = Dataset.load(bundled.resolve("tasks/reverse/train.jsonl"), tokenizer, special, 64);
        Dataset eval = Dataset.load(bundled.resolve("tasks/reverse/eval.jsonl"), tokenizer, special, 64);

        LoraConfig moslora = LoraConfig.builder(new TargetModules.AllLinear()).r(8).alpha(16).mixer(MixerInit.KAIMING).build();
        Adapter adapter = Adapters.inject(llama, moslora, "reverse", new Rng(0));
        TrainingResult result = FineTuning.of(llama, adapter, tokenizer)
                .data(train, eval)
                .config(TrainingConfig.builder(600).batchSize(16).schedule(LrSchedule.cosine(5e-3, 0, 20, 600)).build())
                .listener(new TrainingListener() {
                    @Override
                    public void onStep(StepMetrics step) {
                        if (step.step() % 100 == 0) {
                            System.out.printf("step %d loss %.3f%n", step.step(), step.loss());
                        }
                    }
                })
                .run(runs.resolve("reverse"));
        System.out.printf("accuracy %.2f -> %.2f%n", result.before().accuracy().orElseThrow(), result.after().accuracy().orElseThrow());

        Adapters.mergeAndUnload(llama, "reverse");
        HfWriter.write(llama, base.resolve("tokenizer.json"), runs.resolve("reverse-merged"));
        Generation answer = Generator.generate(llama, tokenizer, "Reverse: cat dog sun\nAnswer:", 8, SamplingSettings.greedy(), piece -> { });
        System.out.println(answer.text());
        // README example ends

        assertEquals(0.0, result.before().accuracy().orElseThrow(), 0.02, "the base model cannot do the task");
        assertTrue(result.after().accuracy().orElseThrow() >= 0.8, "accuracy after: " + result.after().accuracy());
        assertEquals(" sun dog cat", answer.text());
        assertTrue(Files.isRegularFile(runs.resolve("reverse/adapter_model.safetensors")));
        Llama merged = Llama.load(runs.resolve("reverse-merged"), Backends.defaultBackend());
        assertTrue(merged.namedParameters().keySet().stream().noneMatch(name -> name.contains("lora")));
    }

    @Test
    void theReadmeShowsExactlyTheCodeThatRuns() throws IOException {
        List<String> source = Files.readAllLines(Path.of("src/test/java/dev/mixtape/models/examples/ReadmeExampleTest.java"));
        List<String> example = source.subList(indexOf(source, BEGIN) + 1, indexOf(source, END)).stream()
                .map(line -> line.length() >= 8 ? line.substring(8) : line.strip()).toList();
        String readme = Files.readString(README);
        assertTrue(readme.contains("```java\n" + String.join("\n", example) + "\n```"),
                "README.md's library example differs from " + ReadmeExampleTest.class.getSimpleName() + "'s; copy it over:\n"
                        + String.join("\n", example));
    }

    private static int indexOf(List<String> lines, String marker) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().equals(marker)) {
                return i;
            }
        }
        throw new IllegalStateException("no line '" + marker + "'");
    }
}
