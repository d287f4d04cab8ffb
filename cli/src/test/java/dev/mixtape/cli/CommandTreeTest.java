package dev.mixtape.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Mixtape#commandLine}: a command line naming a subcommand gets that one alone, under the name
 * its {@code @Command} gives it (a name in Mixtape's table that differed from the annotation's would
 * make {@code mixtape NAME} an unknown command, and fail here); any other gets them all.
 */
class CommandTreeTest {
    private static final List<String> COMMANDS = List.of("finetune", "compose", "generate", "merge", "tokenize", "info", "pretrain",
            "eval", "serve");

    @Test
    void aNamedSubcommandIsTheOnlyOneBuilt() {
        for (String command : COMMANDS) {
            assertEquals(Set.of(command), Mixtape.commandLine(command, "--help").getSubcommands().keySet(), command);
            assertEquals(Set.of(command), Mixtape.commandLine("--verbose", command).getSubcommands().keySet(), command);
        }
    }

    @Test
    void withoutASubcommandNameEveryOneIsBuiltInTheHelpsOrder() {
        List<String> all = List.of("finetune", "compose", "generate", "merge", "tokenize", "info", "pretrain", "eval", "serve", "help");
        for (String[] args : List.of(new String[0], new String[] {"--help"}, new String[] {"help", "generate"}, new String[] {"genrate"})) {
            CommandLine cli = Mixtape.commandLine(args);
            assertEquals(all, List.copyOf(cli.getSubcommands().keySet()), String.join(" ", args));
        }
    }

    /** The options of the root command reach a subcommand built alone as they reach one of the whole tree. */
    @Test
    void aSubcommandBuiltAloneInheritsVerboseAndHelpNamesItsParent() {
        CliRun verbose = CliRun.of("generate", "--verbose", "--max-new-tokens", "-1");
        assertEquals(1, verbose.status());
        assertTrue(verbose.err().contains("\tat dev.mixtape.cli."), verbose.err());
        CliRun help = CliRun.of("generate", "--help");
        assertTrue(help.out().startsWith("Usage: mixtape generate "), help.out());
        CliRun mistyped = CliRun.of("genrate");
        assertEquals(2, mistyped.status());
        assertTrue(mistyped.err().contains("generate"), mistyped.err());
    }
}
