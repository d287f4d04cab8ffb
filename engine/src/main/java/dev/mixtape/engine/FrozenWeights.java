package dev.mixtape.engine;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.function.Supplier;

/**
 * Weight tensors that a batched decoding step may keep copies of in a layout of its own, for
 * products run inside {@link BatchInvariantProducts#run(int, FrozenWeights, Supplier)}: whoever makes
 * one names the tensors and promises that they do not change while it is in use (a serving engine,
 * whose base weights stay as loaded). A copy is made once, on first use, and never compared with its
 * source again; operands that are not among the named tensors (activations, caches, adapters that come
 * and go) are never copied. Entries are held weakly, so a weight that is dropped takes its copy along.
 *
 * <p>The copies cost memory: as much again as the f32 weights that go through them.
 */
public final class FrozenWeights {
    private final Set<Storage> storages = Collections.newSetFromMap(new WeakHashMap<>());
    private final Map<Object, Object> copies = Collections.synchronizedMap(new WeakHashMap<>());

    /** Copies may be kept of {@code weights}, which must not change while this is in use. */
    public FrozenWeights(Collection<Tensor> weights) {
        for (Tensor weight : weights) {
            storages.add(weight.storage());
        }
    }

    /** The storages of the named weights (those still alive). */
    public synchronized List<Storage> storages() {
        return new ArrayList<>(storages);
    }

    /**
     * The copy kept for {@code array} (a backend's array behind one of the weights' storages, or any
     * other operand), made by {@code make} the first time: a backend makes a copy of a named weight's
     * array and a marker for anything else. {@code make} must not hold on to {@code array}, or the
     * entry would never go.
     */
    @SuppressWarnings("unchecked")
    public <T> T copyOf(Object array, Supplier<T> make) {
        return (T) copies.computeIfAbsent(array, ignored -> make.get());
    }
}
