package dev.mixtape.bench;

import org.nd4j.linalg.api.blas.Blas;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ND4J's CPU backend ({@code nd4j-native}): {@code Nd4j.matmul} with ND4J's own transpose flags on
 * f32 row-major arrays, which libnd4j hands to OpenBLAS's sgemm without copying. The thread count is
 * set on OpenBLAS (where the flops are) and on libnd4j's own pool.
 */
final class Nd4jMatmul implements MatmulImplementation {
    private final MatmulCase shape;
    private final INDArray a;
    private final INDArray b;
    private final INDArray out;

    Nd4jMatmul(MatmulCase shape, int threads, long seed) {
        useThreads(threads);
        this.shape = shape;
        int[] sa = shape.shapeA();
        int[] sb = shape.shapeB();
        this.a = Nd4j.create(MatmulImplementation.randomValues(sa[0] * sa[1], seed), new long[] {sa[0], sa[1]}, DataType.FLOAT);
        this.b = Nd4j.create(MatmulImplementation.randomValues(sb[0] * sb[1], seed + 1), new long[] {sb[0], sb[1]}, DataType.FLOAT);
        this.out = Nd4j.create(DataType.FLOAT, new long[] {shape.m(), shape.n()}, 'c');
    }

    /**
     * Sets ND4J to {@code threads} threads and checks that OpenBLAS reports it back; fails when the
     * BLAS under ND4J is not OpenBLAS, since the comparison would then mean something else.
     */
    static void useThreads(int threads) {
        Blas blas = Nd4j.factory().blas();
        if (blas.getBlasVendor() != Blas.Vendor.OPENBLAS) {
            throw new IllegalStateException("ND4J runs on BLAS vendor " + blas.getBlasVendor() + ", not OpenBLAS");
        }
        blas.setMaxThreads(threads);
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.getEnvironment().setMaxMasterThreads(threads);
        if (blas.getMaxThreads() != threads) {
            throw new IllegalStateException("asked OpenBLAS for " + threads + " threads, it reports " + blas.getMaxThreads());
        }
    }

    @Override
    public void multiply() {
        Nd4j.matmul(a, b, out, shape.form().transA(), shape.form().transB(), false);
    }

    @Override
    public float[] result() {
        return out.data().asFloat();
    }

    @Override
    public void close() {
        a.close();
        b.close();
        out.close();
    }
}
