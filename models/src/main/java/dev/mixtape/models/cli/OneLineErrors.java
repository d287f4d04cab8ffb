package dev.mixtape.models.cli;

import picocli.CommandLine;

import java.util.Arrays;

/**
 * Reports a failed command as one line on stderr ({@code mixtape: <message>}) and exit status 1; the
 * stack trace only when the command line contains {@code --verbose}.
 */
final class OneLineErrors implements CommandLine.IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception e, CommandLine command, CommandLine.ParseResult parsed) {
        boolean verbose = Arrays.asList(parsed.originalArgs().toArray(new String[0])).contains("--verbose");
        if (verbose) {
            e.printStackTrace(command.getErr());
        } else {
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            command.getErr().println("mixtape: " + message.replace('\n', ' '));
        }
        return 1;
    }
}
