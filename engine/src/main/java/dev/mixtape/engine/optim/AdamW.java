package dev.mixtape.engine.optim;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.BinaryOp;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.FusedOptimizerSteps;
import dev.mixtape.engine.ScalarOp;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.UnaryOp;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam with decoupled weight decay, PyTorch's {@code torch.optim.AdamW} (without {@code amsgrad} or
 * {@code maximize}). For each parameter with a gradient g, at its own step t = 1, 2, …:
 * <pre>
 *   p ← p − lr·weightDecay·p
 *   m ← β1·m + (1 − β1)·g            v ← β2·v + (1 − β2)·g²
 *   p ← p − lr · (m / (1 − β1^t)) / (sqrt(v / (1 − β2^t)) + eps)
 * </pre>
 * Defaults as PyTorch: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 1e-2. State per parameter:
 * {@code step} (a one-element f32 tensor, as in PyTorch, exact up to 2^24 steps), {@code exp_avg} (m)
 * and {@code exp_avg_sq} (v).
 */
public final class AdamW extends Optimizer {
    private static final List<String> BUFFERS = List.of("step", "exp_avg", "exp_avg_sq");

    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final Moments[] moments;

    /** The running averages of one parameter and the number of steps it has taken. */
    private static final class Moments {
        long step;
        final Tensor expAvg;
        final Tensor expAvgSq;

        Moments(long step, Tensor expAvg, Tensor expAvgSq) {
            this.step = step;
            this.expAvg = expAvg;
            this.expAvgSq = expAvgSq;
        }
    }

    /** AdamW over {@code params} with PyTorch's defaults. */
    public AdamW(List<Tensor> params) {
        this(params, 1e-3, 0.9, 0.999, 1e-8, 1e-2);
    }

    /** AdamW with the given learning rate and weight decay, default betas and eps. */
    public AdamW(List<Tensor> params, double lr, double weightDecay) {
        this(params, lr, 0.9, 0.999, 1e-8, weightDecay);
    }

    /** AdamW with every hyperparameter given. */
    public AdamW(List<Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        super(params, lr);
        requireBeta("beta1", beta1);
        requireBeta("beta2", beta2);
        if (!(eps >= 0)) {
            throw new IllegalArgumentException("eps must be >= 0, got " + eps);
        }
        if (!(weightDecay >= 0)) {
            throw new IllegalArgumentException("weightDecay must be >= 0, got " + weightDecay);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.moments = new Moments[params.size()];
    }

    private static void requireBeta(String name, double beta) {
        if (!(beta >= 0 && beta < 1)) {
            throw new IllegalArgumentException(name + " must be in [0, 1), got " + beta);
        }
    }

    @Override
    void update(int index, Tensor param, Tensor grad) {
        Moments state = moments[index];
        if (state == null) {
            state = param.backend().outsideStep(() -> new Moments(0, Tensor.zeros(param.backend(), param.dtype(), param.shape()),
                    Tensor.zeros(param.backend(), param.dtype(), param.shape())));
            moments[index] = state;
        }
        state.step++;
        double biasCorrection1 = 1 - Math.pow(beta1, state.step);
        double biasCorrection2 = 1 - Math.pow(beta2, state.step);
        Tensor m = state.expAvg;
        Tensor v = state.expAvgSq;
        param.backend().capability(FusedOptimizerSteps.class).ifPresentOrElse(
                fused -> fused.adamwStep(param, grad, m, v, lr(), beta1, beta2, eps, weightDecay, biasCorrection1, biasCorrection2),
                () -> composedStep(param, grad, m, v, biasCorrection1, biasCorrection2));
    }

    /** The step's formulas as one backend primitive each, for a backend without {@link FusedOptimizerSteps}. */
    private void composedStep(Tensor param, Tensor grad, Tensor m, Tensor v, double biasCorrection1, double biasCorrection2) {
        Backend backend = param.backend();
        Tensor term = Tensor.zeros(backend, param.dtype(), param.shape());
        Tensor denominator = Tensor.zeros(backend, param.dtype(), param.shape());
        backend.scalar(ScalarOp.MUL, param, 1 - lr() * weightDecay, param);
        backend.scalar(ScalarOp.MUL, m, beta1, m);
        backend.scalar(ScalarOp.MUL, grad, 1 - beta1, term);
        backend.binary(BinaryOp.ADD, m, term, m);
        backend.scalar(ScalarOp.MUL, v, beta2, v);
        backend.binary(BinaryOp.MUL, grad, grad, term);
        backend.scalar(ScalarOp.MUL, term, 1 - beta2, term);
        backend.binary(BinaryOp.ADD, v, term, v);
        backend.scalar(ScalarOp.MUL, v, 1 / biasCorrection2, denominator);
        backend.unary(UnaryOp.SQRT, denominator, denominator);
        backend.scalar(ScalarOp.ADD, denominator, eps, denominator);
        backend.scalar(ScalarOp.MUL, m, lr() / biasCorrection1, term);
        backend.binary(BinaryOp.DIV, term, denominator, term);
        backend.binary(BinaryOp.SUB, param, term, param);
    }

    @Override
    List<String> bufferNames() {
        return BUFFERS;
    }

    @Override
    Map<String, Tensor> exportState(int index) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Moments state = moments[index];
        if (state != null) {
            Tensor param = params().get(index);
            out.put("step", Tensor.full(param.backend(), DType.F32, state.step));
            out.put("exp_avg", state.expAvg);
            out.put("exp_avg_sq", state.expAvgSq);
        }
        return out;
    }

    @Override
    void importState(int index, Map<String, Tensor> buffers) {
        moments[index] = new Moments((long) buffers.get("step").item(),
                bufferFor(index, buffers.get("exp_avg")),
                bufferFor(index, buffers.get("exp_avg_sq")));
    }

    @Override
    void resetState(int index) {
        moments[index] = null;
    }
}
