package dev.mixtape.adapters;

import dev.mixtape.engine.DType;
import dev.mixtape.engine.Grad;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Shapes;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.nn.Layer;
import dev.mixtape.engine.nn.Linear;
import dev.mixtape.engine.nn.Module;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A frozen {@link Linear} with LoRA / MoSLoRA adapters beside it, taking the Linear's place in the
 * model: {@code y = base(x) + s·dropout(x)·Aᵀ·Mᵀ·Bᵀ} for the active adapter, or {@code base(x)} when
 * none is active. Its parameters carry PEFT's in-memory names: {@code base_layer.weight},
 * {@code lora_A.<adapter>.weight} {@code [r, in]}, {@code lora_B.<adapter>.weight} {@code [out, r]},
 * {@code lora_AB.<adapter>.weight} {@code [r, r]} (MoSLoRA's mixer).
 *
 * <p>Made and driven by {@link Adapters} and {@link Adapter}, which keep every layer of a model in
 * agreement (one active adapter, one mode). Dropout runs in training mode only. When an adapter is
 * merged, its update lives in the base weight, in F32 whatever the base's type (a BF16 or block-format
 * base is widened, never rounded back), and the branch is skipped; the original weight is kept, so
 * unmerging restores it bit for bit. Forward passes from several threads are safe in
 * evaluation mode; switching adapters, modes or merging is not, while they run.
 */
public final class LoraLinear extends Module implements Layer {
    private final Linear base;
    private final AdapterDict loraA;
    private final AdapterDict loraB;
    private final AdapterDict loraAB;
    private final Map<String, LoraBranch> branches = new LinkedHashMap<>();
    private String active;
    private Rng dropoutRng;
    private String mergedAdapter;
    private Tensor unmergedWeight;

    LoraLinear(Linear base) {
        base.freeze();
        this.base = registerModule("base_layer", base);
        loraA = registerModule("lora_A", new AdapterDict());
        loraB = registerModule("lora_B", new AdapterDict());
        loraAB = registerModule("lora_AB", new AdapterDict());
    }

    /** The wrapped layer, whose weight is the frozen W₀ (W₀ + s·B·M·A while merged). */
    public Linear base() {
        return base;
    }

    /** The adapters this layer holds, in the order they were added. */
    public List<String> adapterNames() {
        return List.copyOf(branches.keySet());
    }

    /** The adapter whose branch runs (or is merged), or empty when none does. */
    public Optional<String> activeAdapter() {
        return Optional.ofNullable(active);
    }

    /** The adapter merged into the base weight, or empty. */
    public Optional<String> mergedAdapter() {
        return Optional.ofNullable(mergedAdapter);
    }

    /** {@code base(x)} plus the active adapter's branch, unless it is merged; under a {@link RowAdapters} routing, each row's adapter. */
    @Override
    public Tensor forward(Tensor x) {
        RowAdapters routing = RowAdapters.current();
        if (routing != null) {
            return routing.forward(this, x);
        }
        if (active == null || mergedAdapter != null) {
            return base.forward(x);
        }
        return branches.get(active).addedTo(base, x, isTraining() ? dropoutRng : null);
    }

    /**
     * The update adapter {@code name} alone makes for {@code x}: {@code s·x·Aᵀ·Mᵀ·Bᵀ}, without dropout,
     * whether or not it is the active one. A mixture of experts (MoLE) weighs several of these; the
     * frozen base is not included.
     */
    public Tensor branchOutput(String name, Tensor x) {
        return branch(name).forward(x, null);
    }

    /** Adds adapter {@code name} with these factors (checked against the base layer's shape) and settings. */
    void addAdapter(String name, LoraConfig config, int rank, double scaling, LoraFactors factors) {
        if (branches.containsKey(name)) {
            throw new IllegalArgumentException("this layer already holds an adapter named '" + name + "'");
        }
        requireShape(name, "lora_A", factors.a(), rank, base.inFeatures());
        requireShape(name, "lora_B", factors.b(), base.outFeatures(), rank);
        if (config.useMixer() != (factors.mixer() != null)) {
            throw new IllegalArgumentException("adapter '" + name + "': a mixer must be given exactly when the config asks for one");
        }
        Factor a = new Factor(factors.a());
        Factor b = new Factor(factors.b());
        Factor mixer = null;
        loraA.put(name, a);
        loraB.put(name, b);
        if (factors.mixer() != null) {
            requireShape(name, "lora_AB", factors.mixer(), rank, rank);
            mixer = new Factor(factors.mixer());
            loraAB.put(name, mixer);
        }
        branches.put(name, new LoraBranch(config, rank, scaling, a, mixer, b));
    }

    /** Drops adapter {@code name} (not merged: {@link Adapters#delete} checks) and its matrices; active, it leaves none active. */
    void removeAdapter(String name) {
        LoraBranch branch = branch(name);
        branches.remove(name);
        loraA.remove(name);
        loraB.remove(name);
        if (branch.mixer != null) {
            loraAB.remove(name);
        }
        if (name.equals(active)) {
            active = null;
        }
    }

    private static void requireShape(String adapter, String factor, Tensor tensor, int rows, int columns) {
        if (!Arrays.equals(tensor.shape(), new int[]{rows, columns})) {
            throw new IllegalArgumentException("adapter '" + adapter + "': " + factor + " has shape " + Shapes.str(tensor.shape())
                    + ", this layer needs " + Shapes.str(new int[]{rows, columns}));
        }
    }

    LoraBranch branch(String name) {
        LoraBranch branch = branches.get(name);
        if (branch == null) {
            throw new IllegalArgumentException("no adapter named '" + name + "' in this layer, only " + branches.keySet());
        }
        return branch;
    }

    boolean holds(String name) {
        return branches.containsKey(name);
    }

    /** Makes {@code name} the active adapter, or none when null. */
    void activate(String name) {
        if (name != null) {
            branch(name);
        }
        active = name;
    }

    /** Dropout draws its masks from a generator of its own, seeded from {@code rng}. */
    @Override
    protected void onTrain(Rng rng) {
        dropoutRng = new Rng(rng.nextLong());
    }

    /** A merged adapter would train the weights it was merged into, not its factors. */
    @Override
    protected void checkCanTrain(String name) {
        if (mergedAdapter != null) {
            throw new IllegalStateException("cannot train: adapter '" + mergedAdapter + "' is merged into '" + name
                    + "'; unmerge it first");
        }
    }

    /** Replaces the base weight by {@code W₀ + s·B·M·A} of adapter {@code name}, which becomes the active one. */
    void merge(String name) {
        LoraBranch branch = branch(name);
        if (mergedAdapter != null) {
            throw new IllegalStateException("adapter '" + mergedAdapter + "' is already merged into this layer");
        }
        Tensor weight = base.weight();
        Tensor merged;
        try (var _ = Grad.off()) {
            merged = (weight.dtype() == DType.F32 ? weight : weight.to(DType.F32)).add(branch.delta());
        }
        base.setParameter("weight", merged);
        unmergedWeight = weight;
        mergedAdapter = name;
        active = name;
    }

    /** Puts W₀ back (the very tensor that was there before {@link #merge}); the adapter stays active. */
    void unmerge() {
        if (mergedAdapter == null) {
            throw new IllegalStateException("no adapter is merged into this layer");
        }
        base.setParameter("weight", unmergedWeight);
        unmergedWeight = null;
        mergedAdapter = null;
    }
}
