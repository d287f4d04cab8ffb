package dev.mixtape.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/CLI.md cannot drift from the command line: its reference part is rendered from the commands'
 * option classes and must equal what the file holds ({@code -Dmixtape.writeCliDoc=true} rewrites
 * it), {@code --help} labels values as it does, and every {@code ./mixtape} command shown in README.md and docs/CLI.md must parse against the
 * real command line, with no deprecated spelling.
 */
class CliReferenceTest {
    static final Path CLI_DOC = Path.of("..", "docs", "CLI.md");
    private static final Path README = Path.of("..", "README.md");
    static final String MARKER = "<!-- Everything below is generated from the option classes by CliReferenceTest. -->";

    @Test
    void theReferenceInDocsCliMdIsTheOneTheOptionClassesGive() throws IOException {
        String doc = Files.readString(CLI_DOC, StandardCharsets.UTF_8);
        int at = doc.indexOf(MARKER);
        assertTrue(at >= 0, CLI_DOC + " lost its marker line " + MARKER);
        String expected = doc.substring(0, at) + MARKER + "\n" + reference();
        if (Boolean.getBoolean("mixtape.writeCliDoc")) {
            Files.writeString(CLI_DOC, expected, StandardCharsets.UTF_8);
            doc = expected;
        }
        assertEquals(expected, doc, CLI_DOC + " differs from the options; regenerate it with "
                + "./mvnw -o -q -pl cli surefire:test -Dtest=CliReferenceTest -Dmixtape.writeCliDoc=true");
    }

    /**
     * Every command's {@code --help} labels its option values as docs/CLI.md does ({@code
     * --max-grad-norm=X}), never with a Java field's name ({@code <clipNorm>}), picocli's default.
     */
    @Test
    void everyCommandsHelpLabelsValuesAsTheReferenceDoes() {
        CommandLine cli = Mixtape.commandLine();
        for (String command : cli.getSubcommands().keySet()) {
            String help = CliRun.of(command, "--help").out();
            assertFalse(help.matches("(?s).*--[a-z-]+[=\\[]+<.*"), command + " --help shows a field name as a value label:\n" + help);
        }
        assertTrue(CliRun.of("finetune", "--help").out().contains("--max-grad-norm=X"));
    }

    @Test
    void everyCommandInTheReadmeAndTheCliDocParses() throws IOException {
        List<String> commands = new ArrayList<>();
        for (Path file : List.of(README, CLI_DOC)) {
            commands.addAll(ShellExamples.mixtapeCommands(Files.readString(file, StandardCharsets.UTF_8)));
        }
        assertTrue(commands.size() >= 15, "the docs show commands: " + commands);
        for (String command : commands) {
            List<String> words = ShellExamples.words(command);
            CliRun parsed = CliRun.capture(() -> {
                Mixtape.commandLine().parseArgs(words.subList(1, words.size()).toArray(String[]::new));
                return 0;
            });
            assertFalse(parsed.err().contains("deprecated"), command + ": " + parsed.err());
        }
    }

    /** The reference: per command its description, usage and options (hidden ones left out). */
    static String reference() {
        StringBuilder out = new StringBuilder();
        CommandLine root = Mixtape.commandLine();
        for (Map.Entry<String, CommandLine> entry : root.getSubcommands().entrySet()) {
            if (entry.getKey().equals("help")) {
                continue;
            }
            CommandSpec spec = entry.getValue().getCommandSpec();
            out.append("\n## ").append(entry.getKey()).append("\n\n");
            for (String line : spec.usageMessage().description()) {
                out.append(text(line)).append("\n");
            }
            out.append("\n| option | meaning |\n|---|---|\n");
            for (PositionalParamSpec parameter : spec.positionalParameters()) {
                out.append("| `").append(parameter.paramLabel()).append("` | ").append(cell(parameter.description(), null)).append(" |\n");
            }
            for (OptionSpec option : spec.options()) {
                if (option.hidden() || option.longestName().equals("--help") || option.longestName().equals("--version")) {
                    continue;
                }
                String name = String.join(", ", option.names()) + (option.arity().max() > 0 ? " " + ValueLabels.of(option) : "");
                out.append("| `").append(name).append("` | ").append(cell(option.description(), option)).append(" |\n");
            }
        }
        return out.toString();
    }

    private static String cell(String[] description, OptionSpec option) {
        String joined = text(String.join(" ", description));
        if (option != null && option.defaultValueString() != null) {
            joined = joined.replace("${DEFAULT-VALUE}", option.defaultValueString());
        }
        return joined.replace("|", "\\|");
    }

    private static String text(String line) {
        return line.replace("%n", " ").replace("%%", "%");
    }
}
