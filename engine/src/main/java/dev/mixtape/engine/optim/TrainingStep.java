package dev.mixtape.engine.optim;

import dev.mixtape.engine.Shapes;
import dev.mixtape.engine.Tensor;

import java.util.Arrays;
import java.util.List;

/**
 * One plain training step, the part every training loop shares: loss, backward, clip, optimizer.
 * <pre>{@code
 * TrainingStep step = new TrainingStep(optimizer, 1.0);
 * step.backward(model.loss(batch), 1.0);   // gradients only: nothing is updated yet
 * double norm = step.clip();               // their global norm, before clipping
 * step.update();                           // the optimizer's step, then the gradients are cleared
 * }</pre>
 * Computing gradients and applying them are separate calls so that gradients can come from
 * elsewhere: a data-parallel driver takes each worker's {@link #gradients()} and adds them into its
 * own parameters' with {@link #addGradients} before it clips and updates once.
 */
public final class TrainingStep {
    private final Optimizer optimizer;
    private final double clipNorm;

    /** A step updating {@code optimizer}'s parameters, their gradients clipped to a global norm of {@code clipNorm} (0: not clipped). */
    public TrainingStep(Optimizer optimizer, double clipNorm) {
        if (!(clipNorm >= 0) || Double.isInfinite(clipNorm)) {
            throw new IllegalArgumentException("clipNorm must be finite and >= 0 (0 for no clipping), got " + clipNorm);
        }
        this.optimizer = optimizer;
        this.clipNorm = clipNorm;
    }

    /**
     * Adds the gradient of {@code weight · objective} (a one-element tensor) to the parameters'
     * gradients: a micro-batch's share of the step. Updates nothing.
     */
    public void backward(Tensor objective, double weight) {
        (weight == 1 ? objective : objective.mul(weight)).backward();
    }

    /** Each parameter's gradient, in the optimizer's order; null for a parameter no gradient reached. */
    public List<Tensor> gradients() {
        return optimizer.params().stream().map(Tensor::grad).toList();
    }

    /**
     * Adds {@code gradients} (one per parameter in the optimizer's order, each of its parameter's shape
     * and backend, null for none) to the parameters' gradients, as if their backward had run here.
     */
    public void addGradients(List<Tensor> gradients) {
        List<Tensor> params = optimizer.params();
        if (gradients.size() != params.size()) {
            throw new IllegalArgumentException(gradients.size() + " gradients for " + params.size() + " parameters");
        }
        for (int i = 0; i < params.size(); i++) {
            Tensor gradient = gradients.get(i);
            if (gradient != null && !Arrays.equals(gradient.shape(), params.get(i).shape())) {
                throw new IllegalArgumentException("gradient " + i + " has shape " + Shapes.str(gradient.shape())
                        + ", its parameter " + Shapes.str(params.get(i).shape()));
            }
        }
        for (int i = 0; i < params.size(); i++) {
            if (gradients.get(i) != null) {
                params.get(i).backward(gradients.get(i));
            }
        }
    }

    /**
     * The global L2 norm of the gradients; when this step clips, the gradients are then scaled down to
     * at most {@code clipNorm} ({@link GradClip#clipGlobalNorm}). A non-finite norm leaves them as they are.
     */
    public double clip() {
        return clipNorm > 0 ? GradClip.clipGlobalNorm(optimizer.params(), clipNorm) : GradClip.globalNorm(gradients());
    }

    /** The optimizer's step from the gradients, which are then cleared. */
    public void update() {
        optimizer.step();
        optimizer.zeroGrad();
    }

    /** Clears the gradients without updating anything: a step abandoned (its loss diverged, say). */
    public void discard() {
        optimizer.zeroGrad();
    }
}
