package dev.mixtape.engine;

import dev.mixtape.engine.vector.VectorBackend;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import static dev.mixtape.engine.GradCheck.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link F#checkpoint}: its gradients (to the input and to the parameters the block reads) against
 * finite differences, and bit for bit against the same blocks recorded op by op, dropout included.
 */
class CheckpointTest {
    @AutoClose
    private static final VectorBackend backend = new VectorBackend(2);

    static List<Precision> precisions() {
        return Precision.all();
    }

    /**
     * Two checkpointed blocks in a row, each reading the input and a parameter that is not an input
     * of the op: a backward that missed the parameters, or the second block's gradient to the first,
     * or that scaled or dropped a path, fails the comparison with central differences.
     */
    @ParameterizedTest
    @MethodSource("precisions")
    void gradientsMatchFiniteDifferences(Precision p) {
        int[] x = {2, 3, 4};
        int[] w = {4, 4};
        int[] norm = {4};
        double[][] inputs = {random(1, -1, 1, x), random(2, -1, 1, w), random(3, 0.5, 1.5, norm)};
        GradCheck.check("checkpoint", p, t -> {
            UnaryOperator<Tensor> block = in -> in.add(F.silu(F.rmsNorm(in, t.get(2), 1e-5).matmul(t.get(1))));
            return F.checkpoint(block, F.checkpoint(block, t.get(0)));
        }, inputs, new int[][] {x, w, norm});
    }

    /**
     * Three blocks like a decoder layer's (RMSNorm, projections, causal attention, SwiGLU, residuals,
     * dropout) trained for three steps, checkpointed and not: every loss and every gradient is the
     * same bit for bit, and the dropout generator ends where the plain run leaves it. A recomputation
     * that drew new dropout masks, or summed gradients in another order, would differ in the last bits.
     */
    @Test
    void gradientsAreThoseOfTheBlocksRecordedOpByOp() {
        Run plain = train(false);
        Run checkpointed = train(true);
        assertArrayEquals(plain.losses, checkpointed.losses);
        assertEquals(plain.gradients.size(), checkpointed.gradients.size());
        for (int i = 0; i < plain.gradients.size(); i++) {
            assertArrayEquals(plain.gradients.get(i), checkpointed.gradients.get(i), "gradient " + i);
        }
        assertEquals(plain.nextDraw, checkpointed.nextDraw, "the dropout generator is where the plain run left it");
    }

    private record Run(double[] losses, List<float[]> gradients, double nextDraw) {
    }

    private static Run train(boolean checkpoint) {
        int dim = 8;
        int heads = 2;
        Rng init = new Rng(11);
        List<Tensor> parameters = new ArrayList<>();
        List<UnaryOperator<Tensor>> blocks = new ArrayList<>();
        Rng dropout = new Rng(5);
        for (int layer = 0; layer < 3; layer++) {
            Tensor norm = init.uniform(backend, 0.5, 1.5, dim).requiresGrad(true);
            Tensor qkv = init.normal(backend, 0, 0.3, dim, 3 * dim).requiresGrad(true);
            Tensor gate = init.normal(backend, 0, 0.3, dim, 2 * dim).requiresGrad(true);
            Tensor up = init.normal(backend, 0, 0.3, dim, 2 * dim).requiresGrad(true);
            Tensor down = init.normal(backend, 0, 0.3, 2 * dim, dim).requiresGrad(true);
            parameters.addAll(List.of(norm, qkv, gate, up, down));
            blocks.add(x -> {
                int batch = x.dim(0);
                int seq = x.dim(1);
                Tensor n = F.dropout(F.rmsNorm(x, norm, 1e-5), 0.2, dropout);
                List<Tensor> parts = F.split(n.matmul(qkv), 2, dim, dim, dim);
                List<Tensor> split = new ArrayList<>();
                for (Tensor part : parts) {
                    split.add(part.reshape(batch, seq, heads, dim / heads).transpose(1, 2).contiguous());
                }
                Tensor attended = F.causalAttention(split.get(0), split.get(1), split.get(2), 0).transpose(1, 2).reshape(batch, seq, dim);
                Tensor h = x.add(attended);
                Tensor m = F.rmsNorm(h, norm, 1e-5);
                return h.add(F.swiglu(m.matmul(gate), m.matmul(up)).matmul(down));
            });
        }
        Tensor x = new Rng(3).normal(backend, 0, 1, 2, 5, dim);
        int[] targets = {0, 1, 2, 3, 4, 5, 6, 7, 0, 1};
        double[] losses = new double[3];
        List<float[]> gradients = new ArrayList<>();
        for (int step = 0; step < 3; step++) {
            Tensor h = x;
            for (UnaryOperator<Tensor> block : blocks) {
                h = checkpoint ? F.checkpoint(block, h) : block.apply(h);
            }
            Tensor loss = F.crossEntropy(h.reshape(10, dim), targets, -100);
            losses[step] = loss.item();
            loss.backward();
            for (Tensor parameter : parameters) {
                gradients.add(parameter.grad().toFloatArray());
                parameter.zeroGrad();
            }
        }
        return new Run(losses, gradients, dropout.nextDouble());
    }

    /** A block that reads a recorded tensor from outside it is refused in the backward pass, with the fix in the message. */
    @Test
    void aRecordedTensorFromOutsideTheBlockIsRefused() {
        Tensor w = Tensor.of(backend, new float[] {1, 2, 3}, 3).requiresGrad(true);
        Tensor outside = w.mul(2.0);
        Tensor x = Tensor.of(backend, new float[] {1, 1, 1}, 3);
        Tensor y = F.checkpoint(in -> in.mul(outside), x);
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> y.sum().backward());
        assertTrue(thrown.getMessage().contains("pass it to the block as its input"), thrown.getMessage());
    }

    /** Nothing in the block needing a gradient, the output needs none (and backward() says so as for any such tensor). */
    @Test
    void aBlockOfNothingTrainableRecordsNothing() {
        Tensor w = Tensor.of(backend, new float[] {1, 2, 3}, 3);
        Tensor y = F.checkpoint(in -> in.mul(w), Tensor.of(backend, new float[] {4, 5, 6}, 3));
        assertFalse(y.requiresGrad());
        assertArrayEquals(new float[] {4, 10, 18}, y.toFloatArray());
    }

    /** Gradients reach a parameter the block reads even when its input needs none (a first layer after a frozen embedding). */
    @Test
    void parametersGetGradientsWhenTheInputNeedsNone() {
        Tensor w = Tensor.of(backend, new float[] {1, 2, 3}, 3).requiresGrad(true);
        Tensor x = Tensor.of(backend, new float[] {4, 5, 6}, 3);
        F.checkpoint(in -> in.mul(w), x).sum().backward();
        assertArrayEquals(new float[] {4, 5, 6}, w.grad().toFloatArray());
        assertNull(x.grad());
    }
}
