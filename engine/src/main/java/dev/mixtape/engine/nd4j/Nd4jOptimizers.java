package dev.mixtape.engine.nd4j;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * AdamW and SGD steps as in-place ND4J ops on parameter and optimizer state, PyTorch's formulas
 * (see {@code FusedOptimizerSteps}). ND4J's own updaters are not used:
 * its Adam folds the bias corrections into the learning rate, which moves epsilon.
 */
final class Nd4jOptimizers {
    private Nd4jOptimizers() {
    }

    static void adamw(INDArray param, INDArray grad, INDArray m, INDArray v, double lr, double beta1, double beta2,
                      double eps, double weightDecay, double biasCorrection1, double biasCorrection2) {
        param.muli(1 - lr * weightDecay);
        m.muli(beta1).addi(grad.mul(1 - beta1));
        v.muli(beta2).addi(grad.mul(grad).muli(1 - beta2));
        INDArray denominator = Transforms.sqrt(v.div(biasCorrection2), false).addi(eps);
        param.subi(m.div(biasCorrection1).divi(denominator).muli(lr));
    }

    static void sgd(INDArray param, INDArray grad, INDArray momentumBuffer, double lr, double momentum,
                    double weightDecay, boolean nesterov, boolean firstStep) {
        INDArray step = grad.add(param.mul(weightDecay));
        if (momentumBuffer != null) {
            if (firstStep) {
                momentumBuffer.assign(step);
            } else {
                momentumBuffer.muli(momentum).addi(step);
            }
            step = nesterov ? step.addi(momentumBuffer.mul(momentum)) : momentumBuffer;
        }
        param.subi(step.mul(lr));
    }
}
