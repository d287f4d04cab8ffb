package dev.mixtape.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * The products the matmul table measures: square sizes, and the Linear layers of two small Llamas at
 * 2048 tokens in all three training forms.
 */
final class MatmulGrid {
    /** Tokens per step: the T of every Linear product. */
    static final int TOKENS = 2048;

    /**
     * The scalar triple loop runs only up to this many flops per product: at 0.3–1 GFLOP/s one product
     * then takes up to about a second, and the grid still fits its time budget.
     */
    static final double SCALAR_MAX_FLOPS = 4.0e8;

    private static final MatmulForm[] LINEAR_FORMS = {MatmulForm.FORWARD, MatmulForm.INPUT_GRAD, MatmulForm.WEIGHT_GRAD};

    private MatmulGrid() {
    }

    /**
     * Square 256–2048; stories15M (dim 288, hidden 768): 288→288, 288→768, 768→288; SmolLM2-135M (dim
     * 576, hidden 1536, kv dim 192): 576→576, 576→192, 576→1536, 1536→576.
     */
    static List<MatmulCase> full() {
        List<MatmulCase> cases = new ArrayList<>();
        for (int size : new int[] {256, 512, 1024, 2048}) {
            cases.add(MatmulCase.square(size));
        }
        addLinear(cases, "stories15M", new int[][] {{288, 288}, {288, 768}, {768, 288}});
        addLinear(cases, "SmolLM2-135M", new int[][] {{576, 576}, {576, 192}, {576, 1536}, {1536, 576}});
        return cases;
    }

    /** A few minutes' subset: square 512 and 1024, and one layer of each model. */
    static List<MatmulCase> quick() {
        List<MatmulCase> cases = new ArrayList<>();
        cases.add(MatmulCase.square(512));
        cases.add(MatmulCase.square(1024));
        addLinear(cases, "stories15M", new int[][] {{288, 768}});
        addLinear(cases, "SmolLM2-135M", new int[][] {{576, 1536}});
        return cases;
    }

    /** Whether the scalar triple loop is measured for {@code c} (small products only). */
    static boolean scalarFeasible(MatmulCase c) {
        return c.flops() <= SCALAR_MAX_FLOPS;
    }

    private static void addLinear(List<MatmulCase> cases, String model, int[][] layers) {
        for (int[] layer : layers) {
            for (MatmulForm form : LINEAR_FORMS) {
                cases.add(MatmulCase.linear(model, layer[0], layer[1], TOKENS, form));
            }
        }
    }
}
