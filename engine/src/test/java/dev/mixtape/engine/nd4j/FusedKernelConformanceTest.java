package dev.mixtape.engine.nd4j;

import dev.mixtape.engine.DType;
import dev.mixtape.engine.FusedKernels;
import dev.mixtape.engine.RopeLayout;
import dev.mixtape.engine.RopeTable;
import dev.mixtape.engine.Shapes;
import dev.mixtape.engine.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.SplittableRandom;

import static dev.mixtape.engine.nd4j.Conformance.tensor;
import static dev.mixtape.engine.nd4j.Conformance.values;
import static dev.mixtape.engine.nd4j.Conformance.valuesFor;
import static dev.mixtape.engine.nd4j.Conformance.zeros;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The fused primitives of the ND4J backend (RMSNorm, RoPE, softmax, cross-entropy, the fused head and
 * cross-entropy, a product plus a rank-r one, row gather and scatter, SwiGLU, with their backwards)
 * against the Vector backend's.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FusedKernelConformanceTest {
    private final Conformance conformance = new Conformance();

    @AfterAll
    void close() {
        conformance.close();
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void rmsNormAndItsBackward(DType dtype) {
        for (int[] shape : new int[][] {{3, 7}, {2, 3, 8}, {1, 33}}) {
            SplittableRandom random = new SplittableRandom(shape.length * 100L + shape[shape.length - 1]);
            int dim = shape[shape.length - 1];
            int rows = Shapes.numel(shape) / dim;
            double[] x = valuesFor(random, shape);
            double[] weight = values(random, dim);
            double[] dOut = valuesFor(random, shape);
            double[] dWeightBefore = values(random, dim);
            conformance.check(dtype, "rmsNorm " + Shapes.str(shape), (backend, type) -> {
                Tensor out = zeros(backend, type, shape);
                Tensor invRms = zeros(backend, type, rows);
                backend.rmsNorm(tensor(backend, type, x, shape), tensor(backend, type, weight, dim), 1e-5, out, invRms);
                Tensor dx = zeros(backend, type, shape);
                Tensor dWeight = tensor(backend, type, dWeightBefore, dim);
                backend.rmsNormBackward(tensor(backend, type, x, shape), tensor(backend, type, weight, dim), invRms,
                        tensor(backend, type, dOut, shape), dx, dWeight);
                return new Tensor[] {out, invRms, dx, dWeight};
            });
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void ropeInBothLayoutsForwardAndInverse(DType dtype) {
        for (RopeLayout layout : RopeLayout.values()) {
            for (int[] shape : new int[][] {{2, 3, 5, 8}, {5, 6}, {6}, {2, 4, 20}, {3, 48}}) {
                for (int offset : new int[] {0, 4}) {
                    for (boolean inverse : new boolean[] {false, true}) {
                        double[] x = valuesFor(new SplittableRandom(offset + shape.length), shape);
                        String what = "rope " + layout + " " + Shapes.str(shape) + " from " + offset
                                + (inverse ? " inverse" : "");
                        conformance.check(dtype, what, (backend, type) -> {
                            RopeTable table = RopeTable.of(backend, type, shape[shape.length - 1], 16, 10000, layout);
                            Tensor out = zeros(backend, type, shape);
                            backend.rope(tensor(backend, type, x, shape), table.cos(), table.sin(), layout, offset,
                                    inverse, out);
                            Tensor inPlace = tensor(backend, type, x, shape);
                            backend.rope(inPlace, table.cos(), table.sin(), layout, offset, inverse, inPlace);
                            return new Tensor[] {out, inPlace};
                        });
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void softmaxPlainAndCausalAndItsBackward(DType dtype) {
        // {rows, cols, causalPeriod, causalOffset}: blocks of whole periods, a partial block, an offset.
        int[][] cases = {{6, 5, 0, 0}, {8, 4, 4, 0}, {10, 7, 4, 2}, {3, 9, 3, 5}, {12, 6, 6, 3}, {4, 1, 0, 0}, {4, 1, 2, 0}};
        for (int[] c : cases) {
            int rows = c[0];
            int cols = c[1];
            int period = c[2];
            int offset = c[3];
            SplittableRandom random = new SplittableRandom(rows * 31L + cols);
            double[] x = values(random, rows * cols);
            double[] dy = values(random, rows * cols);
            String what = "softmax [" + rows + ", " + cols + "] period " + period + " offset " + offset;
            conformance.check(dtype, what, (backend, type) -> {
                Tensor y = zeros(backend, type, rows, cols);
                backend.softmax(tensor(backend, type, x, rows, cols), period, offset, y);
                Tensor dx = zeros(backend, type, rows, cols);
                backend.softmaxBackward(y, tensor(backend, type, dy, rows, cols), dx);
                return new Tensor[] {y, dx};
            });
            conformance.check(dtype, what + ", in place", (backend, type) -> {
                Tensor y = tensor(backend, type, x, rows, cols);
                backend.softmax(y, period, offset, y);
                Tensor dx = tensor(backend, type, dy, rows, cols);
                backend.softmaxBackward(y, dx, dx);
                return new Tensor[] {y, dx};
            });
            if (period > 0) {
                Tensor y = zeros(conformance.nd4j, dtype, rows, cols);
                conformance.nd4j.softmax(tensor(conformance.nd4j, dtype, x, rows, cols), period, offset, y);
                double[] weights = y.toDoubleArray();
                for (int r = 0; r < rows; r++) {
                    for (int col = r % period + offset + 1; col < cols; col++) {
                        assertEquals(0.0, weights[r * cols + col], what + ": masked weight at row " + r + ", column " + col);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void crossEntropyWithIgnoredRowsAndItsBackward(DType dtype) {
        int rows = 7;
        int vocab = 11;
        int ignore = -100;
        int[] targets = {3, ignore, 0, 10, 3, ignore, 5};
        double[] logits = Conformance.within(new SplittableRandom(9), rows * vocab, -6, 6);
        conformance.check(dtype, "crossEntropy", (backend, type) -> {
            Tensor z = tensor(backend, type, logits, rows, vocab);
            Tensor losses = zeros(backend, type, rows);
            Tensor logSumExp = zeros(backend, type, rows);
            backend.crossEntropy(z, targets, ignore, losses, logSumExp);
            Tensor dLogits = zeros(backend, type, rows, vocab);
            backend.crossEntropyBackward(z, targets, ignore, logSumExp, -0.4, dLogits);
            return new Tensor[] {losses, logSumExp, dLogits};
        });
        Tensor losses = zeros(conformance.nd4j, dtype, rows);
        Tensor logSumExp = zeros(conformance.nd4j, dtype, rows);
        Tensor z = tensor(conformance.nd4j, dtype, logits, rows, vocab);
        Tensor dLogits = tensor(conformance.nd4j, dtype, values(new SplittableRandom(10), rows * vocab), rows, vocab);
        conformance.nd4j.crossEntropy(z, targets, ignore, losses, logSumExp);
        conformance.nd4j.crossEntropyBackward(z, targets, ignore, logSumExp, -0.4, dLogits);
        for (int r : new int[] {1, 5}) {
            assertEquals(0.0, losses.toDoubleArray()[r], "loss of ignored row " + r);
            double[] gradient = dLogits.slice(0, r, r + 1).toDoubleArray();
            for (int v = 0; v < vocab; v++) {
                assertEquals(0.0, gradient[v], "gradient of ignored row " + r + " at " + v);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void linearCrossEntropyWithIgnoredRowsAndBothGradients(DType dtype) {
        SplittableRandom random = new SplittableRandom(13);
        int rows = 6;
        int dim = 5;
        int vocab = 9;
        int ignore = -100;
        int[] targets = {8, ignore, 0, 3, 3, 7};
        double[] x = values(random, rows * dim);
        double[] weight = values(random, vocab * dim);
        double[] dWeightBefore = values(random, vocab * dim);
        conformance.check(dtype, "linearCrossEntropy", (backend, type) -> {
            Tensor losses = zeros(backend, type, rows);
            Tensor dx = zeros(backend, type, rows, dim);
            Tensor dWeight = tensor(backend, type, dWeightBefore, vocab, dim);
            FusedKernels.linearCrossEntropy(backend, tensor(backend, type, x, rows, dim), tensor(backend, type, weight, vocab, dim), targets,
                    ignore, 0.25, losses, dx, dWeight);
            return new Tensor[] {losses, dx, dWeight};
        });
    }

    /** 37 rows take the Vector backend's blocked path, which adds the rank-r term tile by tile; on ND4J the op runs two products. */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void matmulPlusLowRankInBothForms(DType dtype) {
        SplittableRandom random = new SplittableRandom(14);
        int rows = 37;
        int in = 21;
        int out = 19;
        int rank = 3;
        double[] x = values(random, rows * in);
        double[] weight = values(random, out * in);
        double[] low = values(random, rows * rank);
        double[] up = values(random, out * rank);
        double[] dOut = values(random, rows * out);
        double[] down = values(random, rank * in);
        conformance.check(dtype, "matmulPlusLowRank", (backend, type) -> {
            Tensor y = zeros(backend, type, rows, out);
            FusedKernels.matmulPlusLowRank(backend, tensor(backend, type, x, rows, in), tensor(backend, type, weight, out, in), true,
                    tensor(backend, type, low, rows, rank), tensor(backend, type, up, out, rank), true, y);
            Tensor dx = zeros(backend, type, rows, in);
            FusedKernels.matmulPlusLowRank(backend, tensor(backend, type, dOut, rows, out), tensor(backend, type, weight, out, in), false,
                    tensor(backend, type, low, rows, rank), tensor(backend, type, down, rank, in), false, dx);
            return new Tensor[] {y, dx};
        });
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void gatherRowsAndScatterAddRowsWithRepeatedIds(DType dtype) {
        SplittableRandom random = new SplittableRandom(11);
        int[] ids = {4, 0, 4, 2, 4, 1};
        double[] table = values(random, 5 * 3);
        double[] dOut = values(random, ids.length * 3);
        double[] dTableBefore = values(random, 5 * 3);
        conformance.check(dtype, "gather and scatter-add", (backend, type) -> {
            Tensor out = zeros(backend, type, ids.length, 3);
            backend.gatherRows(tensor(backend, type, table, 5, 3), ids, out);
            Tensor dTable = tensor(backend, type, dTableBefore, 5, 3);
            backend.scatterAddRows(tensor(backend, type, dOut, ids.length, 3), ids, dTable);
            return new Tensor[] {out, dTable};
        });
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void swigluAndItsBackward(DType dtype) {
        SplittableRandom random = new SplittableRandom(12);
        int[] shape = {3, 2, 5};
        double[] gate = Conformance.within(random, 30, -8, 8);
        gate[0] = 60;
        gate[1] = -60;
        double[] up = valuesFor(random, shape);
        double[] dOut = valuesFor(random, shape);
        conformance.check(dtype, "swiglu", (backend, type) -> {
            Tensor out = zeros(backend, type, shape);
            backend.swiglu(tensor(backend, type, gate, shape), tensor(backend, type, up, shape), out);
            Tensor dGate = zeros(backend, type, shape);
            Tensor dUp = zeros(backend, type, shape);
            backend.swigluBackward(tensor(backend, type, gate, shape), tensor(backend, type, up, shape),
                    tensor(backend, type, dOut, shape), dGate, dUp);
            return new Tensor[] {out, dGate, dUp};
        });
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void rmsNormOfRowsOfOneElement(DType dtype) {
        SplittableRandom random = new SplittableRandom(13);
        double[] x = values(random, 4);
        double[] dOut = values(random, 4);
        conformance.check(dtype, "rmsNorm of rows of one element", (backend, type) -> {
            Tensor out = zeros(backend, type, 4, 1);
            Tensor invRms = zeros(backend, type, 4);
            Tensor weight = tensor(backend, type, new double[] {2}, 1);
            backend.rmsNorm(tensor(backend, type, x, 4, 1), weight, 1e-6, out, invRms);
            Tensor dx = zeros(backend, type, 4, 1);
            Tensor dWeight = zeros(backend, type, 1);
            backend.rmsNormBackward(tensor(backend, type, x, 4, 1), weight, invRms, tensor(backend, type, dOut, 4, 1),
                    dx, dWeight);
            return new Tensor[] {out, invRms, dx, dWeight};
        });
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void crossEntropyWithEveryRowIgnored(DType dtype) {
        int[] targets = {-1, -1, -1};
        double[] logits = values(new SplittableRandom(14), 3 * 4);
        conformance.check(dtype, "crossEntropy, all ignored", (backend, type) -> {
            Tensor z = tensor(backend, type, logits, 3, 4);
            Tensor losses = tensor(backend, type, new double[] {5, 5, 5}, 3);
            Tensor logSumExp = zeros(backend, type, 3);
            backend.crossEntropy(z, targets, -1, losses, logSumExp);
            Tensor dLogits = tensor(backend, type, logits, 3, 4);
            backend.crossEntropyBackward(z, targets, -1, logSumExp, 1.0, dLogits);
            return new Tensor[] {losses, logSumExp, dLogits};
        });
    }
}
