package dev.mixtape.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code ./mixtape} command line: one subcommand per job. Errors print one line and exit 1;
 * {@code --verbose} adds the stack trace.
 */
@Command(name = "mixtape", mixinStandardHelpOptions = true, version = "mixtape 0.1.0",
        description = "Fine-tune and run small Llama models on the JVM.")
public final class Mixtape {
    /**
     * The subcommands by the name each one's {@code @Command} gives it, in the order {@code --help}
     * lists them. picocli reads every option of every subcommand it is given, which took a third of
     * a second of a cold start before anything ran, so a command line naming one gets that one alone
     * ({@link #commandLine}).
     */
    private static final Map<String, Class<?>> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("finetune", FinetuneCommand.class);
        COMMANDS.put("compose", ComposeCommand.class);
        COMMANDS.put("generate", GenerateCommand.class);
        COMMANDS.put("merge", MergeCommand.class);
        COMMANDS.put("tokenize", TokenizeCommand.class);
        COMMANDS.put("info", InfoCommand.class);
        COMMANDS.put("pretrain", PretrainCommand.class);
        COMMANDS.put("eval", EvalCommand.class);
        COMMANDS.put("serve", ServeCommand.class);
    }

    /** Read by {@link OneLineErrors} from the command line; declared once here, every subcommand inherits it. */
    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Print stack traces on errors.")
    boolean verbose;

    /** Runs the command line and exits with its status. */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line, returning the exit status (for tests). */
    public static int run(String... args) {
        CommandLine cli = commandLine(args);
        cli.setExecutionExceptionHandler(new OneLineErrors());
        cli.setHelpFactory(ValueLabels::help);
        return cli.execute(args);
    }

    /**
     * The command line for {@code args}: the subcommand its first word names (after the options
     * before it) alone, or, when that word names none (no word, {@code help}, a mistyped name), every
     * subcommand and {@code help}, so that the usage and picocli's suggestions list them all.
     */
    static CommandLine commandLine(String... args) {
        CommandLine cli = new CommandLine(new Mixtape());
        Class<?> named = null;
        for (String arg : args) {
            if (!arg.startsWith("-")) {
                named = COMMANDS.get(arg);
                break;
            }
        }
        if (named != null) {
            cli.addSubcommand(named);
        } else {
            COMMANDS.values().forEach(cli::addSubcommand);
            cli.addSubcommand(CommandLine.HelpCommand.class);
        }
        return cli;
    }
}
