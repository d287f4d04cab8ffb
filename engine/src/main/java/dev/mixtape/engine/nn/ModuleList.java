package dev.mixtape.engine.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * An ordered list of child modules named by their index, like PyTorch's {@code nn.ModuleList}: the
 * third block's weights are {@code 2.…}, or {@code layers.2.…} once the list is registered as
 * {@code layers}.
 */
public final class ModuleList<M extends Module> extends Module implements Iterable<M> {
    private final List<M> items = new ArrayList<>();

    /** An empty list; fill it with {@link #add}. */
    public ModuleList() {
    }

    /** Appends {@code module} under the next index and returns it. */
    public M add(M module) {
        registerModule(Integer.toString(items.size()), module);
        items.add(module);
        return module;
    }

    /** The module at {@code index}. */
    public M get(int index) {
        if (index < 0 || index >= items.size()) {
            throw new IndexOutOfBoundsException("module index " + index + " outside a list of " + items.size());
        }
        return items.get(index);
    }

    /** Number of modules. */
    public int size() {
        return items.size();
    }

    /** The modules in index order (read-only). */
    @Override
    public Iterator<M> iterator() {
        return Collections.unmodifiableList(items).iterator();
    }
}
