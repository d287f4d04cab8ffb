package dev.mixtape.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/** One in-process run of the command line (or of a piece of it) with stdout and stderr captured, for tests. */
record CliRun(int status, String out, String err) {

    /** Runs {@code mixtape args...} and returns its exit status and output. */
    static CliRun of(String... args) {
        return capture(() -> Mixtape.run(args));
    }

    /** Runs {@code body}, whose result is the exit status, with stdout and stderr captured. */
    static CliRun capture(Callable<Integer> body) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int status = body.call();
            return new CliRun(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } catch (Exception e) {
            throw new AssertionError("the run failed: " + err.toString(StandardCharsets.UTF_8), e);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}
