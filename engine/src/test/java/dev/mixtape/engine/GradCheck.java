package dev.mixtape.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Finite-difference gradient checking. The function under test maps input tensors to an output of
 * any shape; the check reduces it to a scalar with fixed random weights (so every output element
 * matters), computes the gradient of every input with {@link Tensor#backward()}, and compares each
 * element with the central difference {@code (f(x + h) − f(x − h)) / 2h}.
 */
public final class GradCheck {
    private GradCheck() {
    }

    /**
     * Checks the gradients of {@code f} at {@code inputs} (row-major values with their shapes).
     *
     * @param label names the op in failure messages
     */
    public static void check(String label, Precision p, Function<List<Tensor>, Tensor> f, double[][] inputs, int[][] shapes) {
        Tensor probe = f.apply(leaves(p, inputs, shapes, false));
        double[] weights = weightsFor(probe.numel());

        List<Tensor> params = leaves(p, inputs, shapes, true);
        Tensor out = f.apply(params);
        weighted(p, out, weights).backward();

        for (int i = 0; i < inputs.length; i++) {
            Tensor grad = params.get(i).grad();
            if (grad == null) {
                fail(label + " [" + p + "]: input " + i + " received no gradient");
            }
            double[] analytic = grad.toDoubleArray();
            for (int j = 0; j < inputs[i].length; j++) {
                double numeric = (value(p, f, inputs, shapes, weights, i, j, p.step())
                        - value(p, f, inputs, shapes, weights, i, j, -p.step())) / (2 * p.step());
                double error = Math.abs(numeric - analytic[j]);
                if (error > p.absTol() + p.relTol() * Math.abs(numeric)) {
                    fail(label + " [" + p + "]: d/d input " + i + " " + Arrays.toString(shapes[i]) + " element " + j
                            + ": analytic " + analytic[j] + ", numeric " + numeric);
                }
            }
        }
    }

    private static double[] weightsFor(int n) {
        float[] w = new Rng(7).uniform(n, -1, 1);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = w[i];
        }
        return out;
    }

    private static Tensor weighted(Precision p, Tensor out, double[] weights) {
        return out.mul(p.tensor(weights, out.shape())).sum();
    }

    private static double value(Precision p, Function<List<Tensor>, Tensor> f, double[][] inputs, int[][] shapes,
                                double[] weights, int input, int element, double delta) {
        double[][] shifted = inputs.clone();
        shifted[input] = inputs[input].clone();
        shifted[input][element] += delta;
        try (var scope = Grad.off()) {
            return weighted(p, f.apply(leaves(p, shifted, shapes, false)), weights).item();
        }
    }

    private static List<Tensor> leaves(Precision p, double[][] values, int[][] shapes, boolean requireGrad) {
        List<Tensor> list = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            list.add(p.tensor(values[i], shapes[i]).requiresGrad(requireGrad));
        }
        return list;
    }

    /** Random values in [lo, hi) for an input of the given shape, from a fixed seed. */
    public static double[] random(long seed, double lo, double hi, int... shape) {
        float[] v = new Rng(seed).uniform(Shapes.numel(shape), lo, hi);
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }
}
