package dev.mixtape.engine.optim;

import dev.mixtape.engine.Shapes;
import dev.mixtape.engine.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Updates a fixed list of parameters in place from their gradients, like {@code torch.optim.Optimizer}
 * with one parameter group. A training step is {@code loss.backward(); optimizer.step();
 * optimizer.zeroGrad();}. Parameters whose gradient is null (frozen, or unused by this loss) are
 * skipped and their state is left untouched, as in PyTorch.
 *
 * <p>{@link #state()} exports the per-parameter state (step counts, moment buffers) as named tensors
 * {@code state.<index>.<buffer>}, PyTorch's {@code state_dict()["state"]} flattened, where index is
 * the parameter's position in the list given to the constructor. {@link #loadState} restores it
 * exactly into an optimizer over the same list. Hyperparameters (learning rate, betas, …) are not
 * part of the state: construct the optimizer with the same ones, and set the learning rate from the
 * schedule as usual.
 */
public abstract class Optimizer {
    private final List<Tensor> params;
    private double lr;

    Optimizer(List<Tensor> params, double lr) {
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i);
            if (p == null) {
                throw new IllegalArgumentException("parameter " + i + " is null");
            }
            if (!p.isContiguous()) {
                throw new IllegalArgumentException("parameter " + i + " of shape " + Shapes.str(p.shape())
                        + " is a non-contiguous view; optimizers update whole contiguous tensors");
            }
            if (!seen.add(p)) {
                throw new IllegalArgumentException("parameter " + i + " of shape " + Shapes.str(p.shape())
                        + " appears more than once; it would be stepped twice");
            }
        }
        this.params = List.copyOf(params);
        setLr(lr);
    }

    /** Applies one update to every parameter that has a gradient. */
    public final void step() {
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i);
            if (p.grad() != null) {
                update(i, p, p.grad());
            }
        }
    }

    /** Updates parameter {@code index} in place from {@code grad}, advancing its state. */
    abstract void update(int index, Tensor param, Tensor grad);

    /** Clears the gradient of every parameter (PyTorch's {@code zero_grad(set_to_none=True)}). */
    public void zeroGrad() {
        for (Tensor p : params) {
            p.zeroGrad();
        }
    }

    /** The learning rate the next {@link #step()} uses. */
    public double lr() {
        return lr;
    }

    /** Sets the learning rate for the following steps, e.g. from an {@link LrSchedule}. */
    public void setLr(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("lr must be finite and >= 0, got " + lr);
        }
        this.lr = lr;
    }

    /** The parameters this optimizer updates, in order (read-only). */
    public List<Tensor> params() {
        return params;
    }

    // ---- state export and import ------------------------------------------------------------

    /**
     * A copy of the per-parameter state as named tensors {@code state.<index>.<buffer>}, in parameter
     * order; a parameter that has never been stepped has no entries.
     */
    public final Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            for (Map.Entry<String, Tensor> buffer : exportState(i).entrySet()) {
                out.put("state." + i + "." + buffer.getKey(), buffer.getValue().copy());
            }
        }
        return out;
    }

    /**
     * Replaces all per-parameter state with {@code state} as produced by {@link #state()} (values are
     * copied onto each parameter's backend). A parameter with no entries starts fresh. Everything is
     * checked before anything changes: an unknown or malformed name, an incomplete set of buffers, a
     * wrong shape or a step count that is not a whole number ≥ 1 throws, naming the key.
     */
    public final void loadState(Map<String, Tensor> state) {
        Map<Integer, Map<String, Tensor>> byParam = new TreeMap<>();
        for (Map.Entry<String, Tensor> entry : state.entrySet()) {
            String key = entry.getKey();
            String[] parts = key.split("\\.", -1);
            int index = parts.length == 3 && parts[0].equals("state") ? parseIndex(parts[1]) : -1;
            if (index < 0 || index >= params.size() || !bufferNames().contains(parts[2])) {
                throw new IllegalArgumentException("unexpected optimizer state key '" + key + "': expected state.<index>."
                        + bufferNames() + " with index below " + params.size());
            }
            checkBuffer(index, parts[2], entry.getValue());
            byParam.computeIfAbsent(index, i -> new LinkedHashMap<>()).put(parts[2], entry.getValue());
        }
        for (Map.Entry<Integer, Map<String, Tensor>> entry : byParam.entrySet()) {
            Set<String> present = entry.getValue().keySet();
            if (!present.containsAll(bufferNames())) {
                List<String> missing = new ArrayList<>(bufferNames());
                missing.removeAll(present);
                throw new IllegalArgumentException("optimizer state for parameter " + entry.getKey() + " lacks "
                        + missing.stream().map(b -> "state." + entry.getKey() + "." + b).toList());
            }
        }
        for (int i = 0; i < params.size(); i++) {
            Map<String, Tensor> buffers = byParam.get(i);
            if (buffers == null) {
                resetState(i);
            } else {
                importState(i, buffers);
            }
        }
    }

    private static int parseIndex(String text) {
        if (text.isEmpty() || !text.chars().allMatch(Character::isDigit) || text.length() > 9) {
            return -1;
        }
        return Integer.parseInt(text);
    }

    /** A buffer named {@code step} is a step count (one whole number ≥ 1); every other buffer has its parameter's shape. */
    private void checkBuffer(int index, String name, Tensor value) {
        String key = "state." + index + "." + name;
        if (name.equals("step")) {
            double count = value.numel() == 1 ? value.item() : Double.NaN;
            if (!(count >= 1) || count != Math.rint(count)) {
                throw new IllegalArgumentException("optimizer state '" + key + "' must be one whole number >= 1, got " + value);
            }
            return;
        }
        Tensor param = params.get(index);
        if (!Arrays.equals(param.shape(), value.shape())) {
            throw new IllegalArgumentException("optimizer state '" + key + "' has shape " + Shapes.str(value.shape())
                    + ", but parameter " + index + " has shape " + Shapes.str(param.shape()));
        }
    }

    /** The names of the buffers one stepped parameter has, e.g. {@code step, exp_avg, exp_avg_sq}. */
    abstract List<String> bufferNames();

    /** The live buffers of parameter {@code index} by name, or an empty map if it has none yet. */
    abstract Map<String, Tensor> exportState(int index);

    /** Restores parameter {@code index}'s state from a complete, already checked set of buffers. */
    abstract void importState(int index, Map<String, Tensor> buffers);

    /** Forgets parameter {@code index}'s state, as if it had never been stepped. */
    abstract void resetState(int index);

    /** A new buffer for parameter {@code index}, on its backend, holding a copy of {@code source}'s values. */
    final Tensor bufferFor(int index, Tensor source) {
        Tensor param = params.get(index);
        return param.backend().outsideStep(
                () -> Tensor.zeros(param.backend(), param.dtype(), param.shape()).assign(source.to(param.backend())));
    }
}
