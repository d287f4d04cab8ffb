package dev.mixtape.engine.nd4j;

import dev.mixtape.engine.BinaryOp;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.ScalarOp;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.UnaryOp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

import static dev.mixtape.engine.nd4j.Conformance.positive;
import static dev.mixtape.engine.nd4j.Conformance.tensor;
import static dev.mixtape.engine.nd4j.Conformance.values;
import static dev.mixtape.engine.nd4j.Conformance.zeros;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Storage, copies and elementwise primitives of the ND4J backend against the Vector backend, with
 * inputs that are views: offsets, transposes and broadcasts (stride 0), and outputs that are views.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ElementwiseConformanceTest {
    /** A way of cutting a {@code [3, 4]} view out of a {@code [5, 7]} tensor. */
    private record View(String name, UnaryOperator<Tensor> cut) {
    }

    private static final List<View> VIEWS = List.of(
            new View("contiguous", t -> t.slice(0, 0, 3).slice(1, 0, 4).contiguous()),
            new View("offset slice", t -> t.slice(0, 1, 4).slice(1, 2, 6)),
            new View("transposed", t -> t.slice(0, 0, 4).slice(1, 1, 4).transpose(0, 1)),
            new View("broadcast row", t -> t.slice(0, 2, 3).slice(1, 0, 4).expand(3, 4)),
            new View("broadcast column", t -> t.slice(0, 0, 3).slice(1, 3, 4).expand(3, 4)),
            new View("broadcast element", t -> t.slice(0, 4, 5).slice(1, 6, 7).expand(3, 4)),
            new View("broadcast rank 1", t -> t.slice(0, 3, 4).slice(1, 1, 5).reshape(4).expand(3, 4)));

    private final Conformance conformance = new Conformance();

    @AfterAll
    void close() {
        conformance.close();
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void storageRoundTripsThroughEveryView(DType dtype) {
        double[] data = values(new SplittableRandom(1), 35);
        for (View view : VIEWS) {
            conformance.check(dtype, "view " + view.name(), (backend, type) ->
                    new Tensor[] {view.cut().apply(tensor(backend, type, data, 5, 7))});
            Tensor onNd4j = view.cut().apply(tensor(conformance.nd4j, dtype, data, 5, 7));
            Tensor onVector = view.cut().apply(tensor(conformance.vector, DType.F32, data, 5, 7));
            Conformance.assertClose(onVector.toDoubleArray(), toDoubles(onNd4j.toFloatArray()), 0, "toFloatArray " + view.name());
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void allocatedStorageIsZeroAndRankZeroWorks(DType dtype) {
        conformance.check(dtype, "zeros", (backend, type) -> new Tensor[] {zeros(backend, type, 2, 3)});
        conformance.check(dtype, "full scalar", (backend, type) -> new Tensor[] {Tensor.full(backend, type, 2.5)});
        conformance.check(dtype, "empty", (backend, type) -> new Tensor[] {zeros(backend, type, 0, 3).copy()});
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void copyFromEveryViewIntoAViewTouchesOnlyThatView(DType dtype) {
        SplittableRandom random = new SplittableRandom(2);
        double[] source = values(random, 35);
        double[] target = values(random, 54);
        for (View view : VIEWS) {
            conformance.check(dtype, "copy from " + view.name(), (backend, type) -> {
                Tensor into = tensor(backend, type, target, 6, 9);
                backend.copy(view.cut().apply(tensor(backend, type, source, 5, 7)), into.slice(0, 2, 5).slice(1, 3, 7));
                return new Tensor[] {into};
            });
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void largeCopiesOfTransposedStacksShareTheWorkAndTouchOnlyTheView(DType dtype) {
        SplittableRandom random = new SplittableRandom(4);
        double[] source = values(random, 6 * 40 * 5 * 48);
        double[] target = values(random, 7 * 5 * 40 * 48);
        conformance.check(dtype, "copy of heads and positions swapped, as attention's", (backend, type) -> {
            Tensor into = tensor(backend, type, target, 7, 5, 40, 48);
            backend.copy(tensor(backend, type, source, 6, 40, 5, 48).transpose(1, 2), into.slice(0, 1, 7));
            return new Tensor[] {into};
        });
        conformance.check(dtype, "copy of a large transposed matrix with a leading 1", (backend, type) ->
                new Tensor[] {tensor(backend, type, source, 1, 240, 240).transpose(1, 2).contiguous()});
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void fillWritesOnlyTheView(DType dtype) {
        double[] target = values(new SplittableRandom(3), 54);
        conformance.check(dtype, "fill", (backend, type) -> {
            Tensor into = tensor(backend, type, target, 6, 9);
            backend.fill(into.slice(0, 1, 5).slice(1, 2, 5).transpose(0, 1), -1.25);
            return new Tensor[] {into};
        });
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void unaryOnEveryView(DType dtype) {
        SplittableRandom random = new SplittableRandom(4);
        EnumSet<UnaryOp> positiveOnly = EnumSet.of(UnaryOp.LOG, UnaryOp.SQRT, UnaryOp.RSQRT, UnaryOp.RECIPROCAL);
        for (UnaryOp op : UnaryOp.values()) {
            double[] data = positiveOnly.contains(op) ? positive(random, 35) : values(random, 35);
            for (View view : VIEWS) {
                conformance.check(dtype, op + " of " + view.name(), (backend, type) -> {
                    Tensor out = zeros(backend, type, 3, 4);
                    backend.unary(op, view.cut().apply(tensor(backend, type, data, 5, 7)), out);
                    return new Tensor[] {out};
                });
            }
            conformance.check(dtype, op + " in place", (backend, type) -> {
                Tensor x = tensor(backend, type, data, 5, 7);
                backend.unary(op, x, x);
                return new Tensor[] {x};
            });
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void siluAndItsDerivativeStayFiniteFarFromZero(DType dtype) {
        double[] data = {-100, -60, -45, -20, 20, 45, 60, 100};
        for (UnaryOp op : List.of(UnaryOp.SILU, UnaryOp.SILU_DERIVATIVE)) {
            conformance.check(dtype, op + " far from zero", (backend, type) -> {
                Tensor out = zeros(backend, type, data.length);
                backend.unary(op, tensor(backend, type, data, data.length), out);
                return new Tensor[] {out};
            });
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void scalarOnEveryView(DType dtype) {
        SplittableRandom random = new SplittableRandom(5);
        for (ScalarOp op : ScalarOp.values()) {
            boolean positiveOnly = op == ScalarOp.POW || op == ScalarOp.DIVIDE_INTO;
            double[] data = positiveOnly ? positive(random, 35) : values(random, 35);
            for (double c : new double[] {-1.5, 0.5, 3}) {
                for (View view : VIEWS) {
                    conformance.check(dtype, op + " " + c + " of " + view.name(), (backend, type) -> {
                        Tensor out = zeros(backend, type, 3, 4);
                        backend.scalar(op, view.cut().apply(tensor(backend, type, data, 5, 7)), c, out);
                        return new Tensor[] {out};
                    });
                }
            }
            conformance.check(dtype, op + " in place", (backend, type) -> {
                Tensor x = tensor(backend, type, data, 5, 7);
                backend.scalar(op, x, 2, x);
                return new Tensor[] {x};
            });
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void binaryOnEveryPairOfViews(DType dtype) {
        SplittableRandom random = new SplittableRandom(6);
        for (BinaryOp op : BinaryOp.values()) {
            double[] left = values(random, 35);
            double[] right = op == BinaryOp.DIV ? positive(random, 35) : values(random, 35);
            for (View a : VIEWS) {
                for (View b : VIEWS) {
                    conformance.check(dtype, op + " of " + a.name() + " and " + b.name(), (backend, type) -> {
                        Tensor out = zeros(backend, type, 3, 4);
                        backend.binary(op, a.cut().apply(tensor(backend, type, left, 5, 7)),
                                b.cut().apply(tensor(backend, type, right, 5, 7)), out);
                        return new Tensor[] {out};
                    });
                }
            }
            conformance.check(dtype, op + " in place with a broadcast row", (backend, type) -> {
                Tensor x = tensor(backend, type, left, 5, 7);
                Tensor row = tensor(backend, type, right, 5, 7).slice(0, 1, 2).expand(5, 7);
                backend.binary(op, x, row, x);
                return new Tensor[] {x};
            });
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void sumToKeepsDimensionsOfSizeOne(DType dtype) {
        SplittableRandom random = new SplittableRandom(7);
        double[] data = values(random, 3 * 5 * 7);
        int[][] targets = {{1, 5, 1}, {3, 1, 7}, {1, 1, 1}, {3, 5, 1}, {1, 5, 7}, {3, 5, 7}};
        List<View> inputs = List.of(
                new View("contiguous", t -> t.reshape(3, 5, 7)),
                new View("permuted", t -> t.reshape(5, 3, 7).transpose(0, 1)),
                new View("broadcast", t -> t.reshape(3, 5, 7).slice(1, 2, 3).expand(3, 5, 7)));
        for (View input : inputs) {
            for (int[] target : targets) {
                conformance.check(dtype, "sumTo " + Arrays.toString(target) + " of " + input.name(),
                        (backend, type) -> {
                            Tensor out = zeros(backend, type, target);
                            backend.sumTo(input.cut().apply(tensor(backend, type, data, data.length)), out);
                            return new Tensor[] {out};
                        });
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void sumOfSquaresOfEveryView(DType dtype) {
        double[] data = values(new SplittableRandom(8), 35);
        for (View view : VIEWS) {
            double expected = conformance.vector.sumOfSquares(view.cut().apply(tensor(conformance.vector, DType.F32, data, 5, 7)));
            double actual = conformance.nd4j.sumOfSquares(view.cut().apply(tensor(conformance.nd4j, dtype, data, 5, 7)));
            assertEquals(expected, actual, Conformance.tolerance(dtype) * (1 + Math.abs(expected)), view.name());
        }
        Tensor single = tensor(conformance.nd4j, dtype, new double[] {-3}, 1);
        assertEquals(9.0, conformance.nd4j.sumOfSquares(single), "sum of squares of one element");
    }

    private static double[] toDoubles(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
