package dev.mixtape.models.train;

import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.optim.AdamW;
import dev.mixtape.engine.optim.Optimizer;
import dev.mixtape.engine.optim.SGD;

import java.io.Serializable;
import java.util.List;

/**
 * Which optimizer a run uses and its hyperparameters other than the learning rate (which comes from
 * the schedule at every step). Serializable, so that a data-parallel driver can send it to its workers.
 */
public sealed interface OptimizerSettings extends Serializable {

    /** A new optimizer over {@code params}. */
    Optimizer create(List<Tensor> params);

    /** AdamW with betas (0.9, 0.999), eps 1e-8 and the given decoupled weight decay. */
    static OptimizerSettings adamw(double weightDecay) {
        return new AdamWSettings(0.9, 0.999, 1e-8, weightDecay);
    }

    /** SGD with the given momentum (0 for none) and weight decay, without Nesterov. */
    static OptimizerSettings sgd(double momentum, double weightDecay) {
        return new SgdSettings(momentum, weightDecay);
    }

    /** AdamW's hyperparameters. */
    record AdamWSettings(double beta1, double beta2, double eps, double weightDecay) implements OptimizerSettings {
        @Override
        public Optimizer create(List<Tensor> params) {
            return new AdamW(params, 0, beta1, beta2, eps, weightDecay);
        }
    }

    /** SGD's hyperparameters. */
    record SgdSettings(double momentum, double weightDecay) implements OptimizerSettings {
        @Override
        public Optimizer create(List<Tensor> params) {
            return new SGD(params, 0, momentum, weightDecay, false);
        }
    }
}
