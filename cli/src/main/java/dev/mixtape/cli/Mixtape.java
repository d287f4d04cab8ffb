package dev.mixtape.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code ./mixtape} command line: one subcommand per job. Errors print one line and exit 1;
 * {@code --verbose} adds the stack trace.
 */
@Command(name = "mixtape", mixinStandardHelpOptions = true, version = "mixtape 0.1.0",
        description = "Fine-tune and run small Llama models on the JVM.",
        subcommands = {FinetuneCommand.class, ComposeCommand.class, GenerateCommand.class, MergeCommand.class, TokenizeCommand.class, InfoCommand.class, PretrainCommand.class, EvalCommand.class, ServeCommand.class,
                CommandLine.HelpCommand.class})
public final class Mixtape {
    /** Read by {@link OneLineErrors} from the command line; declared once here, every subcommand inherits it. */
    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Print stack traces on errors.")
    boolean verbose;

    /** Runs the command line and exits with its status. */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line, returning the exit status (for tests). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Mixtape());
        cli.setExecutionExceptionHandler(new OneLineErrors());
        cli.setHelpFactory(ValueLabels::help);
        return cli.execute(args);
    }
}
