package dev.mixtape.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@code mixtape} in a child JVM on the test classpath, for tests that signal or kill the process:
 * its stderr lines arrive in a queue as they are printed (stdout is discarded).
 */
final class ChildMixtape {
    /** What {@link #lines} holds once stderr has ended. */
    static final String END = "\u0000end";

    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StringBuilder stderr = new StringBuilder();

    private ChildMixtape(Process process) {
        this.process = process;
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    synchronized (stderr) {
                        stderr.append(line).append('\n');
                    }
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("reading stderr failed: " + e);
            }
            lines.add(END);
        }, "child stderr");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts {@code mixtape args...}: this JVM's flags (but a small heap and no agents), this JVM's classpath. */
    static ChildMixtape start(String... args) throws IOException {
        return start(List.of(), "", "256m", args);
    }

    /**
     * Starts {@code mixtape args...} as {@link #start(String...)} does, with {@code flags} added, a heap of
     * {@code heap}, and {@code classpathBefore} (ending in the path separator, or empty) before this JVM's classpath.
     */
    static ChildMixtape start(List<String> flags, String classpathBefore, String heap, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String flag : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!flag.startsWith("-Xmx") && !flag.startsWith("-javaagent") && !flag.startsWith("-agentlib")) {
                command.add(flag);
            }
        }
        command.addAll(flags);
        command.addAll(List.of("-Xmx" + heap, "-cp", classpathBefore + System.getProperty("java.class.path"), Mixtape.class.getName()));
        command.addAll(List.of(args));
        return new ChildMixtape(new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
    }

    /** The next stderr line, {@link #END} once stderr has ended, or null after {@code millis} without one. */
    String nextLine(long millis) throws InterruptedException {
        return lines.poll(millis, TimeUnit.MILLISECONDS);
    }

    /** Sends the signal {@code name} (INT, TERM, KILL) to the process. */
    void signal(String name) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start().waitFor();
    }

    /** Waits for the process to end (at most two minutes, then it is killed) and returns its exit status. */
    int waitFor() throws InterruptedException {
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError("the child did not end within two minutes; stderr:\n" + stderr());
        }
        return process.exitValue();
    }

    /** Everything the child printed to stderr so far. */
    String stderr() {
        synchronized (stderr) {
            return stderr.toString();
        }
    }
}
