package dev.mixtape.bench;

import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.vector.VectorBackend;

/** Mixtape's Vector backend: {@code Backend.matmul} on heap tensors, with {@code threads} threads. */
final class VectorMatmul implements MatmulImplementation {
    private final VectorBackend backend;
    private final MatmulCase shape;
    private final Tensor a;
    private final Tensor b;
    private final Tensor out;

    VectorMatmul(MatmulCase shape, int threads, long seed) {
        this.backend = new VectorBackend(threads);
        this.shape = shape;
        int[] sa = shape.shapeA();
        int[] sb = shape.shapeB();
        this.a = Tensor.of(backend, MatmulImplementation.randomValues(sa[0] * sa[1], seed), sa);
        this.b = Tensor.of(backend, MatmulImplementation.randomValues(sb[0] * sb[1], seed + 1), sb);
        this.out = Tensor.of(backend, new float[shape.m() * shape.n()], shape.m(), shape.n());
    }

    @Override
    public void multiply() {
        backend.matmul(a, shape.form().transA(), b, shape.form().transB(), out, false);
    }

    @Override
    public float[] result() {
        return out.toFloatArray();
    }

    @Override
    public void close() {
        backend.close();
    }
}
