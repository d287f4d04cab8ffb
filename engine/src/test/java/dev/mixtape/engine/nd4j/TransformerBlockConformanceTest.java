package dev.mixtape.engine.nd4j;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.F;
import dev.mixtape.engine.RopeLayout;
import dev.mixtape.engine.RopeTable;
import dev.mixtape.engine.Shapes;
import dev.mixtape.engine.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A whole pre-norm transformer block with grouped-query attention, trained one backward pass through
 * the tape on both backends: the loss and every parameter's gradient must agree. This exercises
 * the primitives the way the engine's ops call them (views, transposed matmul operands, causal
 * softmax over stacked query groups).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TransformerBlockConformanceTest {
    private static final int BATCH = 2;
    private static final int SEQ = 5;
    private static final int DIM = 8;
    private static final int HEADS = 2;
    private static final int KV_HEADS = 1;
    private static final int HEAD_DIM = 4;
    private static final int HIDDEN = 12;
    private static final int VOCAB = 11;

    private final Conformance conformance = new Conformance();

    @AfterAll
    void close() {
        conformance.close();
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F64"})
    void lossAndGradientsAgree(DType dtype) {
        SplittableRandom random = new SplittableRandom(41);
        int[][] shapes = {
                {VOCAB, DIM}, {DIM}, {HEADS * HEAD_DIM, DIM}, {KV_HEADS * HEAD_DIM, DIM}, {KV_HEADS * HEAD_DIM, DIM},
                {DIM, HEADS * HEAD_DIM}, {DIM}, {HIDDEN, DIM}, {HIDDEN, DIM}, {DIM, HIDDEN}, {DIM}, {VOCAB, DIM}};
        List<double[]> data = new ArrayList<>();
        for (int[] shape : shapes) {
            data.add(Conformance.within(random, Shapes.numel(shape), -0.5, 0.5));
        }
        int[] ids = random.ints(BATCH * SEQ, 0, VOCAB).toArray();
        int[] targets = random.ints(BATCH * SEQ, 0, VOCAB).toArray();
        targets[3] = -100;
        conformance.check(dtype, "transformer block", (backend, type) -> {
            List<Tensor> p = new ArrayList<>();
            for (int i = 0; i < shapes.length; i++) {
                p.add(Tensor.of(backend, type, data.get(i), shapes[i]).requiresGrad(true));
            }
            Tensor loss = F.crossEntropy(block(backend, type, p, ids), targets, -100);
            loss.backward();
            List<Tensor> results = new ArrayList<>(List.of(loss));
            p.forEach(parameter -> results.add(parameter.grad()));
            return results.toArray(Tensor[]::new);
        });
    }

    private static Tensor block(Backend backend, DType dtype, List<Tensor> p, int[] ids) {
        RopeTable rope = RopeTable.of(backend, dtype, HEAD_DIM, 16, 10000, RopeLayout.HALF);
        Tensor x = F.embedding(p.get(0), ids).reshape(BATCH, SEQ, DIM);
        Tensor h = F.rmsNorm(x, p.get(1), 1e-5);
        Tensor q = F.rope(heads(F.linear(h, p.get(2), null), HEADS), rope, 0);
        Tensor k = F.rope(heads(F.linear(h, p.get(3), null), KV_HEADS), rope, 0);
        Tensor v = heads(F.linear(h, p.get(4), null), KV_HEADS);
        Tensor attended = F.causalAttention(q, k, v, 0).transpose(1, 2).reshape(BATCH, SEQ, HEADS * HEAD_DIM);
        x = x.add(F.linear(attended, p.get(5), null));
        h = F.rmsNorm(x, p.get(6), 1e-5);
        x = x.add(F.linear(F.swiglu(F.linear(h, p.get(7), null), F.linear(h, p.get(8), null)), p.get(9), null));
        return F.linear(F.rmsNorm(x, p.get(10), 1e-5), p.get(11), null);
    }

    /** {@code [B, T, n·d]} to {@code [B, n, T, d]}. */
    private static Tensor heads(Tensor x, int n) {
        return x.reshape(BATCH, SEQ, n, HEAD_DIM).transpose(1, 2);
    }
}
