package dev.mixtape.engine.nd4j;

import dev.mixtape.engine.DType;
import dev.mixtape.engine.Shapes;
import dev.mixtape.engine.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.SplittableRandom;

import static dev.mixtape.engine.nd4j.Conformance.tensor;
import static dev.mixtape.engine.nd4j.Conformance.valuesFor;

/**
 * The ND4J backend's matmul against the Vector backend's: every transpose combination, matrices,
 * batches (one and two batch dimensions), a 2-D B shared by all batches, odd sizes, accumulation,
 * and ranges of columns of wider matrices as operands and output.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MatmulConformanceTest {
    private final Conformance conformance = new Conformance();

    @AfterAll
    void close() {
        conformance.close();
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void matrices(DType dtype) {
        checkAllTransposes(dtype, new int[0], 5, 7, 3, false);
        checkAllTransposes(dtype, new int[0], 1, 13, 9, true);
        checkAllTransposes(dtype, new int[0], 17, 1, 4, false);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void batchesOfMatrices(DType dtype) {
        checkAllTransposes(dtype, new int[] {3}, 5, 7, 3, false);
        checkAllTransposes(dtype, new int[] {2, 3}, 4, 6, 5, true);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void batchesAgainstOneSharedMatrix(DType dtype) {
        checkAllTransposesShared(dtype, new int[] {3}, 5, 7, 3, false);
        checkAllTransposesShared(dtype, new int[] {2, 3}, 4, 6, 5, true);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void emptyInnerDimensionGivesZerosOrKeepsTheAccumulator(DType dtype) {
        checkAllTransposes(dtype, new int[0], 3, 0, 2, false);
        checkAllTransposes(dtype, new int[] {2}, 3, 0, 2, true);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void rangesOfColumnsAsOperandsAndOutput(DType dtype) {
        for (boolean transA : new boolean[] {false, true}) {
            for (boolean transB : new boolean[] {false, true}) {
                checkColumnRanges(dtype, new int[0], 9, 6, 11, transA, transB, false);
                checkColumnRanges(dtype, new int[] {2, 3}, 7, 5, 18, transA, transB, true);
                checkColumnRanges(dtype, new int[] {3}, 2, 8, 5, transA, transB, false);
            }
        }
    }

    /**
     * Each operand and the output a range of columns of a wider stack (rows further apart than their
     * length); the whole wider output is compared, so writes outside the range would show.
     */
    private void checkColumnRanges(DType dtype, int[] batch, int m, int k, int n, boolean transA, boolean transB,
                                   boolean accumulate) {
        SplittableRandom random = new SplittableRandom(17L * m + 5L * k + n);
        int aCols = transA ? m : k;
        int bCols = transB ? k : n;
        int[] aShape = withMatrix(batch, transA ? k : m, aCols + 3);
        int[] bShape = withMatrix(batch, transB ? n : k, bCols + 2);
        int[] outShape = withMatrix(batch, m, n + 5);
        double[] a = valuesFor(random, aShape);
        double[] b = valuesFor(random, bShape);
        double[] out = valuesFor(random, outShape);
        int last = batch.length + 1;
        String what = "matmul of column ranges " + Shapes.str(aShape) + (transA ? "ᵀ" : "") + " · " + Shapes.str(bShape)
                + (transB ? "ᵀ" : "") + " into " + Shapes.str(outShape) + (accumulate ? " accumulated" : "");
        conformance.check(dtype, what, (backend, type) -> {
            Tensor result = tensor(backend, type, out, outShape);
            backend.matmul(tensor(backend, type, a, aShape).slice(last, 1, 1 + aCols), transA,
                    tensor(backend, type, b, bShape).slice(last, 2, 2 + bCols), transB,
                    result.slice(last, 4, 4 + n), accumulate);
            return new Tensor[] {result};
        });
    }

    private void checkAllTransposes(DType dtype, int[] batch, int m, int k, int n, boolean accumulate) {
        for (boolean transA : new boolean[] {false, true}) {
            for (boolean transB : new boolean[] {false, true}) {
                check(dtype, batch, batch, m, k, n, transA, transB, accumulate);
            }
        }
    }

    private void checkAllTransposesShared(DType dtype, int[] batch, int m, int k, int n, boolean accumulate) {
        for (boolean transA : new boolean[] {false, true}) {
            for (boolean transB : new boolean[] {false, true}) {
                check(dtype, batch, new int[0], m, k, n, transA, transB, accumulate);
            }
        }
    }

    private void check(DType dtype, int[] batch, int[] batchB, int m, int k, int n, boolean transA, boolean transB,
                       boolean accumulate) {
        SplittableRandom random = new SplittableRandom(31L * m + 7L * k + n);
        int[] aShape = withMatrix(batch, transA ? k : m, transA ? m : k);
        int[] bShape = withMatrix(batchB, transB ? n : k, transB ? k : n);
        int[] outShape = withMatrix(batch, m, n);
        double[] a = valuesFor(random, aShape);
        double[] b = valuesFor(random, bShape);
        double[] out = valuesFor(random, outShape);
        String what = "matmul " + Shapes.str(aShape) + (transA ? "ᵀ" : "") + " · " + Shapes.str(bShape)
                + (transB ? "ᵀ" : "") + (accumulate ? " accumulated" : "");
        conformance.check(dtype, what, (backend, type) -> {
            Tensor result = tensor(backend, type, out, outShape);
            backend.matmul(tensor(backend, type, a, aShape), transA, tensor(backend, type, b, bShape), transB,
                    result, accumulate);
            return new Tensor[] {result};
        });
    }

    private static int[] withMatrix(int[] batch, int rows, int cols) {
        int[] shape = Arrays.copyOf(batch, batch.length + 2);
        shape[batch.length] = rows;
        shape[batch.length + 1] = cols;
        return shape;
    }
}
