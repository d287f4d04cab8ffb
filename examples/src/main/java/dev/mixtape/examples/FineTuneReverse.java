package dev.mixtape.examples;

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
import dev.mixtape.models.train.FineTuning;
import dev.mixtape.models.train.SpecialIds;
import dev.mixtape.models.train.TrainingConfig;
import dev.mixtape.models.train.TrainingResult;
import dev.mixtape.testdata.Bundled;

import java.io.IOException;
import java.nio.file.Path;

/** Fine-tunes the bundled tiny Llama to reverse words with a MoSLoRA adapter, merges it, and asks it (README's example). */
public final class FineTuneReverse {
    public static void main(String[] args) throws IOException {
        Path runs = Path.of(args.length > 0 ? args[0] : "runs");
        Path base = Bundled.tinyLlama();
        Llama llama = Llama.load(base, Backends.defaultBackend());
        Tokenizer tokenizer = Tokenizers.forModel(base);
        SpecialIds special = SpecialIds.of(tokenizer, llama.config());
        Bundled.Task reverse = Bundled.task("reverse");
        Dataset train = Dataset.load(reverse.train(), tokenizer, special, 64);
        Dataset eval = Dataset.load(reverse.eval(), tokenizer, special, 64);

        LoraConfig moslora = LoraConfig.builder(new TargetModules.AllLinear()).r(8).alpha(16).mixer(MixerInit.KAIMING).build();
        Adapter adapter = Adapters.inject(llama, moslora, "reverse", new Rng(0));
        TrainingConfig config = TrainingConfig.builder(600).batchSize(16).schedule(LrSchedule.cosine(5e-3, 0, 20, 600)).build();
        TrainingResult result = FineTuning.of(llama, adapter, tokenizer).data(train, eval).config(config).run(runs.resolve("reverse"));
        System.out.printf("accuracy %.2f -> %.2f%n", result.before().accuracy().orElseThrow(), result.after().accuracy().orElseThrow());

        Adapters.mergeAndUnload(llama, "reverse");
        HfWriter.write(llama, base.resolve("tokenizer.json"), runs.resolve("reverse-merged"));
        Generation answer = Generator.generate(llama, tokenizer, "Reverse: cat dog sun\nAnswer:", 8, SamplingSettings.greedy(), piece -> { });
        System.out.println(answer.text());
    }
}
