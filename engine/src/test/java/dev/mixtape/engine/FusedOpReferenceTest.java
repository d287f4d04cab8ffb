package dev.mixtape.engine;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static dev.mixtape.engine.GradCheck.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Forward results of the fused ops against straightforward double-precision loops. */
class FusedOpReferenceTest {
    private static final double TOL = 2e-5;

    static List<Precision> precisions() {
        return Precision.all();
    }

    @ParameterizedTest
    @MethodSource("precisions")
    void rmsNormMatchesDefinition(Precision p) {
        int rows = 3;
        int dim = 10;
        double[] x = random(1, -2, 2, rows, dim);
        double[] w = random(2, 0.5, 1.5, dim);
        double[] expected = new double[rows * dim];
        for (int r = 0; r < rows; r++) {
            double ss = 0;
            for (int i = 0; i < dim; i++) {
                ss += x[r * dim + i] * x[r * dim + i];
            }
            double inv = 1 / Math.sqrt(ss / dim + 1e-5);
            for (int i = 0; i < dim; i++) {
                expected[r * dim + i] = w[i] * x[r * dim + i] * inv;
            }
        }
        Tensor out = F.rmsNorm(p.tensor(x, rows, dim), p.tensor(w, dim), 1e-5);
        assertArrayEquals(expected, out.toDoubleArray(), TOL);
    }

    @ParameterizedTest
    @MethodSource("precisions")
    void ropeLayoutsAgreeUnderTheHfPermutation(Precision p) {
        int headDim = 8;
        int seq = 5;
        double[] meta = random(3, -1, 1, seq, headDim);
        double[] hf = new double[meta.length];
        for (int t = 0; t < seq; t++) {
            for (int k = 0; k < 2; k++) {
                for (int j = 0; j < headDim / 2; j++) {
                    hf[t * headDim + k * headDim / 2 + j] = meta[t * headDim + 2 * j + k];
                }
            }
        }
        Tensor rotatedMeta = F.rope(p.tensor(meta, seq, headDim),
                RopeTable.of(p.backend(), p.dtype(), headDim, 16, 10000, RopeLayout.INTERLEAVED), 2);
        Tensor rotatedHf = F.rope(p.tensor(hf, seq, headDim),
                RopeTable.of(p.backend(), p.dtype(), headDim, 16, 10000, RopeLayout.HALF), 2);
        double[] m = rotatedMeta.toDoubleArray();
        double[] h = rotatedHf.toDoubleArray();
        for (int t = 0; t < seq; t++) {
            for (int k = 0; k < 2; k++) {
                for (int j = 0; j < headDim / 2; j++) {
                    assertEquals(m[t * headDim + 2 * j + k], h[t * headDim + k * headDim / 2 + j], TOL);
                }
            }
            double angle = (2 + t) * Math.pow(10000, -2.0 * 1 / headDim);
            double x0 = meta[t * headDim + 2];
            double x1 = meta[t * headDim + 3];
            assertEquals(x0 * Math.cos(angle) - x1 * Math.sin(angle), m[t * headDim + 2], TOL);
            assertEquals(x0 * Math.sin(angle) + x1 * Math.cos(angle), m[t * headDim + 3], TOL);
        }
    }

    /** One row takes the decoding (few-row) products, 37 rows the blocked ones; both add the update into the base output. */
    @ParameterizedTest
    @MethodSource("precisions")
    void lowRankLinearMatchesDefinition(Precision p) {
        int in = 11;
        int out = 19;
        int rank = 3;
        double scale = 0.625;
        double[] w = random(7, -1, 1, out, in);
        double[] down = random(8, -1, 1, rank, in);
        double[] up = random(9, -1, 1, out, rank);
        for (int rows : new int[] {1, 37}) {
            double[] x = random(10, -1, 1, rows, in);
            double[] u = random(11, -1, 1, rows, in);
            double[] expected = new double[rows * out];
            for (int r = 0; r < rows; r++) {
                double[] hidden = new double[rank];
                for (int j = 0; j < rank; j++) {
                    for (int i = 0; i < in; i++) {
                        hidden[j] += u[r * in + i] * down[j * in + i];
                    }
                }
                for (int o = 0; o < out; o++) {
                    double acc = 0;
                    for (int i = 0; i < in; i++) {
                        acc += x[r * in + i] * w[o * in + i];
                    }
                    for (int j = 0; j < rank; j++) {
                        acc += scale * hidden[j] * up[o * rank + j];
                    }
                    expected[r * out + o] = acc;
                }
            }
            Tensor y = F.lowRankLinear(p.tensor(x, rows, in), p.tensor(w, out, in), p.tensor(u, rows, in),
                    p.tensor(down, rank, in), p.tensor(up, out, rank), scale);
            assertArrayEquals(new int[] {rows, out}, y.shape());
            assertArrayEquals(expected, y.toDoubleArray(), TOL, rows + " rows");
        }
    }

    @ParameterizedTest
    @MethodSource("precisions")
    void lowRankLinearNamesShapesThatDoNotFit(Precision p) {
        Tensor x = p.tensor(random(12, -1, 1, 2, 4), 2, 4);
        Tensor w = p.tensor(random(13, -1, 1, 5, 4), 5, 4);
        Tensor down = p.tensor(random(14, -1, 1, 2, 4), 2, 4);
        Tensor wrongUp = p.tensor(random(15, -1, 1, 5, 3), 5, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> F.lowRankLinear(x, w, x, down, wrongUp, 1));
        assertEquals("lowRankLinear: shapes do not fit x [..., in], weight [out, in], down [r, in], up [out, r]: x [2, 4], "
                + "weight [5, 4], update input [2, 4], down [2, 4], up [5, 3]", e.getMessage());
    }

    @ParameterizedTest
    @MethodSource("precisions")
    void attentionMatchesNaiveGroupedQueryLoops(Precision p) {
        checkAttentionAgainstLoops(p, 1, 2);
        checkAttentionAgainstLoops(p, 3, 2);
        checkAttentionAgainstLoops(p, CausalBlock.ROWS + 7, 0);
    }

    /** Causal GQA attention of {@code seq} queries from position {@code offset}, as the backend computes it. */
    private static void checkAttentionAgainstLoops(Precision p, int seq, int offset) {
        int batch = 2;
        int heads = 4;
        int kvHeads = 2;
        int keys = offset + seq;
        int d = 4;
        double[] q = random(4, -1, 1, batch, heads, seq, d);
        double[] k = random(5, -1, 1, batch, kvHeads, keys, d);
        double[] v = random(6, -1, 1, batch, kvHeads, keys, d);
        double[] expected = new double[q.length];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                int kv = h / (heads / kvHeads);
                for (int t = 0; t < seq; t++) {
                    int visible = offset + t + 1;
                    double[] scores = new double[visible];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int s = 0; s < visible; s++) {
                        double dot = 0;
                        for (int i = 0; i < d; i++) {
                            dot += q[((b * heads + h) * seq + t) * d + i] * k[((b * kvHeads + kv) * keys + s) * d + i];
                        }
                        scores[s] = dot / Math.sqrt(d);
                        max = Math.max(max, scores[s]);
                    }
                    double sum = 0;
                    for (int s = 0; s < visible; s++) {
                        scores[s] = Math.exp(scores[s] - max);
                        sum += scores[s];
                    }
                    for (int i = 0; i < d; i++) {
                        double acc = 0;
                        for (int s = 0; s < visible; s++) {
                            acc += scores[s] / sum * v[((b * kvHeads + kv) * keys + s) * d + i];
                        }
                        expected[((b * heads + h) * seq + t) * d + i] = acc;
                    }
                }
            }
        }
        Tensor out = F.causalAttention(p.tensor(q, batch, heads, seq, d), p.tensor(k, batch, kvHeads, keys, d),
                p.tensor(v, batch, kvHeads, keys, d), offset);
        assertArrayEquals(expected, out.toDoubleArray(), TOL, seq + " queries from position " + offset);
    }

    /**
     * The default's composition in blocks of a few rows (every product over several causal blocks)
     * against the backend's own attention (the Vector backend's fused one, which keeps no
     * probabilities and computes them again for the backward, or the default in one block), forward
     * and backward, with and without a cache offset.
     */
    @ParameterizedTest
    @MethodSource("precisions")
    void blockwiseAttentionInSmallBlocksMatchesTheBackend(Precision p) {
        for (int offset : new int[] {0, 3}) {
            for (int blockRows : new int[] {2, 3}) {
                Tensor[] inBlocks = attentionHalves(p, offset, blockRows);
                Tensor[] backends = attentionHalves(p, offset, 0);
                String[] names = {"out", "dQ", "dK", "dV"};
                for (int i = 0; i < names.length; i++) {
                    assertArrayEquals(backends[i].toDoubleArray(), inBlocks[i].toDoubleArray(), TOL,
                            names[i] + " in blocks of " + blockRows + " rows from position " + offset);
                }
            }
        }
    }

    /** Both halves of attention on fixed random operands, block by block of {@code blockRows} rows, or by the backend for 0. */
    private static Tensor[] attentionHalves(Precision p, int offset, int blockRows) {
        int matrices = 2;
        int rows = 2 * 7;
        int keys = offset + 7;
        int d = 5;
        Tensor q = p.tensor(random(31, -1, 1, 1, matrices, rows, d), 1, matrices, rows, d);
        Tensor k = p.tensor(random(32, -1, 1, 1, matrices, keys, d), 1, matrices, keys, d);
        Tensor v = p.tensor(random(33, -1, 1, 1, matrices, keys, d), 1, matrices, keys, d);
        Tensor dOut = p.tensor(random(34, -1, 1, 1, matrices, rows, d), 1, matrices, rows, d);
        Tensor probabilities = Tensor.zeros(p.backend(), p.dtype(), 1, matrices, rows, keys);
        Tensor out = Tensor.zeros(p.backend(), p.dtype(), 1, matrices, rows, d);
        Tensor dQ = Tensor.zeros(p.backend(), p.dtype(), 1, matrices, rows, d);
        Tensor dK = Tensor.zeros(p.backend(), p.dtype(), 1, matrices, keys, d);
        Tensor dV = Tensor.zeros(p.backend(), p.dtype(), 1, matrices, keys, d);
        if (blockRows == 0) {
            Tensor kept = AttentionOp.forward(p.backend(), q, k, v, 7, offset, out);
            AttentionOp.backward(p.backend(), q, k, v, kept, dOut, 7, offset, dQ, dK, dV);
        } else {
            BlockwiseAttention.forward(q, k, v, 7, offset, probabilities, out, blockRows);
            BlockwiseAttention.backward(q, k, v, probabilities, dOut, 7, offset, dQ, dK, dV, blockRows);
        }
        return new Tensor[] {out, dQ, dK, dV};
    }

    @ParameterizedTest
    @MethodSource("precisions")
    void crossEntropyIsStableAndIgnoresPadding(Precision p) {
        double[] logits = {1000, 999, 998, -5, 0, 5, 3, 3, 3};
        int[] targets = {1, -100, 2};
        Tensor loss = F.crossEntropy(p.tensor(logits, 3, 3), targets, -100);
        double lse0 = 1000 + Math.log(1 + Math.exp(-1) + Math.exp(-2));
        double expected = ((lse0 - 999) + (3 + Math.log(3) - 3)) / 2;
        assertEquals(expected, loss.item(), 1e-4);
        Tensor none = F.crossEntropy(p.tensor(logits, 3, 3), new int[] {-100, -100, -100}, -100);
        assertEquals(0, none.item());
        assertThrows(IllegalArgumentException.class, () -> F.crossEntropy(p.tensor(logits, 3, 3), new int[] {0, 3, 1}, -100));
    }

    @ParameterizedTest
    @MethodSource("precisions")
    void linearCrossEntropyAgreesWithTheUnfusedHeadAndLoss(Precision p) {
        int rows = 9;
        int dim = 5;
        int vocab = 13;
        double[] x = random(21, -2, 2, rows, dim);
        double[] w = random(22, -2, 2, vocab, dim);
        int[] targets = {3, -100, 0, 12, 7, 7, -100, 1, 12};
        Tensor xUnfused = p.tensor(x, rows, dim).requiresGrad(true);
        Tensor wUnfused = p.tensor(w, vocab, dim).requiresGrad(true);
        Tensor unfused = F.crossEntropy(F.linear(xUnfused, wUnfused, null), targets, -100);
        unfused.mul(0.7).backward();
        Tensor xFused = p.tensor(x, rows, dim).requiresGrad(true);
        Tensor wFused = p.tensor(w, vocab, dim).requiresGrad(true);
        Tensor fused = F.linearCrossEntropy(xFused, wFused, targets, -100);
        fused.mul(0.7).backward();
        assertEquals(unfused.item(), fused.item(), TOL);
        assertArrayEquals(xUnfused.grad().toDoubleArray(), xFused.grad().toDoubleArray(), TOL);
        assertArrayEquals(wUnfused.grad().toDoubleArray(), wFused.grad().toDoubleArray(), TOL);

        Tensor frozen = p.tensor(w, vocab, dim);
        Tensor input = p.tensor(x, rows, dim).requiresGrad(true);
        F.linearCrossEntropy(input, frozen, targets, -100).backward();
        assertNull(frozen.grad(), "a frozen head gets no gradient");
        assertArrayEquals(xUnfused.grad().toDoubleArray(), input.grad().mul(0.7).toDoubleArray(), TOL);
        assertThrows(IllegalArgumentException.class, () -> F.linearCrossEntropy(p.tensor(x, rows, dim), frozen, new int[] {1}, -100));
        assertThrows(IllegalArgumentException.class, () -> F.linearCrossEntropy(p.tensor(x, rows, dim), p.tensor(w, dim, vocab), targets, -100));
    }

    @ParameterizedTest
    @MethodSource("precisions")
    void linearCrossEntropyInBlocksOfRowsMatchesOneBlock(Precision p) {
        int rows = 11;
        int dim = 6;
        int vocab = 7;
        double[] x = random(23, -2, 2, rows, dim);
        double[] w = random(24, -2, 2, vocab, dim);
        double[] dwBefore = random(25, -1, 1, vocab, dim);
        int[] targets = {0, 6, -100, 2, 2, 5, 1, -100, 4, 3, 6};
        Tensor[] whole = blockedLinearCrossEntropy(p, x, w, dwBefore, targets, rows * vocab);
        for (int blockRows : new int[] {1, 3, 4}) {
            Tensor[] blocked = blockedLinearCrossEntropy(p, x, w, dwBefore, targets, blockRows * vocab + 2);
            for (int i = 0; i < whole.length; i++) {
                assertArrayEquals(whole[i].toDoubleArray(), blocked[i].toDoubleArray(), TOL, "blocks of " + blockRows + " rows, result " + i);
            }
        }
    }

    private static Tensor[] blockedLinearCrossEntropy(Precision p, double[] x, double[] w, double[] dwBefore, int[] targets,
                                                      int blockElements) {
        int rows = targets.length;
        int vocab = w.length / (x.length / rows);
        int dim = x.length / rows;
        Tensor losses = Tensor.zeros(p.backend(), p.dtype(), rows);
        Tensor dx = Tensor.zeros(p.backend(), p.dtype(), rows, dim);
        Tensor dw = p.tensor(dwBefore, vocab, dim);
        BlockedLinearCrossEntropy.run(p.backend(), p.tensor(x, rows, dim), p.tensor(w, vocab, dim), targets, -100, 0.3,
                losses, dx, dw, blockElements);
        return new Tensor[] {losses, dx, dw};
    }

    @ParameterizedTest
    @MethodSource("precisions")
    void causalSoftmaxZeroesTheFuture(Precision p) {
        double[] x = random(8, -1, 1, 3, 3);
        double[] y = SoftmaxOp.apply(p.tensor(x, 3, 3), 3, 0).toDoubleArray();
        assertEquals(1, y[0], TOL);
        assertEquals(0, y[1]);
        assertEquals(0, y[2]);
        assertEquals(Math.exp(x[3]) / (Math.exp(x[3]) + Math.exp(x[4])), y[3], TOL);
        assertEquals(0, y[5]);
        assertEquals(1, y[6] + y[7] + y[8], TOL);
    }

    @ParameterizedTest
    @MethodSource("precisions")
    void swigluAndEmbedding(Precision p) {
        double[] g = random(9, -3, 3, 7);
        double[] u = random(10, -3, 3, 7);
        double[] out = F.swiglu(p.tensor(g, 7), p.tensor(u, 7)).toDoubleArray();
        for (int i = 0; i < 7; i++) {
            assertEquals(g[i] / (1 + Math.exp(-g[i])) * u[i], out[i], TOL);
        }
        double[] table = random(11, -1, 1, 4, 3);
        double[] rows = F.embedding(p.tensor(table, 4, 3), new int[] {3, 0}).toDoubleArray();
        assertArrayEquals(new double[] {table[9], table[10], table[11], table[0], table[1], table[2]}, rows, 1e-7);
        assertThrows(IllegalArgumentException.class, () -> F.embedding(p.tensor(table, 4, 3), new int[] {4}));
    }
}
