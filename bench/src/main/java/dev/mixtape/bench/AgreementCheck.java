package dev.mixtape.bench;

import java.util.Locale;

/**
 * Makes sure the implementations compute the same products before their speeds are compared: for
 * each form, a small odd-sized case is run by all three on the same operands and the results must
 * agree to f32 accuracy. Catches a transpose flag that means something else to ND4J than to Mixtape.
 */
final class AgreementCheck {
    private static final String[] IMPLEMENTATIONS = {"vector", "nd4j", "scalar"};
    /** Operands are in [-1, 1) and k = 131: sums of about ±4, so f32 rounding stays near 1e-5. */
    private static final double TOLERANCE = 1e-3;

    private AgreementCheck() {
    }

    /** A one-line summary; throws {@link IllegalStateException} when two implementations disagree. */
    static String run() {
        double worst = 0;
        for (MatmulForm form : MatmulForm.values()) {
            MatmulCase c = new MatmulCase("agreement", form, 67, 45, 131);
            float[] reference = null;
            for (String implementation : IMPLEMENTATIONS) {
                float[] result;
                try (MatmulImplementation product = MatmulImplementation.create(implementation, c, 2, 11)) {
                    product.multiply();
                    result = product.result();
                }
                if (reference == null) {
                    reference = result;
                    continue;
                }
                for (int i = 0; i < reference.length; i++) {
                    double difference = Math.abs(result[i] - reference[i]);
                    worst = Math.max(worst, difference);
                    if (difference > TOLERANCE) {
                        throw new IllegalStateException(implementation + " and " + IMPLEMENTATIONS[0] + " disagree on "
                                + form.formula() + " " + c.m() + "×" + c.n() + "×" + c.k() + " at element " + i + ": "
                                + result[i] + " vs " + reference[i]);
                    }
                }
            }
        }
        return String.format(Locale.ROOT, "vector, nd4j and scalar agree on all forms (largest difference %.2e)", worst);
    }
}
