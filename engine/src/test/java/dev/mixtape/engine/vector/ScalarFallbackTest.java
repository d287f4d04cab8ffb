package dev.mixtape.engine.vector;

import dev.mixtape.engine.F;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A JVM started without {@code --add-modules jdk.incubator.vector} (a service that did not add it)
 * still runs the engine, on scalar kernels, and says so once in its log.
 */
class ScalarFallbackTest {

    /** Entry point of the child JVM: prints a small computation's result as one line of floats. */
    public static void main(String[] args) {
        System.out.println(Arrays.toString(compute(new VectorBackend(2))));
        System.out.println("simd=" + new VectorBackend(1).simd());
    }

    static float[] compute(VectorBackend backend) {
        Rng rng = new Rng(3);
        Tensor x = rng.normal(backend, 0, 1, 5, 33);
        Tensor w = rng.normal(backend, 0, 1, 7, 33);
        Tensor logits = F.linear(F.silu(x), w, null);
        Tensor fewRows = F.linear(x.slice(0, 0, 2), w, null).matmul(w);
        return F.concat(java.util.List.of(F.softmax(logits).reshape(-1), fewRows.reshape(-1)), 0).toFloatArray();
    }

    @Test
    void runsWithoutTheIncubatorModuleAndWarnsOnce() throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process child = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                ScalarFallbackTest.class.getName())).start();
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(child.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, child.exitValue(), err);

        String[] lines = out.strip().split("\n");
        assertEquals("simd=false", lines[1].strip());
        assertEquals(1, err.split("jdk.incubator.vector is not enabled", -1).length - 1, err);

        float[] scalar = parse(lines[0]);
        float[] simd = compute(new VectorBackend(2));
        assertArrayEquals(simd, scalar, 1e-5f);
    }

    private static float[] parse(String line) {
        String[] parts = line.substring(1, line.length() - 1).split(", ");
        float[] values = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            values[i] = Float.parseFloat(parts[i]);
        }
        return values;
    }
}
