package dev.mixtape.engine.optim;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.BinaryOp;
import dev.mixtape.engine.FusedOptimizerSteps;
import dev.mixtape.engine.ScalarOp;
import dev.mixtape.engine.Tensor;

import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent, PyTorch's {@code torch.optim.SGD} with dampening 0 (without
 * {@code maximize}). For each parameter with a gradient g:
 * <pre>
 *   g ← g + weightDecay·p
 *   buf ← g on the first step, else momentum·buf + g          (only when momentum ≠ 0)
 *   g ← nesterov ? g + momentum·buf : buf
 *   p ← p − lr·g
 * </pre>
 * State per parameter, only when momentum ≠ 0: {@code momentum_buffer}.
 */
public final class SGD extends Optimizer {
    private static final List<String> MOMENTUM_BUFFER = List.of("momentum_buffer");

    private final double momentum;
    private final double weightDecay;
    private final boolean nesterov;
    private final Tensor[] momentumBuffers;

    /** Plain SGD: no momentum, no weight decay. */
    public SGD(List<Tensor> params, double lr) {
        this(params, lr, 0, 0, false);
    }

    /** SGD with momentum (0 for none), weight decay (L2, added to the gradient) and optional Nesterov momentum. */
    public SGD(List<Tensor> params, double lr, double momentum, double weightDecay, boolean nesterov) {
        super(params, lr);
        if (!(momentum >= 0)) {
            throw new IllegalArgumentException("momentum must be >= 0, got " + momentum);
        }
        if (!(weightDecay >= 0)) {
            throw new IllegalArgumentException("weightDecay must be >= 0, got " + weightDecay);
        }
        if (nesterov && momentum == 0) {
            throw new IllegalArgumentException("nesterov momentum needs momentum > 0, got momentum=" + momentum);
        }
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
        this.momentumBuffers = new Tensor[params.size()];
    }

    @Override
    void update(int index, Tensor param, Tensor grad) {
        Tensor buffer = null;
        boolean firstStep = false;
        if (momentum != 0) {
            firstStep = momentumBuffers[index] == null;
            if (firstStep) {
                momentumBuffers[index] = param.backend().outsideStep(() -> Tensor.zeros(param.backend(), param.dtype(), param.shape()));
            }
            buffer = momentumBuffers[index];
        }
        Tensor momentumBuffer = buffer;
        boolean first = firstStep;
        param.backend().capability(FusedOptimizerSteps.class).ifPresentOrElse(
                fused -> fused.sgdStep(param, grad, momentumBuffer, lr(), momentum, weightDecay, nesterov, first),
                () -> composedStep(param, grad, momentumBuffer, first));
    }

    /** The step's formulas as one backend primitive each, for a backend without {@link FusedOptimizerSteps}. */
    private void composedStep(Tensor param, Tensor grad, Tensor buffer, boolean firstStep) {
        Backend backend = param.backend();
        Tensor direction = Tensor.zeros(backend, param.dtype(), param.shape());
        backend.scalar(ScalarOp.MUL, param, weightDecay, direction);
        backend.binary(BinaryOp.ADD, grad, direction, direction);
        if (buffer != null) {
            if (firstStep) {
                backend.copy(direction, buffer);
            } else {
                backend.scalar(ScalarOp.MUL, buffer, momentum, buffer);
                backend.binary(BinaryOp.ADD, buffer, direction, buffer);
            }
            if (nesterov) {
                Tensor ahead = Tensor.zeros(backend, param.dtype(), param.shape());
                backend.scalar(ScalarOp.MUL, buffer, momentum, ahead);
                backend.binary(BinaryOp.ADD, direction, ahead, direction);
            } else {
                backend.copy(buffer, direction);
            }
        }
        backend.scalar(ScalarOp.MUL, direction, lr(), direction);
        backend.binary(BinaryOp.SUB, param, direction, param);
    }

    @Override
    List<String> bufferNames() {
        return momentum == 0 ? List.of() : MOMENTUM_BUFFER;
    }

    @Override
    Map<String, Tensor> exportState(int index) {
        Tensor buffer = momentumBuffers[index];
        return buffer == null ? Map.of() : Map.of("momentum_buffer", buffer);
    }

    @Override
    void importState(int index, Map<String, Tensor> buffers) {
        momentumBuffers[index] = bufferFor(index, buffers.get("momentum_buffer"));
    }

    @Override
    void resetState(int index) {
        momentumBuffers[index] = null;
    }
}
