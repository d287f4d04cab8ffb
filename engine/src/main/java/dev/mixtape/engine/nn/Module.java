package dev.mixtape.engine.nn;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Rng;
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

/**
 * The base of every building block that owns parameters, like PyTorch's {@code nn.Module}. A module
 * registers its own parameters and its child modules under short names; together they give every
 * parameter a stable dotted name such as {@code layers.0.self_attn.q_proj.weight}, by which a model
 * is saved, loaded, frozen and adapted.
 *
 * <p>Order is part of the contract: a module lists its own parameters first, in registration order,
 * then each child's, recursively, in registration order (PyTorch's order). Subclasses register
 * everything in their constructor and read parameters back with {@link #parameter(String)}, so that
 * {@link #setParameter} takes effect in the next forward pass.
 *
 * <p>(Not to be confused with {@code java.lang.Module}; import this one explicitly.)
 */
public abstract class Module {
    private final Map<String, Tensor> ownParameters = new LinkedHashMap<>();
    /** Stand-ins registered by {@link #registerUnloaded} and not yet replaced (compared by identity). */
    private final Set<Tensor> unloaded = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training;

    /** Subclasses call {@link #registerParameter} and {@link #registerModule} in their constructor. */
    protected Module() {
    }

    // ---- registration ------------------------------------------------------------------------

    /**
     * Registers a leaf tensor as this module's parameter {@code name} (no dots) and marks it trainable
     * ({@code requiresGrad(true)}), as wrapping a tensor in {@code nn.Parameter} does. Returns it.
     */
    protected final Tensor registerParameter(String name, Tensor value) {
        checkNewName(name);
        requireLeaf(name, value);
        value.requiresGrad(true);
        ownParameters.put(name, value);
        return value;
    }

    /**
     * Registers a stand-in for parameter {@code name} that a loader will replace with
     * {@link #setParameter}: the right shape over one element of storage. Layers built with a null
     * {@code Rng} register these, so that loading a checkpoint never allocates or draws random
     * weights it then throws away. Until it is set, {@link #parameter} refuses to return it, so a
     * layer whose weights were never loaded fails instead of computing with zeros.
     */
    protected final void registerUnloaded(String name, Backend backend, int... shape) {
        int[] ones = new int[shape.length];
        Arrays.fill(ones, 1);
        Tensor standIn = registerParameter(name, Tensor.zeros(backend, DType.F32, ones).expand(shape));
        unloaded.add(standIn);
    }

    /** Registers {@code child} under {@code name} (no dots); its parameters are named {@code name.…}. Returns it. */
    protected final <M extends Module> M registerModule(String name, M child) {
        checkNewName(name);
        if (child == null) {
            throw new IllegalArgumentException("child module '" + name + "' is null");
        }
        children.put(name, child);
        return child;
    }

    /** Unregisters child {@code name} (its parameters leave this module's listings); returns it. */
    protected final Module removeModule(String name) {
        Module child = children.remove(name);
        if (child == null) {
            throw new IllegalArgumentException("no child module '" + name + "' in " + getClass().getSimpleName());
        }
        return child;
    }

    private void checkNewName(String name) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException("a parameter or module name must be non-empty and contain no '.', got '" + name + "'");
        }
        if (ownParameters.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException("'" + name + "' is already registered in " + getClass().getSimpleName());
        }
    }

    private static void requireLeaf(String name, Tensor value) {
        if (value == null) {
            throw new IllegalArgumentException("parameter '" + name + "' is null");
        }
        if (value.hasGradFn()) {
            throw new IllegalArgumentException("parameter '" + name + "' must be a leaf tensor, not the output of an op; "
                    + "pass detach() or copy() of it");
        }
    }

    // ---- listing -----------------------------------------------------------------------------

    /**
     * Every parameter by dotted name, in the order described on the class. A tensor registered under
     * two names (tied weights) is listed once, under the first, so an optimizer steps it once.
     */
    public Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Map.Entry<String, Module> entry : namedModules().entrySet()) {
            String prefix = entry.getKey().isEmpty() ? "" : entry.getKey() + ".";
            for (Map.Entry<String, Tensor> own : entry.getValue().ownParameters.entrySet()) {
                if (seen.add(own.getValue())) {
                    out.put(prefix + own.getKey(), own.getValue());
                }
            }
        }
        return out;
    }

    /** The tensors of {@link #namedParameters()}, in the same order. */
    public List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** The parameters that currently require a gradient, in {@link #namedParameters()} order: what an optimizer should update. */
    public List<Tensor> trainableParameters() {
        List<Tensor> out = new ArrayList<>();
        for (Tensor p : namedParameters().values()) {
            if (p.requiresGrad()) {
                out.add(p);
            }
        }
        return out;
    }

    /**
     * This module (under the empty name) and every descendant by dotted name, parents before children.
     * A module instance registered twice is listed once, under the first name.
     */
    public Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        collectModules("", out, Collections.newSetFromMap(new IdentityHashMap<>()));
        return out;
    }

    private void collectModules(String name, Map<String, Module> out, Set<Module> seen) {
        if (!seen.add(this)) {
            return;
        }
        out.put(name, this);
        for (Map.Entry<String, Module> child : children.entrySet()) {
            child.getValue().collectModules(name.isEmpty() ? child.getKey() : name + "." + child.getKey(), out, seen);
        }
    }

    // ---- replacing children (adapters) ---------------------------------------------------------

    /** The direct child registered as {@code name}, to call in a forward pass (it may have been replaced). */
    protected final Module child(String name) {
        Module child = children.get(name);
        if (child == null) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " has no child '" + name + "', only " + children.keySet());
        }
        return child;
    }

    /**
     * Replaces the module at dotted path {@code name} (e.g. {@code model.layers.0.self_attn.q_proj})
     * with {@code replacement}, keeping its place in the naming order: how adapters wrap a layer.
     * Forward passes that read their children through {@link #child} use the replacement at once.
     */
    public void replaceModule(String name, Module replacement) {
        if (replacement == null) {
            throw new IllegalArgumentException("replacement for module '" + name + "' is null");
        }
        int dot = name.lastIndexOf('.');
        Module parent = dot < 0 ? this : namedModules().get(name.substring(0, dot));
        String local = name.substring(dot + 1);
        if (parent == null || !parent.children.containsKey(local)) {
            throw new IllegalArgumentException("no module named '" + name + "' to replace");
        }
        parent.children.put(local, replacement);
    }

    // ---- access by name ------------------------------------------------------------------------

    /** The parameter with dotted name {@code name}, e.g. {@code layers.0.mlp.up_proj.weight}. */
    public Tensor parameter(String name) {
        Module owner = ownerOf(name);
        Tensor value = owner.ownParameters.get(localName(name));
        if (owner.unloaded.contains(value)) {
            throw new IllegalStateException("parameter '" + name + "' was never loaded: the layer was built without an Rng, "
                    + "for a loader to set its parameters");
        }
        return value;
    }

    /**
     * Replaces the parameter {@code name} with {@code value}, which must be a leaf of the same shape
     * (its dtype and storage may differ: a memory-mapped bf16 weight, say). The new tensor takes over
     * the old one's {@code requiresGrad}. Like assigning a new {@code nn.Parameter} in PyTorch, this
     * swaps the object: an optimizer built before keeps updating the old tensor, so build it after
     * loading, or copy values in place with {@code parameter(name).assign(value)} instead.
     */
    public void setParameter(String name, Tensor value) {
        Module owner = ownerOf(name);
        String local = localName(name);
        requireLeaf(name, value);
        Tensor old = owner.ownParameters.get(local);
        if (!Arrays.equals(old.shape(), value.shape())) {
            throw new IllegalArgumentException("parameter '" + name + "' has shape " + Shapes.str(old.shape())
                    + ", cannot set a tensor of shape " + Shapes.str(value.shape()));
        }
        value.requiresGrad(old.requiresGrad());
        owner.ownParameters.put(local, value);
        owner.unloaded.remove(old);
    }

    /** The module that owns parameter {@code name}; throws naming where the dotted path breaks. */
    private Module ownerOf(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("parameter name must be non-empty, got '" + name + "'");
        }
        String[] parts = name.split("\\.", -1);
        Module module = this;
        StringBuilder path = new StringBuilder();
        for (int i = 0; i < parts.length - 1; i++) {
            Module next = module.children.get(parts[i]);
            if (next == null) {
                throw unknown(name, path.toString(), module);
            }
            path.append(path.isEmpty() ? "" : ".").append(parts[i]);
            module = next;
        }
        if (!module.ownParameters.containsKey(parts[parts.length - 1])) {
            throw unknown(name, path.toString(), module);
        }
        return module;
    }

    private static IllegalArgumentException unknown(String name, String path, Module module) {
        String where = path.isEmpty() ? "the root " + module.getClass().getSimpleName()
                : "module '" + path + "' (" + module.getClass().getSimpleName() + ")";
        return new IllegalArgumentException("no parameter named '" + name + "': " + where + " has parameters "
                + module.ownParameters.keySet() + " and children " + module.children.keySet());
    }

    private static String localName(String name) {
        return name.substring(name.lastIndexOf('.') + 1);
    }

    // ---- training and evaluation mode ------------------------------------------------------------

    /**
     * Training mode for this module and every descendant, like PyTorch's {@code module.train()}: layers
     * that behave differently while training (dropout) do so from now on. Since nothing in Mixtape is
     * global, a layer that draws random numbers takes its own generator, seeded from {@code rng} in
     * {@link #namedModules()} order, so a run repeats exactly. Refused, before any module changes, when
     * a module cannot train in its present state. Returns this module.
     */
    public final Module train(Rng rng) {
        Map<String, Module> modules = namedModules();
        modules.forEach((name, module) -> module.checkCanTrain(name));
        modules.values().forEach(module -> {
            module.training = true;
            module.onTrain(rng);
        });
        return this;
    }

    /** Evaluation mode for this module and every descendant, like PyTorch's {@code module.eval()}: the default. Returns this module. */
    public final Module eval() {
        namedModules().values().forEach(module -> module.training = false);
        return this;
    }

    /** Whether this module is in training mode ({@link #train}) rather than evaluation mode ({@link #eval}). */
    public final boolean isTraining() {
        return training;
    }

    /** Throws when this module, registered as {@code name}, cannot go into training mode now; by default it can. */
    protected void checkCanTrain(String name) {
    }

    /** Called as this module goes into training mode: a layer that draws random numbers takes its generator from {@code rng}. */
    protected void onTrain(Rng rng) {
    }

    // ---- training helpers ----------------------------------------------------------------------

    /** Clears the gradient of every parameter, like {@code module.zero_grad(set_to_none=True)}. */
    public void zeroGrad() {
        for (Tensor p : namedParameters().values()) {
            p.zeroGrad();
        }
    }

    /** Stops gradients for every parameter of this module and its descendants ({@code requiresGrad(false)}). */
    public void freeze() {
        setRequiresGrad(false);
    }

    /** Lets gradients reach every parameter of this module and its descendants again. */
    public void unfreeze() {
        setRequiresGrad(true);
    }

    private void setRequiresGrad(boolean required) {
        for (Tensor p : namedParameters().values()) {
            p.requiresGrad(required);
        }
    }
}
