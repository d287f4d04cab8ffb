package dev.mixtape.adapters;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.QRDecomposition;
import org.apache.commons.math3.linear.RealMatrix;

/**
 * How MoSLoRA's mixer {@code M [r, r]} (PEFT-fork name {@code lora_AB}) starts. The MoSLoRA
 * reference code uses {@link #KAIMING}; the paper compares the others.
 */
public enum MixerInit {
    /** {@code kaiming_uniform(a=√5)} over r: U(−1/√r, 1/√r). The reference code's choice. */
    KAIMING,
    /**
     * A uniformly random orthogonal matrix: the Q of a QR decomposition of a standard Gaussian
     * matrix, its columns' signs fixed by the signs of R's diagonal (what {@code orthogonal_} does).
     */
    ORTHOGONAL,
    /** The identity: at the start, exactly LoRA. */
    IDENTITY,
    /**
     * All zeros. Only usable with {@link LoraInit#RANDOM}: with B = 0 too, every gradient of A, M and
     * B is zero and the adapter never trains, so {@link LoraConfig} refuses that combination.
     */
    ZEROS;

    /** {@code M [r, r]} on {@code backend}, drawn from {@code rng} where random. */
    Tensor initial(Backend backend, Rng rng, int r) {
        return switch (this) {
            case KAIMING -> rng.kaimingUniform(backend, Math.sqrt(5), r, r);
            case ORTHOGONAL -> orthogonal(backend, rng, r);
            case IDENTITY -> identity(backend, r);
            case ZEROS -> Tensor.zeros(backend, DType.F32, r, r);
        };
    }

    private static Tensor orthogonal(Backend backend, Rng rng, int r) {
        float[] gaussian = rng.normal(r * r, 0, 1);
        RealMatrix matrix = new Array2DRowRealMatrix(r, r);
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < r; j++) {
                matrix.setEntry(i, j, gaussian[i * r + j]);
            }
        }
        QRDecomposition qr = new QRDecomposition(matrix);
        RealMatrix q = qr.getQ();
        RealMatrix upper = qr.getR();
        float[] values = new float[r * r];
        for (int j = 0; j < r; j++) {
            double sign = upper.getEntry(j, j) < 0 ? -1 : 1;
            for (int i = 0; i < r; i++) {
                values[i * r + j] = (float) (q.getEntry(i, j) * sign);
            }
        }
        return Tensor.of(backend, values, r, r);
    }

    private static Tensor identity(Backend backend, int r) {
        float[] values = new float[r * r];
        for (int i = 0; i < r; i++) {
            values[i * r + i] = 1;
        }
        return Tensor.of(backend, values, r, r);
    }
}
