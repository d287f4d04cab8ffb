package dev.mixtape.engine.vector;

import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Checks {@link Sgemm} against a double-precision triple loop: all four transpose combinations, odd
 * sizes that leave partial tiles at every edge, batches with a shared B, offsets, row lengths longer
 * than the rows, accumulation, one and two threads, all four micro-kernels, and block sizes tiny enough
 * that every blocking loop runs more than once.
 */
class SgemmTest {
    /**
     * {m, n, k} triples mixing sizes around tile and block edges; the last three are large enough
     * (over 4 Mflop) to be split over two threads, by rows and, for m = 4, by columns.
     */
    private static final int[][] SHAPES = {
            {1, 1, 1}, {7, 13, 17}, {13, 7, 31}, {17, 33, 1}, {31, 65, 13}, {33, 17, 127}, {65, 127, 7},
            {127, 31, 65}, {257, 33, 17}, {17, 257, 33}, {33, 31, 257}, {1, 257, 65}, {257, 1, 127}, {4, 16, 256},
            {257, 127, 257}, {127, 65, 300}, {4, 1031, 600},
    };
    private static final GemmBlocking TINY_BLOCKS = new GemmBlocking(16, 12);

    @AutoClose
    private static final Parallel oneThread = new Parallel(1);
    @AutoClose
    private static final Parallel twoThreads = new Parallel(2);

    /** The micro-kernels under test. */
    enum Kernel {
        SIMD, TALL, NARROW, SCALAR;

        MicroKernel create() {
            return switch (this) {
                case SIMD -> new SimdMicroKernel();
                case TALL -> new SimdTallMicroKernel();
                case NARROW -> new SimdNarrowMicroKernel();
                case SCALAR -> new ScalarMicroKernel();
            };
        }
    }

    /** The engines under test: micro-kernel × threads × blocking. */
    enum Engine {
        SIMD_1_THREAD(Kernel.SIMD, 1, false), SIMD_2_THREADS(Kernel.SIMD, 2, false), SIMD_TINY_BLOCKS(Kernel.SIMD, 2, true),
        TALL_1_THREAD(Kernel.TALL, 1, false), TALL_2_THREADS(Kernel.TALL, 2, false), TALL_TINY_BLOCKS(Kernel.TALL, 2, true),
        NARROW_1_THREAD(Kernel.NARROW, 1, false), NARROW_2_THREADS(Kernel.NARROW, 2, false), NARROW_TINY_BLOCKS(Kernel.NARROW, 2, true),
        SCALAR_1_THREAD(Kernel.SCALAR, 1, false), SCALAR_2_THREADS(Kernel.SCALAR, 2, false), SCALAR_TINY_BLOCKS(Kernel.SCALAR, 2, true);

        private final Kernel kernel;
        private final int threads;
        private final boolean tinyBlocks;

        Engine(Kernel kernel, int threads, boolean tinyBlocks) {
            this.kernel = kernel;
            this.threads = threads;
            this.tinyBlocks = tinyBlocks;
        }

        Sgemm create() {
            return new Sgemm(threads == 1 ? oneThread : twoThreads, kernel.create(), tinyBlocks ? TINY_BLOCKS : GemmBlocking.DEFAULT);
        }
    }

    static Stream<Arguments> singleMatrices() {
        List<Arguments> cases = new ArrayList<>();
        for (int[] shape : SHAPES) {
            for (int form = 0; form < 4; form++) {
                for (Engine engine : Engine.values()) {
                    cases.add(Arguments.of(engine, shape[0], shape[1], shape[2], (form & 2) != 0, (form & 1) != 0));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} m={1} n={2} k={3} transA={4} transB={5}")
    @MethodSource("singleMatrices")
    void matchesReferenceOnDenseMatrices(Engine engine, int m, int n, int k, boolean transA, boolean transB) {
        Problem problem = Problem.dense(1, m, n, k, transA, transB, false, m * 31L + n * 7L + k);
        problem.check(engine.create(), false);
        problem.check(engine.create(), true);
    }

    static Stream<Arguments> batches() {
        List<Arguments> cases = new ArrayList<>();
        int[][] shapes = {{7, 13, 17}, {33, 65, 31}, {65, 17, 129}};
        for (int[] shape : shapes) {
            for (int form = 0; form < 4; form++) {
                for (Engine engine : Engine.values()) {
                    for (boolean sharedB : new boolean[] {false, true}) {
                        cases.add(Arguments.of(engine, shape[0], shape[1], shape[2], (form & 2) != 0, (form & 1) != 0, sharedB));
                    }
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} m={1} n={2} k={3} transA={4} transB={5} sharedB={6}")
    @MethodSource("batches")
    void matchesReferenceOnPaddedBatches(Engine engine, int m, int n, int k, boolean transA, boolean transB,
                                         boolean sharedB) {
        for (int batch : new int[] {2, 3, 5}) {
            Problem problem = Problem.padded(batch, m, n, k, transA, transB, sharedB, batch * 1000L + m + n + k);
            problem.check(engine.create(), false);
            problem.check(engine.create(), true);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void sharedWeightBatchIsFoldedIntoRows(Engine engine) {
        for (int form = 0; form < 4; form++) {
            Problem problem = Problem.dense(3, 61, 37, 401, (form & 2) != 0, (form & 1) != 0, true, form);
            problem.check(engine.create(), false);
            problem.check(engine.create(), true);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aPackedBServesSeveralProducts(Engine engine) {
        Sgemm sgemm = engine.create();
        for (int[] shape : new int[][] {{37, 45, 300}, {61, 17, 129}, {5, 1031, 40}}) {
            for (int form = 0; form < 4; form++) {
                boolean transB = (form & 1) != 0;
                Problem first = Problem.padded(1, shape[0], shape[1], shape[2], (form & 2) != 0, transB, true, form);
                Sgemm.PackedB packed = sgemm.pack(transB, first.n(), first.k(), first.b(), first.bOff(), first.ldb());
                try {
                    for (int round = 0; round < 3; round++) {
                        first.withOtherA(form * 10L + round).checkPacked(sgemm, packed, round % 2 == 1);
                    }
                } finally {
                    sgemm.release(packed);
                }
            }
        }
    }

    /**
     * A product with a rank-r term gives exactly the bits of the product followed by a second,
     * accumulating product of the rank-r factors: the term is added to each tile as that product
     * would add it. Sizes leave partial tiles at both edges, k runs over several slices with the tiny
     * blocks, and C is wider than the width up to which A is read in place.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aLowRankTermAddsWhatASecondProductWould(Engine engine) {
        Sgemm sgemm = engine.create();
        int[][] shapes = {{7, 13, 17}, {33, 31, 257}, {257, 127, 257}, {127, 65, 300}, {61, 1031, 40}};
        int seed = 0;
        for (int[] shape : shapes) {
            for (int rank : new int[] {1, 8, 13}) {
                for (int form = 0; form < 4; form++) {
                    boolean transB = (form & 1) != 0;
                    boolean transR = (form & 2) != 0;
                    Problem problem = Problem.padded(1, shape[0], shape[1], shape[2], false, transB, true, seed++);
                    Problem factors = Problem.padded(1, shape[0], shape[1], rank, false, transR, true, seed++);
                    float[] expected = problem.c().clone();
                    sgemm.multiply(1, false, transB, problem.m(), problem.n(), problem.k(), problem.a(), problem.aOff(), 0,
                            problem.lda(), problem.b(), problem.bOff(), 0, problem.ldb(), expected, problem.cOff(), 0,
                            problem.ldc(), false);
                    sgemm.multiply(1, false, transR, problem.m(), problem.n(), rank, factors.a(), factors.aOff(), 0,
                            factors.lda(), factors.b(), factors.bOff(), 0, factors.ldb(), expected, problem.cOff(), 0,
                            problem.ldc(), true);
                    float[] fused = problem.c().clone();
                    Sgemm.PackedB right = sgemm.pack(transR, problem.n(), rank, factors.b(), factors.bOff(), factors.ldb());
                    try {
                        sgemm.multiplyPlusLowRank(problem.m(), problem.n(), problem.k(), problem.a(), problem.aOff(),
                                problem.lda(), transB, problem.b(), problem.bOff(), problem.ldb(),
                                new Sgemm.LowRankTerm(factors.a(), factors.aOff(), factors.lda(), right),
                                fused, problem.cOff(), problem.ldc());
                    } finally {
                        sgemm.release(right);
                    }
                    assertArrayEquals(expected, fused, engine + " " + Arrays.toString(shape) + " rank " + rank
                            + " transB=" + transB + " transR=" + transR);
                }
            }
        }
    }

    @Test
    void aLowRankTermMustFitItsProductAndOneSlice() {
        Sgemm tiny = Engine.SIMD_TINY_BLOCKS.create();
        assertTrue(tiny.holdsInOneSlice(13));
        assertFalse(tiny.holdsInOneSlice(30));
        float[] a = new float[4 * 3];
        float[] b = new float[3 * 5];
        float[] c = new float[4 * 5];
        Sgemm.PackedB wide = tiny.pack(false, 5, 30, new float[30 * 5], 0, 5);
        IllegalArgumentException tooDeep = assertThrows(IllegalArgumentException.class, () -> tiny.multiplyPlusLowRank(
                4, 5, 3, a, 0, 3, false, b, 0, 5, new Sgemm.LowRankTerm(new float[4 * 30], 0, 30, wide), c, 0, 5));
        assertTrue(tooDeep.getMessage().contains("rank 30"), tooDeep.getMessage());
        Sgemm.PackedB narrow = tiny.pack(false, 6, 2, new float[2 * 6], 0, 6);
        IllegalArgumentException columns = assertThrows(IllegalArgumentException.class, () -> tiny.multiplyPlusLowRank(
                4, 5, 3, a, 0, 3, false, b, 0, 5, new Sgemm.LowRankTerm(new float[4 * 2], 0, 2, narrow), c, 0, 5));
        assertTrue(columns.getMessage().contains("6 columns"), columns.getMessage());
        Sgemm.PackedB right = tiny.pack(false, 5, 2, new float[2 * 5], 0, 5);
        IllegalArgumentException shortLeft = assertThrows(IllegalArgumentException.class, () -> tiny.multiplyPlusLowRank(
                4, 5, 3, a, 0, 3, false, b, 0, 5, new Sgemm.LowRankTerm(new float[7], 0, 2, right), c, 0, 5));
        assertTrue(shortLeft.getMessage().contains("operand L"), shortLeft.getMessage());
    }

    static Stream<Engine> engines() {
        return Stream.of(Engine.values());
    }

    @Test
    void attentionShapedBatchUsesBothThreads() {
        Problem problem = Problem.padded(12, 128, 64, 128, false, false, false, 99);
        problem.check(Engine.SIMD_2_THREADS.create(), false);
        problem.check(Engine.SCALAR_2_THREADS.create(), false);
    }

    /**
     * The 8-row tile sums each element of C in the order the 4-row tile does, so a product's result
     * does not depend on which of them the vector width picked: bit for bit, in all four forms, over
     * several k-slices (k = 600 with 256-deep slices) and with accumulation.
     */
    @ParameterizedTest(name = "transA={0} transB={1}")
    @CsvSource({"false, false", "false, true", "true, false", "true, true"})
    void theTallTileGivesTheFourRowTilesBits(boolean transA, boolean transB) {
        Problem problem = Problem.padded(1, 37, 75, 600, transA, transB, false, 5);
        Sgemm fourRows = new Sgemm(twoThreads, new SimdMicroKernel(), GemmBlocking.DEFAULT);
        Sgemm eightRows = new Sgemm(twoThreads, new SimdTallMicroKernel(), GemmBlocking.DEFAULT);
        for (boolean accumulate : new boolean[] {false, true}) {
            float[] expected = problem.c().clone();
            float[] actual = problem.c().clone();
            problem.multiplyInto(fourRows, expected, accumulate);
            problem.multiplyInto(eightRows, actual, accumulate);
            assertArrayEquals(expected, actual, "accumulate=" + accumulate);
        }
    }

    /**
     * Every micro-kernel packs a transposed B exactly as the plain loop does: whole 8×8 blocks, a
     * depth that leaves steps over (19 = 2·8 + 3), rows further apart than their length.
     */
    @ParameterizedTest
    @EnumSource(Kernel.class)
    void packsTransposedSliversAsThePlainLoop(Kernel kernelKind) {
        MicroKernel kernel = kernelKind.create();
        int rows = 3 * kernel.cols();
        int depth = 19;
        int ld = 23;
        int offset = 5;
        Random random = new Random(11);
        float[] src = new float[offset + rows * ld];
        for (int i = 0; i < src.length; i++) {
            src[i] = random.nextFloat();
        }
        float[] expected = new float[2 + rows * depth];
        float[] packed = new float[2 + rows * depth];
        PanelPacking.transposeRows(src, offset, ld, 0, rows, depth, kernel.cols(), expected, 2);
        kernel.packTransposed(src, offset, ld, rows, depth, packed, 2);
        assertArrayEquals(expected, packed);
    }

    /**
     * Every micro-kernel packs rows of an A stored transposed (a weight gradient's {@code dYᵀ}) into
     * the packed A layout as its definition says, for shapes of whole 8×8 blocks only, with rows and
     * steps left over (21 = 2·8 + 5, 19 = 2·8 + 3), fewer rows than one block, and columns further
     * apart than their length; the floats around the destination stay untouched.
     */
    @ParameterizedTest(name = "{0} rows={1} depth={2}")
    @CsvSource({"SIMD, 16, 24", "SIMD, 21, 19", "SIMD, 5, 3", "TALL, 21, 19", "NARROW, 21, 19", "NARROW, 32, 256", "SCALAR, 21, 19"})
    void packsRowsOfATransposedAAsTheirDefinition(Kernel kernelKind, int rows, int depth) {
        MicroKernel kernel = kernelKind.create();
        int ld = rows + 7;
        int offset = 3;
        Random random = new Random(13);
        float[] src = new float[offset + depth * ld];
        for (int i = 0; i < src.length; i++) {
            src[i] = random.nextFloat();
        }
        float[] expected = new float[4 + rows * depth];
        Arrays.fill(expected, -1f);
        for (int i = 0; i < rows; i++) {
            for (int p = 0; p < depth; p++) {
                expected[2 + i * depth + p] = src[offset + p * ld + i];
            }
        }
        float[] packed = new float[expected.length];
        Arrays.fill(packed, -1f);
        kernel.packTransposedRows(src, offset, ld, rows, depth, packed, 2);
        assertArrayEquals(expected, packed);
    }

    /** Every micro-kernel packs one sliver of a row-major B, rows further apart than the sliver, as its definition says. */
    @ParameterizedTest
    @EnumSource(Kernel.class)
    void packsOneSliverOfARowMajorB(Kernel kernelKind) {
        MicroKernel kernel = kernelKind.create();
        int depth = 7;
        int ld = kernel.cols() + 5;
        int offset = 3;
        Random random = new Random(12);
        float[] src = new float[offset + depth * ld];
        for (int i = 0; i < src.length; i++) {
            src[i] = random.nextFloat();
        }
        float[] expected = new float[1 + depth * kernel.cols()];
        for (int p = 0; p < depth; p++) {
            System.arraycopy(src, offset + p * ld, expected, 1 + p * kernel.cols(), kernel.cols());
        }
        float[] packed = new float[expected.length];
        kernel.packSliver(src, offset, ld, depth, packed, 1);
        assertArrayEquals(expected, packed);
    }

    @Test
    void emptyDepthZeroesOrKeepsC() {
        Sgemm sgemm = Engine.SIMD_2_THREADS.create();
        float[] c = {1, 2, 3, 4, 5, 6};
        sgemm.multiply(1, false, false, 2, 3, 0, new float[0], 0, 0, 1, new float[0], 0, 0, 3, c, 0, 0, 3, true);
        assertEquals(List.of(1f, 2f, 3f, 4f, 5f, 6f), boxed(c));
        sgemm.multiply(1, false, false, 2, 3, 0, new float[0], 0, 0, 1, new float[0], 0, 0, 3, c, 0, 0, 3, false);
        assertEquals(List.of(0f, 0f, 0f, 0f, 0f, 0f), boxed(c));
    }

    @Test
    void rejectsOperandsOutsideTheirArrays() {
        Sgemm sgemm = Engine.SIMD_1_THREAD.create();
        float[] a = new float[6];
        float[] b = new float[6];
        float[] c = new float[4];
        IllegalArgumentException shortB = assertThrows(IllegalArgumentException.class,
                () -> sgemm.multiply(1, false, false, 2, 2, 3, a, 0, 0, 3, b, 1, 0, 2, c, 0, 0, 2, false));
        assertTrue(shortB.getMessage().contains("operand B") && shortB.getMessage().contains("length 6"),
                shortB.getMessage());
        IllegalArgumentException shortRow = assertThrows(IllegalArgumentException.class,
                () -> sgemm.multiply(1, false, false, 2, 2, 3, a, 0, 0, 2, b, 0, 0, 2, c, 0, 0, 2, false));
        assertTrue(shortRow.getMessage().contains("operand A"), shortRow.getMessage());
        IllegalArgumentException overlap = assertThrows(IllegalArgumentException.class,
                () -> sgemm.multiply(2, false, false, 2, 2, 3, a, 0, 0, 3, b, 0, 0, 2, new float[8], 0, 2, 2, false));
        assertTrue(overlap.getMessage().contains("overlap"), overlap.getMessage());
    }

    @Test
    void oneInstanceServesSeveralCallersAtOnce() throws Exception {
        Sgemm shared = Engine.SIMD_2_THREADS.create();
        ExecutorService callers = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> pending = new ArrayList<>();
            for (int caller = 0; caller < 4; caller++) {
                int seed = caller;
                pending.add(callers.submit(() -> {
                    for (int round = 0; round < 5; round++) {
                        Problem problem = Problem.padded(2, 61 + seed, 77 + round, 400, seed % 2 == 0, round % 2 == 0,
                                false, seed * 100L + round);
                        problem.check(shared, round % 2 == 1);
                    }
                }));
            }
            for (Future<?> f : pending) {
                f.get();
            }
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void runsWithoutTheVectorApiModuleAndNeverLoadsIt() throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(java.toString(), "-Xlog:class+load=info", "-cp",
                System.getProperty("java.class.path"), SgemmFallbackCheck.class.getName())
                .redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit = child.waitFor();
        assertEquals(0, exit, "the scalar fallback run failed:\n" + tail(output));
        assertTrue(output.contains(SgemmFallbackCheck.PASSED), tail(output));
        assertTrue(output.contains(ScalarMicroKernel.class.getName() + " "), "the scalar micro-kernel was not used");
        assertFalse(output.contains(SimdMicroKernel.class.getName() + " "), "SimdMicroKernel was loaded");
        assertFalse(output.contains(SimdTallMicroKernel.class.getName() + " "), "SimdTallMicroKernel was loaded");
        assertFalse(output.contains("jdk.incubator.vector."), "a jdk.incubator.vector class was loaded");
    }

    private static String tail(String text) {
        return text.length() <= 4000 ? text : text.substring(text.length() - 4000);
    }

    private static List<Float> boxed(float[] values) {
        List<Float> out = new ArrayList<>();
        for (float v : values) {
            out.add(v);
        }
        return out;
    }

    /**
     * Operands laid out in arrays the way a caller might: with an offset, row lengths longer than the
     * rows (the gaps hold NaN in A and B, so reading one poisons the result, and a sentinel in C that
     * must survive), and gaps between the matrices of a batch.
     */
    record Problem(int batch, int m, int n, int k, boolean transA, boolean transB,
                   float[] a, int aOff, int strideA, int lda,
                   float[] b, int bOff, int strideB, int ldb,
                   float[] c, int cOff, int strideC, int ldc) {
        private static final float SENTINEL = 12345f;

        static Problem dense(int batch, int m, int n, int k, boolean transA, boolean transB, boolean sharedB, long seed) {
            return build(batch, m, n, k, transA, transB, sharedB, 0, 0, 0, seed);
        }

        static Problem padded(int batch, int m, int n, int k, boolean transA, boolean transB, boolean sharedB,
                              long seed) {
            return build(batch, m, n, k, transA, transB, sharedB, 5, 3, 11, seed);
        }

        private static Problem build(int batch, int m, int n, int k, boolean transA, boolean transB, boolean sharedB,
                                     int offset, int rowPad, int gap, long seed) {
            Random random = new Random(seed);
            int aRows = transA ? k : m;
            int lda = (transA ? m : k) + rowPad;
            int strideA = aRows * lda + gap;
            int bRows = transB ? n : k;
            int ldb = (transB ? k : n) + rowPad;
            int strideB = sharedB ? 0 : bRows * ldb + gap;
            int ldc = n + rowPad;
            int strideC = m * ldc + gap;
            float[] a = new float[offset + batch * strideA];
            float[] b = new float[offset + (sharedB ? 1 : batch) * (bRows * ldb + gap)];
            float[] c = new float[offset + batch * strideC];
            Arrays.fill(a, Float.NaN);
            Arrays.fill(b, Float.NaN);
            Arrays.fill(c, SENTINEL);
            fill(a, offset, batch, strideA, aRows, transA ? m : k, lda, random);
            fill(b, offset, sharedB ? 1 : batch, strideB, bRows, transB ? k : n, ldb, random);
            fill(c, offset, batch, strideC, m, n, ldc, random);
            return new Problem(batch, m, n, k, transA, transB, a, offset, strideA, lda, b, offset, strideB, ldb,
                    c, offset, strideC, ldc);
        }

        private static void fill(float[] x, int offset, int batch, int stride, int rows, int cols, int ld, Random random) {
            for (int t = 0; t < batch; t++) {
                for (int i = 0; i < rows; i++) {
                    for (int j = 0; j < cols; j++) {
                        x[offset + t * stride + i * ld + j] = random.nextFloat() * 2 - 1;
                    }
                }
            }
        }

        float opA(int t, int i, int p) {
            return transA ? a[aOff + t * strideA + p * lda + i] : a[aOff + t * strideA + i * lda + p];
        }

        float opB(int t, int p, int j) {
            return transB ? b[bOff + t * strideB + j * ldb + p] : b[bOff + t * strideB + p * ldb + j];
        }

        /** This problem's B with another A and C (of the same layout), drawn from {@code seed}; one matrix, B shared. */
        Problem withOtherA(long seed) {
            Problem other = padded(1, m, n, k, transA, transB, true, seed);
            return new Problem(1, m, n, k, transA, transB, other.a, other.aOff, other.strideA, other.lda,
                    b, bOff, strideB, ldb, other.c, other.cOff, other.strideC, other.ldc);
        }

        /** Runs {@code sgemm} on a copy of C and compares every element of it with the reference. */
        void check(Sgemm sgemm, boolean accumulate) {
            float[] out = c.clone();
            multiplyInto(sgemm, out, accumulate);
            verify(out, accumulate);
        }

        /** Runs {@code sgemm} on this problem's operands with {@code out} as C. */
        void multiplyInto(Sgemm sgemm, float[] out, boolean accumulate) {
            sgemm.multiply(batch, transA, transB, m, n, k, a, aOff, strideA, lda, b, bOff, strideB, ldb,
                    out, cOff, strideC, ldc, accumulate);
        }

        /** Multiplies this problem's A (one matrix) by {@code packed}, its B packed, and checks C as {@link #check} does. */
        void checkPacked(Sgemm sgemm, Sgemm.PackedB packed, boolean accumulate) {
            float[] out = c.clone();
            sgemm.multiply(packed, transA, m, a, aOff, lda, out, cOff, ldc, accumulate);
            verify(out, accumulate);
        }

        private void verify(float[] out, boolean accumulate) {
            double tolerance = 1e-5 * Math.sqrt(Math.max(1, k));
            boolean[] inside = new boolean[out.length];
            for (int t = 0; t < batch; t++) {
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        int index = cOff + t * strideC + i * ldc + j;
                        inside[index] = true;
                        double sum = accumulate ? c[index] : 0;
                        double magnitude = accumulate ? Math.abs(c[index]) : 0;
                        for (int p = 0; p < k; p++) {
                            double product = (double) opA(t, i, p) * opB(t, p, j);
                            sum += product;
                            magnitude += Math.abs(product);
                        }
                        if (!(Math.abs(out[index] - sum) <= tolerance * magnitude + 1e-30)) {
                            fail(describe() + " accumulate=" + accumulate + ": C[" + t + "][" + i + "][" + j + "] = "
                                    + out[index] + ", expected " + sum + " (tolerance " + tolerance * magnitude + ")");
                        }
                    }
                }
            }
            for (int index = 0; index < out.length; index++) {
                if (!inside[index] && out[index] != SENTINEL) {
                    fail(describe() + ": wrote " + out[index] + " at index " + index + ", outside C");
                }
            }
        }

        private String describe() {
            return "batch=" + batch + " m=" + m + " n=" + n + " k=" + k + " transA=" + transA + " transB=" + transB
                    + " strideB=" + strideB + " lda=" + lda + " ldb=" + ldb + " ldc=" + ldc;
        }
    }
}
