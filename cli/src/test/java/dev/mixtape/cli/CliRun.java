package dev.mixtape.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** One in-process run of the command line (or of a piece of it) with stdout and stderr captured, for tests. */
record CliRun(int status, String out, String err) {
    private static final ObjectMapper JSON = new ObjectMapper();

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

    /** The JSON summary a command prints as its last line of stdout, after checking that the run succeeded. */
    JsonNode summary() throws IOException {
        assertEquals(0, status, err);
        return JSON.readTree(out.lines().toList().getLast());
    }
}
