package dev.mixtape.cli;

import dev.mixtape.models.train.TrainingInterruptedException;
import picocli.CommandLine;

import java.util.Arrays;

/**
 * Reports a failed command as one line on stderr ({@code mixtape: <message>}) and exit status 1; the
 * stack trace only when the command line contains {@code --verbose}. A run stopped by Ctrl-C
 * ({@link InterruptSignals}) is reported as {@code mixtape: interrupted at step N; checkpoint saved;
 * continue with --resume}, exit status {@value #INTERRUPTED}.
 */
final class OneLineErrors implements CommandLine.IExecutionExceptionHandler {
    /** The exit status of a run stopped by a signal: 128 + SIGINT's number, as shells report Ctrl-C. */
    static final int INTERRUPTED = 130;

    @Override
    public int handleExecutionException(Exception e, CommandLine command, CommandLine.ParseResult parsed) {
        if (e instanceof TrainingInterruptedException interrupted) {
            command.getErr().println("mixtape: interrupted at step " + interrupted.step() + "; checkpoint saved; continue with --resume");
            return INTERRUPTED;
        }
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
