package dev.mixtape.serve;

import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.adapters.mole.MoleFiles;
import dev.mixtape.models.llama.Llama;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The names a server answers to and the models behind them: the base, LoRA/MoSLoRA adapters loaded
 * unmerged into one shared tree (each request's rows routed to its adapter), and MoLE folders, each
 * in a tree of its own over the same weight tensors. One copy of the base weights serves them all.
 *
 * <p>Adding an adapter changes the shared tree, so the {@link BatchEngine} does it between steps;
 * lookups may come from any thread. A removed adapter's name is free again at once; requests already
 * running with it finish with it (its matrices stay in the tree, under a name no request can reach).
 */
final class ServedModels {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");

    private final Llama shared;
    private final Llama plain;
    private final Map<String, ServedModel> byName = new LinkedHashMap<>();
    private int loads;

    /** Serves {@code base} (a plain model, nothing attached) as {@code baseName}. */
    ServedModels(Llama base, String baseName) {
        requireName(baseName);
        this.plain = base;
        this.shared = base.sharingWeights();
        byName.put(baseName, new ServedModel(baseName, ServedModel.Kind.BASE, shared, null, null));
    }

    /** The served name's model, or throws {@link UnknownModelException}. */
    synchronized ServedModel get(String name) {
        ServedModel served = byName.get(name);
        if (served == null) {
            throw new UnknownModelException(name, byName.keySet());
        }
        return served;
    }

    /** Everything served, the base first, then in the order added. */
    synchronized List<ServedModel> all() {
        return new ArrayList<>(byName.values());
    }

    /** Loads the PEFT adapter folder {@code folder} as {@code name}; call between forward passes of the shared tree. */
    ServedModel addAdapter(String name, Path folder) throws IOException {
        reserve(name);
        String routed = name + "#" + nextLoad();
        PeftFiles.load(folder, shared, routed);
        Adapters.deactivate(shared);
        return put(new ServedModel(name, ServedModel.Kind.ADAPTER, shared, routed, folder));
    }

    /** Loads the MoLE folder {@code folder} (experts and gates) as {@code name}, in a tree of its own. */
    ServedModel addMole(String name, Path folder) throws IOException {
        reserve(name);
        Llama tree = plain.sharingWeights();
        MoleFiles.load(folder, tree);
        return put(new ServedModel(name, ServedModel.Kind.MOLE, tree, null, folder));
    }

    /** Stops serving {@code name} (not the base); returns what it was. */
    synchronized ServedModel remove(String name) {
        ServedModel served = get(name);
        if (served.kind() == ServedModel.Kind.BASE) {
            throw new IllegalArgumentException("the base model '" + name + "' cannot be removed");
        }
        return byName.remove(name);
    }

    private synchronized void reserve(String name) {
        requireName(name);
        if (byName.containsKey(name)) {
            throw new IllegalArgumentException("the name '" + name + "' is already served");
        }
    }

    private synchronized ServedModel put(ServedModel served) {
        reserve(served.name());
        byName.put(served.name(), served);
        return served;
    }

    private synchronized int nextLoad() {
        return ++loads;
    }

    private static void requireName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("a served name is 1 to 128 letters, digits and . _ : - (starting with a letter or digit), got '"
                    + name + "'");
        }
    }
}
