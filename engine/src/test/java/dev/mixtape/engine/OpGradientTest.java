package dev.mixtape.engine;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.function.Function;

import static dev.mixtape.engine.GradCheck.random;

/**
 * A finite-difference gradient check for every differentiable op, on every available precision
 * (vector f32 always; nd4j f64 when ND4J is present, which is the tight, double-precision check).
 */
class OpGradientTest {

    static List<Precision> precisions() {
        return Precision.all();
    }

    private static void check(String label, Precision p, Function<List<Tensor>, Tensor> f, int[]... shapes) {
        double[][] inputs = new double[shapes.length][];
        for (int i = 0; i < shapes.length; i++) {
            inputs[i] = random(100 + i, -1, 1, shapes[i]);
        }
        GradCheck.check(label, p, f, inputs, shapes);
    }

    private static void checkPositive(String label, Precision p, Function<List<Tensor>, Tensor> f, int[]... shapes) {
        double[][] inputs = new double[shapes.length][];
        for (int i = 0; i < shapes.length; i++) {
            inputs[i] = random(200 + i, 0.5, 2, shapes[i]);
        }
        GradCheck.check(label, p, f, inputs, shapes);
    }

    @ParameterizedTest
    @MethodSource("precisions")
    void broadcastingArithmetic(Precision p) {
        check("add", p, t -> t.get(0).add(t.get(1)), new int[] {3, 4}, new int[] {4});
        check("sub", p, t -> t.get(0).sub(t.get(1)), new int[] {2, 1, 3}, new int[] {4, 1});
        check("mul", p, t -> t.get(0).mul(t.get(1)), new int[] {2, 3, 4}, new int[] {3, 1});
        checkPositive("div", p, t -> t.get(0).div(t.get(1)), new int[] {3, 4}, new int[] {3, 4});
        check("mul self", p, t -> t.get(0).mul(t.get(0)), new int[] {5});
    }

    @ParameterizedTest
    @MethodSource("precisions")
    void scalarAndUnary(Precision p) {
        check("add scalar", p, t -> t.get(0).add(1.5), new int[] {6});
        check("mul scalar", p, t -> t.get(0).mul(-2.5), new int[] {6});
        check("neg", p, t -> t.get(0).neg(), new int[] {6});
        check("exp", p, t -> t.get(0).exp(), new int[] {6});
        checkPositive("log", p, t -> t.get(0).log(), new int[] {6});
        checkPositive("sqrt", p, t -> t.get(0).sqrt(), new int[] {6});
        checkPositive("rsqrt", p, t -> t.get(0).rsqrt(), new int[] {6});
        checkPositive("pow", p, t -> t.get(0).pow(2.5), new int[] {6});
        check("silu", p, t -> F.silu(t.get(0)), new int[] {13});
    }

    @ParameterizedTest
    @MethodSource("precisions")
    void reductions(Precision p) {
        check("sum all", p, t -> t.get(0).sum(), new int[] {3, 4});
        check("sum axis 0", p, t -> t.get(0).sum(false, 0), new int[] {3, 4});
        check("sum last keep", p, t -> t.get(0).sum(true, -1), new int[] {2, 3, 4});
        check("sum middle", p, t -> t.get(0).sum(false, 1), new int[] {2, 3, 4});
        check("mean axes", p, t -> t.get(0).mean(false, 0, 2), new int[] {2, 3, 4});
        check("mean all", p, t -> t.get(0).mean(), new int[] {5, 2});
    }

    @ParameterizedTest
    @MethodSource("precisions")
    void matmulForms(Precision p) {
        check("matmul", p, t -> t.get(0).matmul(t.get(1)), new int[] {3, 5}, new int[] {5, 4});
        check("matmul x·Wᵀ", p, t -> t.get(0).matmul(t.get(1).transpose(0, 1)), new int[] {3, 5}, new int[] {4, 5});
        check("matmul Aᵀ·B", p, t -> t.get(0).transpose(0, 1).matmul(t.get(1)), new int[] {5, 3}, new int[] {5, 4});
        check("matmul Aᵀ·Bᵀ", p, t -> t.get(0).transpose(0, 1).matmul(t.get(1).transpose(0, 1)), new int[] {5, 3}, new int[] {4, 5});
        check("batched matmul", p, t -> t.get(0).matmul(t.get(1)), new int[] {2, 3, 3, 5}, new int[] {2, 3, 5, 2});
        check("batched with shared B", p, t -> t.get(0).matmul(t.get(1)), new int[] {2, 3, 5}, new int[] {5, 4});
        check("batched with shared Bᵀ", p, t -> t.get(0).matmul(t.get(1).transpose(0, 1)), new int[] {2, 3, 5}, new int[] {4, 5});
        check("batched Aᵀ·Bᵀ", p, t -> t.get(0).transpose(1, 2).matmul(t.get(1).transpose(1, 2)), new int[] {2, 5, 3}, new int[] {2, 4, 5});
        check("slice of a stack (KV cache)", p, t -> t.get(0).matmul(t.get(1).slice(2, 0, 3).transpose(2, 3)),
                new int[] {1, 2, 2, 4}, new int[] {1, 2, 5, 4});
        check("slice of a stack times it", p, t -> t.get(0).matmul(t.get(1).slice(2, 1, 4)),
                new int[] {2, 2, 2, 3}, new int[] {2, 2, 5, 4});
        check("linear with bias", p, t -> F.linear(t.get(0), t.get(1), t.get(2)), new int[] {2, 3, 5}, new int[] {4, 5}, new int[] {4});
    }

    @ParameterizedTest
    @MethodSource("precisions")
    void shapeOps(Precision p) {
        check("reshape", p, t -> t.get(0).reshape(4, -1).mul(t.get(1)), new int[] {2, 6}, new int[] {4, 3});
        check("transpose", p, t -> t.get(0).transpose(0, 2).mul(t.get(1)), new int[] {2, 3, 4}, new int[] {4, 3, 2});
        check("permute then reshape", p, t -> t.get(0).permute(2, 0, 1).reshape(4, 6).mul(t.get(1)), new int[] {2, 3, 4}, new int[] {4, 6});
        check("slice", p, t -> t.get(0).slice(1, 1, 3).mul(t.get(1)), new int[] {3, 4}, new int[] {3, 2});
        check("expand", p, t -> t.get(0).expand(3, 4).mul(t.get(1)), new int[] {1, 4}, new int[] {3, 4});
        check("concat", p, t -> F.concat(List.of(t.get(0), t.get(1)), 1).mul(t.get(2)), new int[] {2, 3}, new int[] {2, 2}, new int[] {2, 5});
        check("split", p, t -> {
            List<Tensor> parts = F.split(t.get(0), 0, 1, 2);
            return parts.get(0).mul(2).sum().add(parts.get(1).mul(parts.get(1)).sum());
        }, new int[] {3, 2});
        check("contiguous", p, t -> t.get(0).transpose(0, 1).contiguous().mul(t.get(1)), new int[] {3, 2}, new int[] {2, 3});
    }

    @ParameterizedTest
    @MethodSource("precisions")
    void fusedOps(Precision p) {
        check("rmsNorm", p, t -> F.rmsNorm(t.get(0), t.get(1), 1e-5), new int[] {3, 8}, new int[] {8});
        Tensor frozenWeight = p.tensor(random(300, 0.5, 1.5, 8), 8);
        check("rmsNorm, frozen weight", p, t -> F.rmsNorm(t.get(0), frozenWeight, 1e-5), new int[] {3, 8});
        check("swiglu, two vectors and a tail", p, t -> F.swiglu(t.get(0), t.get(1)), new int[] {2, 11}, new int[] {2, 11});
        check("swiglu", p, t -> F.swiglu(t.get(0), t.get(1)), new int[] {3, 7}, new int[] {3, 7});
        check("softmax", p, t -> F.softmax(t.get(0)), new int[] {3, 6});
        check("embedding", p, t -> F.embedding(t.get(0), new int[] {2, 0, 2, 4}), new int[] {5, 3});
        check("crossEntropy", p, t -> F.crossEntropy(t.get(0), new int[] {1, -100, 4, 0}, -100), new int[] {4, 6});
        check("linearCrossEntropy", p, t -> F.linearCrossEntropy(t.get(0), t.get(1), new int[] {1, -100, 4, 0, 5}, -100),
                new int[] {5, 3}, new int[] {6, 3});
        check("linearCrossEntropy scaled, 3-D input", p, t -> F.linearCrossEntropy(t.get(0), t.get(1), new int[] {2, 0, 2, -100}, -100).mul(-1.5),
                new int[] {2, 2, 4}, new int[] {3, 4});
        check("dropout", p, t -> F.dropout(t.get(0), 0.3, new Rng(11)), new int[] {4, 5});
    }

    @ParameterizedTest
    @MethodSource("precisions")
    void lowRankLinear(Precision p) {
        check("lowRankLinear, one input", p, t -> F.lowRankLinear(t.get(0), t.get(1), t.get(0), t.get(2), t.get(3), 1.5),
                new int[] {5, 6}, new int[] {7, 6}, new int[] {2, 6}, new int[] {7, 2});
        check("lowRankLinear, 3-D, dropout's input", p, t -> F.lowRankLinear(t.get(0), t.get(1), t.get(2), t.get(3), t.get(4), -0.75),
                new int[] {2, 3, 6}, new int[] {4, 6}, new int[] {2, 3, 6}, new int[] {3, 6}, new int[] {4, 3});
        check("lowRankLinear, mixer and input reused", p, t -> {
            Tensor down = t.get(2).matmul(t.get(1));
            Tensor y = F.lowRankLinear(t.get(0), t.get(3), t.get(0), down, t.get(4), 2.0);
            return y.add(t.get(0).sum(true, -1));
        }, new int[] {4, 5}, new int[] {3, 5}, new int[] {3, 3}, new int[] {6, 5}, new int[] {6, 3});
        Tensor frozenWeight = p.tensor(random(301, -1, 1, 7, 6), 7, 6);
        check("lowRankLinear, frozen weight", p, t -> F.lowRankLinear(t.get(0), frozenWeight, t.get(0), t.get(1), t.get(2), 0.5),
                new int[] {37, 6}, new int[] {4, 6}, new int[] {7, 4});
        Tensor frozenInput = p.tensor(random(302, -1, 1, 3, 6), 3, 6);
        check("lowRankLinear, input without gradient", p, t -> F.lowRankLinear(frozenInput, frozenWeight, frozenInput, t.get(0), t.get(1), 0.5),
                new int[] {2, 6}, new int[] {7, 2});
    }

    @ParameterizedTest
    @MethodSource("precisions")
    void rope(Precision p) {
        for (RopeLayout layout : RopeLayout.values()) {
            RopeTable table = RopeTable.of(p.backend(), p.dtype(), 8, 16, 10000, layout);
            check("rope " + layout, p, t -> F.rope(t.get(0), table, 3), new int[] {2, 2, 5, 8});
        }
    }

    @ParameterizedTest
    @MethodSource("precisions")
    void causalAttention(Precision p) {
        check("attention MHA", p, t -> F.causalAttention(t.get(0), t.get(1), t.get(2), 0),
                new int[] {1, 2, 4, 4}, new int[] {1, 2, 4, 4}, new int[] {1, 2, 4, 4});
        check("attention GQA with cache offset", p, t -> F.causalAttention(t.get(0), t.get(1), t.get(2), 2),
                new int[] {2, 4, 3, 4}, new int[] {2, 2, 5, 4}, new int[] {2, 2, 5, 4});
        check("attention MHA, a partial tile of rows", p, t -> F.causalAttention(t.get(0), t.get(1), t.get(2), 0),
                new int[] {1, 2, 5, 3}, new int[] {1, 2, 5, 3}, new int[] {1, 2, 5, 3});
        check("attention GQA with cache offset, a partial tile of rows", p, t -> F.causalAttention(t.get(0), t.get(1), t.get(2), 1),
                new int[] {1, 4, 5, 3}, new int[] {1, 2, 6, 3}, new int[] {1, 2, 6, 3});
    }
}
