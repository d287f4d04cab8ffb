package dev.mixtape.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.TimeUnit;

/**
 * JMH benchmark of one f32 matrix product: products per second of {@link #matmulCase} computed by
 * {@link #implementation} on {@link #threads} threads. {@link MatmulTable} runs it over the grid and
 * turns the scores into GFLOP/s; it can also be run on its own through {@code org.openjdk.jmh.Main}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class MatmulBenchmark {
    /** The product, as a {@link MatmulCase#id()}. */
    @Param({"SQUARE:512x512x512:512³"})
    public String matmulCase;

    /** {@code vector}, {@code nd4j} or {@code scalar}. */
    @Param({"vector"})
    public String implementation;

    /** Threads the implementation may use (the scalar loop always uses one). */
    @Param({"1"})
    public int threads;

    private MatmulImplementation product;

    /** Builds the operands and the implementation once per fork. */
    @Setup(Level.Trial)
    public void setUp() {
        product = MatmulImplementation.create(implementation, MatmulCase.parse(matmulCase), threads, 42);
    }

    /** One product. */
    @Benchmark
    public void multiply() {
        product.multiply();
    }

    /** Releases the implementation's threads and memory. */
    @TearDown(Level.Trial)
    public void tearDown() {
        product.close();
    }
}
