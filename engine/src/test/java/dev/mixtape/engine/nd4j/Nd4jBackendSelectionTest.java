package dev.mixtape.engine.nd4j;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Backends;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.vector.VectorBackend;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Choosing the ND4J backend by name, and moving tensors between it and the Vector backend. */
class Nd4jBackendSelectionTest {

    @Test
    void backendsCreatesTheNd4jBackendByName() {
        Backend backend = Backends.create("nd4j");
        Nd4jBackend nd4j = assertInstanceOf(Nd4jBackend.class, backend);
        assertEquals("nd4j", nd4j.name());
        assertEquals("CpuBackend", nd4j.nd4jBackend(), "the tests run on nd4j-native");
        assertTrue(nd4j.supports(DType.F32));
        assertTrue(nd4j.supports(DType.F64));
        assertFalse(nd4j.supports(DType.BF16));
        UnsupportedOperationException bf16 = assertThrows(UnsupportedOperationException.class,
                () -> Tensor.zeros(nd4j, DType.F32, 2, 2).to(DType.BF16));
        assertEquals("the nd4j backend cannot hold BF16 tensors", bf16.getMessage());
    }

    @Test
    void tensorsKeepTheirValuesWhenMovedBetweenBackends() {
        Nd4jBackend nd4j = new Nd4jBackend();
        try (VectorBackend vector = new VectorBackend(2)) {
            float[] data = {1.5f, -2.25f, 3e-8f, 7e20f, 0f, -0.125f};
            Tensor onVector = Tensor.of(vector, data, 2, 3);
            Tensor onNd4j = onVector.to(nd4j);
            assertEquals(nd4j, onNd4j.backend());
            assertArrayEquals(new int[] {2, 3}, onNd4j.shape());
            assertArrayEquals(data, onNd4j.toFloatArray());
            assertArrayEquals(data, onNd4j.to(vector).toFloatArray());
            Tensor transposedBack = onNd4j.transpose(0, 1).to(vector);
            assertArrayEquals(new float[] {1.5f, 7e20f, -2.25f, 0f, 3e-8f, -0.125f}, transposedBack.toFloatArray());
        }
    }

    @Test
    void f64TensorsKeepDoublePrecisionOnNd4jAndBecomeF32OnTheVectorBackend() {
        Nd4jBackend nd4j = new Nd4jBackend();
        try (VectorBackend vector = new VectorBackend(2)) {
            double[] data = {1 + 1e-12, Math.PI, -1e-300};
            Tensor precise = Tensor.of(nd4j, DType.F64, data, 3);
            assertEquals(DType.F64, precise.dtype());
            assertArrayEquals(data, precise.toDoubleArray());
            Tensor copy = precise.to(new Nd4jBackend());
            assertEquals(DType.F64, copy.dtype());
            assertArrayEquals(data, copy.toDoubleArray());
            Tensor narrowed = precise.to(vector);
            assertEquals(DType.F32, narrowed.dtype());
            assertArrayEquals(new float[] {1f, (float) Math.PI, -0f}, narrowed.toFloatArray());
        }
    }

    @Test
    void tensorsOfAnotherBackendAreRefusedWithTheirShape() {
        Nd4jBackend nd4j = new Nd4jBackend();
        try (VectorBackend vector = new VectorBackend(2)) {
            Tensor foreign = Tensor.zeros(vector, DType.F32, 2, 5);
            Tensor out = Tensor.zeros(nd4j, DType.F32, 2, 5);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> nd4j.copy(foreign, out));
            assertTrue(e.getMessage().contains("[2, 5]") && e.getMessage().contains("vector"), e.getMessage());
            Tensor ofOtherNd4j = Tensor.zeros(new Nd4jBackend(), DType.F32, 2, 5);
            assertThrows(IllegalArgumentException.class, () -> nd4j.copy(ofOtherNd4j, out));
        }
    }
}
