package dev.mixtape.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code finetune --spark} (and {@code --sync-every}) where Spark's jars are missing (the cli tests' classpath, like a launch
 * that did not add them): one line saying so and where Spark comes from, exit status 1, and no run
 * folder. The Spark runs themselves are the spark module's tests.
 */
class SparkOptionCliTest {
    @TempDir
    Path dir;

    @Test
    void sparkAbsentIsOneLineBeforeAnythingIsWritten() {
        Path out = dir.resolve("run");
        CliRun run = CliRun.of("finetune", "--steps", "2", "--out", out.toString(), "--spark", "local[2]");

        assertEquals(1, run.status(), run.err());
        assertEquals("", run.out());
        String err = run.err().strip();
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("mixtape: --spark: Apache Spark is not on the classpath") && err.contains("$SPARK_HOME/jars"), err);
        assertTrue(Files.notExists(out), "no run folder");
    }

    /** Local SGD without Spark is refused in one line, before anything is written: there is nothing to average. */
    @Test
    void syncEveryWithoutSparkIsOneLineBeforeAnythingIsWritten() {
        Path out = dir.resolve("run");
        CliRun run = CliRun.of("finetune", "--steps", "2", "--out", out.toString(), "--sync-every", "4");

        assertEquals(1, run.status(), run.err());
        assertEquals("mixtape: --sync-every 4 needs --spark: local SGD averages the adapters of Spark's task slots", run.err().strip());
        assertTrue(Files.notExists(out), "no run folder");
    }

    /** A URI for --data is read by Spark's executors: without --spark it is one line, not a file that is not found. */
    @Test
    void dataAtAUriWithoutSparkIsOneLineBeforeAnythingIsWritten() {
        Path out = dir.resolve("run");
        CliRun run = CliRun.of("finetune", "--steps", "2", "--out", out.toString(), "--data", "hdfs://head:8020/data/stories.jsonl");

        assertEquals(1, run.status(), run.err());
        assertEquals("mixtape: --data hdfs://head:8020/data/stories.jsonl: a URI is read by Spark's executors; add --spark MASTER, "
                + "or give a local file", run.err().strip());
        assertTrue(Files.notExists(out), "no run folder");
    }

    /** compose takes --spark too, and refuses it the same way without Spark. */
    @Test
    void composeWithSparkAbsentIsOneLineBeforeAnythingIsWritten() {
        Path out = dir.resolve("mole");
        CliRun run = CliRun.of("compose", "--experts", dir.resolve("a") + "," + dir.resolve("b"), "--data", dir.resolve("mix.jsonl").toString(),
                "--out", out.toString(), "--spark", "local[2]");

        assertEquals(1, run.status(), run.err());
        assertTrue(run.err().strip().startsWith("mixtape: --spark: Apache Spark is not on the classpath"), run.err());
        assertTrue(Files.notExists(out), "no run folder");
    }
}
