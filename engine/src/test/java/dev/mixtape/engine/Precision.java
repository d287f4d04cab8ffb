package dev.mixtape.engine;

import dev.mixtape.engine.reference.ReferenceBackend;
import dev.mixtape.engine.vector.VectorBackend;

import java.util.ArrayList;
import java.util.List;

/**
 * A backend and dtype to run op tests in, with the finite-difference step and tolerances that suit
 * that precision. Double precision (on backends that have it) gives tight gradient checks; f32
 * checks are looser but exercise the Vector kernels directly.
 */
public record Precision(String label, Backend backend, DType dtype, double step, double absTol, double relTol) {

    private static final Backend VECTOR = new VectorBackend(2);

    /** The Vector backend in f32. */
    public static Precision vectorF32() {
        return new Precision("vector/f32", VECTOR, DType.F32, 1e-2, 1e-3, 5e-3);
    }

    /** Every precision available in this test run: vector f32, reference f64, plus nd4j f64 when ND4J is on the classpath. */
    public static List<Precision> all() {
        List<Precision> list = new ArrayList<>();
        list.add(vectorF32());
        list.add(new Precision("reference/f64", new ReferenceBackend(), DType.F64, 1e-6, 1e-7, 1e-6));
        Nd4jSupport.backend().ifPresent(nd4j -> list.add(new Precision("nd4j/f64", nd4j, DType.F64, 1e-6, 1e-7, 1e-6)));
        return list;
    }

    /** A tensor of this precision with the given values. */
    public Tensor tensor(double[] values, int... shape) {
        return Tensor.of(backend, dtype, values, shape);
    }

    @Override
    public String toString() {
        return label;
    }
}
