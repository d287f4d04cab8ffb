package dev.mixtape.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One vocabulary across the commands: the renamed options, their old spellings (hidden, each setting
 * the new option and saying so in one line), the defaults they share, and messages that name the
 * option as typed.
 */
class VocabularyTest {
    @TempDir
    Path folder;

    /** The sub-command object {@code args} parse into (no command runs). */
    private static <T> T parsed(Class<T> type, String... args) {
        CommandLine cli = Mixtape.commandLine();
        CommandLine.ParseResult result = cli.parseArgs(args);
        return type.cast(result.subcommand().commandSpec().userObject());
    }

    @Test
    void theOldSpellingsSetTheNewOptionsAndSaySo() {
        CliRun run = CliRun.capture(() -> {
            ComposeCommand compose = parsed(ComposeCommand.class, "compose", "--alpha", "0.25", "--temperature", "2", "--batch", "4");
            assertEquals(0.25, compose.moleOptions.balanceWeight);
            assertEquals(2.0, compose.moleOptions.temperature);
            assertEquals(4, compose.training.batchSize);
            FinetuneCommand finetune = parsed(FinetuneCommand.class, "finetune", "--adapter", "lora", "--alpha", "32", "--warmup", "3", "--clip", "0.5");
            assertEquals("lora", finetune.adapterOptions.kind);
            assertEquals(32.0, finetune.adapterOptions.alpha);
            assertEquals(3, finetune.training.warmupSteps);
            assertEquals(0.5, finetune.training.clipNorm);
            GenerateCommand generate = parsed(GenerateCommand.class, "generate", "--steps", "7");
            assertEquals(7, generate.steps);
            return 0;
        });
        assertEquals(List.of("mixtape: compose --alpha is deprecated; use --balance-weight",
                "mixtape: compose --temperature is deprecated; use --gate-temperature",
                "mixtape: --batch is deprecated; use --batch-size",
                "mixtape: finetune --adapter is deprecated; use --adapter-type",
                "mixtape: finetune --alpha is deprecated; use --lora-alpha",
                "mixtape: --warmup is deprecated; use --warmup-steps",
                "mixtape: --clip is deprecated; use --max-grad-norm",
                "mixtape: generate --steps is deprecated; use --max-new-tokens"), run.err().lines().toList());
    }

    @Test
    void theOldSpellingsAreHiddenFromHelp() {
        String finetune = CliRun.of("finetune", "--help").out();
        String compose = CliRun.of("compose", "--help").out();
        assertTrue(finetune.contains("--adapter-type") && finetune.contains("--lora-alpha") && finetune.contains("--batch-size"), finetune);
        assertFalse(finetune.contains("--adapter ") || finetune.contains("--adapter=") || finetune.contains("--alpha") || finetune.contains("--clip"), finetune);
        assertTrue(compose.contains("--balance-weight") && compose.contains("--gate-temperature"), compose);
        assertFalse(compose.contains(" --alpha") || compose.contains(" --temperature"), compose);
    }

    @Test
    void everyCommandDefaultsToTheBundledModelAndComposeReadsTheModuleInput() {
        for (String command : List.of("generate", "eval", "merge", "info", "finetune", "compose", "tokenize")) {
            CommandLine.Model.OptionSpec model = Mixtape.commandLine().getSubcommands().get(command).getCommandSpec().findOption("--model");
            assertFalse(model.required(), command);
            assertTrue(model.description()[0].contains("default: the bundled tiny Llama"), command);
        }
        assertEquals("module-input", parsed(ComposeCommand.class, "compose").moleOptions.gateInput);
        CliRun info = CliRun.of("info");
        assertEquals(0, info.status(), info.err());
        assertTrue(info.out().contains("parameters: 869,504"), info.out());
    }

    @Test
    void messagesNameTheOptionAsTyped() throws IOException {
        Path data = folder.resolve("data.jsonl");
        Files.writeString(data, "{\"text\": \"one two three\"}\n".repeat(20));
        for (List<String> args : List.of(
                List.of("--lr", "-1", "mixtape: --lr must be ≥ 0, got -1.0"),
                List.of("--batch-size", "0", "mixtape: --batch-size must be ≥ 1, got 0"),
                List.of("--max-grad-norm", "NaN", "mixtape: --max-grad-norm must be ≥ 0, got NaN"),
                List.of("--lora-dropout", "1", "mixtape: --lora-dropout must be in [0, 1), got 1.0"))) {
            CliRun run = CliRun.of("finetune", "--data", data.toString(), args.get(0), args.get(1), "--out", folder.resolve("run").toString());
            assertEquals(1, run.status());
            assertEquals(args.get(2), run.err().strip());
        }
        CliRun generate = CliRun.of("generate", "--max-new-tokens", "-2");
        assertEquals("mixtape: --max-new-tokens must be ≥ 0, got -2", generate.err().strip());
    }

    @Test
    void resumeNeedsOutInEveryTrainingCommand() {
        for (List<String> args : List.of(List.of("finetune", "--resume"), List.of("compose", "--resume", "--experts", "a", "--data", "x.jsonl"),
                List.of("pretrain", "--resume", "--data", "x.jsonl", "--tokenizer", "t.json"))) {
            CliRun run = CliRun.of(args.toArray(String[]::new));
            assertEquals("mixtape: --resume needs --out, the folder of the run to continue", run.err().strip(), args.getFirst());
        }
    }
}
