package dev.mixtape.engine;

/**
 * A {@link Backend} capability: an optimizer's update of one parameter in one pass over its elements,
 * in place on contiguous tensors ({@code grad} may be any view). Without it, {@code AdamW} and
 * {@code SGD} compose the same formulas from {@link Backend#scalar}, {@link Backend#binary} and
 * {@link Backend#unary}, a pass over memory for each.
 */
public interface FusedOptimizerSteps {
    /**
     * One AdamW step, PyTorch's formulas: {@code p −= lr·wd·p; m = β1·m + (1−β1)·g;
     * v = β2·v + (1−β2)·g²; p −= lr · (m/bc1) / (sqrt(v/bc2) + eps)}, with {@code bc1 = 1 − β1^t},
     * {@code bc2 = 1 − β2^t}.
     */
    void adamwStep(Tensor param, Tensor grad, Tensor m, Tensor v, double lr, double beta1, double beta2,
                   double eps, double weightDecay, double biasCorrection1, double biasCorrection2);

    /**
     * One SGD step, PyTorch's formulas: {@code g += wd·p}; with momentum {@code buf = μ·buf + g} (the
     * first step sets {@code buf = g}, signalled by {@code firstStep}); {@code g = nesterov ? g + μ·buf : buf};
     * {@code p −= lr·g}. {@code momentumBuffer} is null when {@code momentum == 0}.
     */
    void sgdStep(Tensor param, Tensor grad, Tensor momentumBuffer, double lr, double momentum, double weightDecay,
                 boolean nesterov, boolean firstStep);
}
