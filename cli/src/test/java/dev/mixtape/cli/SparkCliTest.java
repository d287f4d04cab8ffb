package dev.mixtape.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code finetune --spark local[2]} through the command line with Spark on its classpath: a child JVM
 * with Spark's jars first, as {@code ./mixtape} starts one (the cli tests' own classpath has no Spark:
 * see {@link SparkOptionCliTest}), against the same command in this JVM without {@code --spark}. The
 * metrics and the adapter must be equal bit for bit: the option must reach Spark, the executors must
 * load the model the command names, and the run must be the one without Spark. Spark's classpath is
 * what the spark module's package phase writes ({@code spark/target/spark-classpath.txt}); without it
 * (a build of the cli module alone) the test is skipped, saying so.
 */
class SparkCliTest {
    private static final Path ROOT = Path.of("..");
    private static final Path SPARK_CLASSPATH = ROOT.resolve("spark/target/spark-classpath.txt");
    private static final Path SPARK_JACKSON_CLASSPATH = ROOT.resolve("spark/target/spark-jackson-classpath.txt");

    @TempDir
    Path dir;

    @Test
    void finetuneOnSparkIsTheRunWithoutIt() throws Exception {
        assumeTrue(Files.isRegularFile(SPARK_CLASSPATH) && Files.isRegularFile(SPARK_JACKSON_CLASSPATH),
                SPARK_CLASSPATH + " is not built (the spark module's package phase writes it)");
        List<String> args = List.of("finetune", "--steps", "3", "--batch-size", "4", "--grad-accum", "2", "--eval-every", "2");
        Path single = dir.resolve("single");
        CliRun.of(concat(args, "--out", single.toString())).summary();

        Path distributed = dir.resolve("spark");
        String classpath = Files.readString(SPARK_JACKSON_CLASSPATH).strip() + File.pathSeparator + Files.readString(SPARK_CLASSPATH).strip()
                + File.pathSeparator;
        ChildMixtape child = ChildMixtape.start(sparkFlags(), classpath, "2g",
                concat(args, "--out", distributed.toString(), "--spark", "local[2]"));
        assertEquals(0, child.waitFor(), child.stderr());

        assertEquals(metrics(single), metrics(distributed), child.stderr());
        assertArrayEquals(Files.readAllBytes(single.resolve("adapter_model.safetensors")), Files.readAllBytes(distributed.resolve("adapter_model.safetensors")));
    }

    /** The JVM flags Spark needs, from the launchers' own list ({@code .mvn/spark.sh}), and its logging kept to warnings. */
    private static List<String> sparkFlags() throws IOException {
        List<String> flags = new ArrayList<>();
        Matcher flag = Pattern.compile("(--add-opens=\\S+|-Dio\\.netty\\S+)").matcher(Files.readString(ROOT.resolve(".mvn/spark.sh")));
        while (flag.find()) {
            flags.add(flag.group(1));
        }
        flags.add("-Dlog4j2.configurationFile=" + ROOT.resolve(".mvn/spark-log4j2.properties").toAbsolutePath());
        return flags;
    }

    private static String[] concat(List<String> args, String... more) {
        List<String> all = new ArrayList<>(args);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    private static List<String> metrics(Path run) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> lines = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            ObjectNode node = (ObjectNode) json.readTree(line);
            node.remove("tokens_per_s");
            lines.add(node.toString());
        }
        return lines;
    }
}
