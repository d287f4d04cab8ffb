package dev.mixtape.engine;

import dev.mixtape.engine.nn.Embedding;
import dev.mixtape.engine.nn.Linear;
import dev.mixtape.engine.nn.Module;
import dev.mixtape.engine.nn.RMSNorm;
import dev.mixtape.engine.optim.AdamW;
import dev.mixtape.engine.optim.GradClip;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End-to-end training on every backend: a tiny MLP classifier and a tiny causal-attention language
 * model learn, and two runs from the same seed give identical losses (determinism).
 */
class TrainingTest {

    static List<Backend> backends() {
        List<Backend> list = new ArrayList<>();
        list.add(Precision.vectorF32().backend());
        Nd4jSupport.backend().ifPresent(list::add);
        return list;
    }

    /** Two-layer MLP: classify 2-D points by the quadrant they fall in. */
    private static final class Mlp extends Module {
        final Linear hidden;
        final Linear out;

        Mlp(Backend backend, Rng rng) {
            hidden = registerModule("hidden", new Linear(backend, 2, 16, true, rng));
            out = registerModule("out", new Linear(backend, 16, 4, true, rng));
        }

        Tensor forward(Tensor x) {
            return out.forward(F.silu(hidden.forward(x)));
        }
    }

    private static double[] trainMlp(Backend backend, long seed) {
        Rng rng = new Rng(seed);
        Mlp mlp = new Mlp(backend, rng);
        int n = 64;
        float[] points = rng.uniform(2 * n, -1, 1);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = (points[2 * i] > 0 ? 1 : 0) + (points[2 * i + 1] > 0 ? 2 : 0);
        }
        Tensor x = Tensor.of(backend, points, n, 2);
        AdamW optimizer = new AdamW(mlp.trainableParameters(), 0.05, 0.0);
        double[] losses = new double[60];
        for (int step = 0; step < losses.length; step++) {
            optimizer.zeroGrad();
            Tensor loss = F.crossEntropy(mlp.forward(x), labels, -100);
            loss.backward();
            optimizer.step();
            losses[step] = loss.item();
        }
        return losses;
    }

    /** One causal self-attention block with RoPE, GQA and an MLP, predicting the next token. */
    private static final class AttentionLm extends Module {
        final int dim = 16;
        final int heads = 4;
        final int kvHeads = 2;
        final int headDim = 4;
        final Embedding embed;
        final RMSNorm norm;
        final Linear q;
        final Linear k;
        final Linear v;
        final Linear o;
        final Linear gate;
        final Linear up;
        final Linear down;
        final Linear head;
        final RopeTable rope;

        AttentionLm(Backend backend, Rng rng, int vocab) {
            embed = registerModule("embed", new Embedding(backend, vocab, dim, rng));
            norm = registerModule("norm", new RMSNorm(backend, dim, 1e-5));
            q = registerModule("q", new Linear(backend, dim, heads * headDim, false, rng));
            k = registerModule("k", new Linear(backend, dim, kvHeads * headDim, false, rng));
            v = registerModule("v", new Linear(backend, dim, kvHeads * headDim, false, rng));
            o = registerModule("o", new Linear(backend, heads * headDim, dim, false, rng));
            gate = registerModule("gate", new Linear(backend, dim, 32, false, rng));
            up = registerModule("up", new Linear(backend, dim, 32, false, rng));
            down = registerModule("down", new Linear(backend, 32, dim, false, rng));
            head = registerModule("head", new Linear(backend, dim, vocab, false, rng));
            rope = RopeTable.of(backend, DType.F32, headDim, 32, 10000, RopeLayout.HALF);
        }

        Tensor forward(int[] ids, int batch, int seq) {
            Tensor x = embed.forward(ids).reshape(batch, seq, dim);
            Tensor n = norm.forward(x);
            Tensor qh = F.rope(q.forward(n).reshape(batch, seq, heads, headDim).transpose(1, 2), rope, 0);
            Tensor kh = F.rope(k.forward(n).reshape(batch, seq, kvHeads, headDim).transpose(1, 2), rope, 0);
            Tensor vh = v.forward(n).reshape(batch, seq, kvHeads, headDim).transpose(1, 2).contiguous();
            Tensor attn = F.causalAttention(qh, kh, vh, 0).transpose(1, 2).reshape(batch, seq, heads * headDim);
            Tensor h = x.add(o.forward(attn));
            h = h.add(down.forward(F.swiglu(gate.forward(h), up.forward(h))));
            return head.forward(h);
        }
    }

    private static double[] trainAttention(Backend backend, long seed) {
        Rng rng = new Rng(seed);
        int vocab = 11;
        AttentionLm lm = new AttentionLm(backend, rng, vocab);
        int batch = 4;
        int seq = 12;
        int[] ids = new int[batch * seq];
        int[] targets = new int[batch * seq];
        for (int b = 0; b < batch; b++) {
            int start = rng.nextInt(vocab);
            for (int t = 0; t < seq; t++) {
                ids[b * seq + t] = (start + 3 * t) % vocab;
                targets[b * seq + t] = t == seq - 1 ? -100 : (start + 3 * (t + 1)) % vocab;
            }
        }
        AdamW optimizer = new AdamW(lm.trainableParameters(), 0.02, 0.01);
        double[] losses = new double[60];
        for (int step = 0; step < losses.length; step++) {
            optimizer.zeroGrad();
            Tensor loss = F.crossEntropy(lm.forward(ids, batch, seq), targets, -100);
            loss.backward();
            GradClip.clipGlobalNorm(lm.trainableParameters(), 1.0);
            optimizer.step();
            losses[step] = loss.item();
        }
        return losses;
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("backends")
    void mlpLearnsAndIsDeterministic(Backend backend) {
        double[] first = trainMlp(backend, 5);
        double[] second = trainMlp(backend, 5);
        assertTrue(first[first.length - 1] < 0.3 * first[0], "loss " + first[0] + " -> " + first[first.length - 1]);
        for (int i = 0; i < first.length; i++) {
            assertEquals(first[i], second[i], 0.0, "step " + i);
        }
    }

    @ParameterizedTest(autoCloseArguments = false)
    @MethodSource("backends")
    void causalAttentionBlockLearnsAndIsDeterministic(Backend backend) {
        double[] first = trainAttention(backend, 9);
        double[] second = trainAttention(backend, 9);
        assertTrue(first[first.length - 1] < 0.2 * first[0], "loss " + first[0] + " -> " + first[first.length - 1]);
        for (int i = 0; i < first.length; i++) {
            assertEquals(first[i], second[i], 0.0, "step " + i);
        }
    }
}
