package dev.mixtape.adapters.mole;

import dev.mixtape.adapters.LoraLinear;
import dev.mixtape.engine.F;
import dev.mixtape.engine.Shapes;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.nn.Layer;
import dev.mixtape.engine.nn.Module;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An adapted matrix under MoLE, taking its {@link LoraLinear}'s place in the model (which it holds as
 * child {@code experts}): {@code O(x) = base(x) + Σᵢ Gᵢ · Eᵢ(x)}, with {@code Eᵢ(x) = sᵢ·x·Aᵢᵀ·Mᵢᵀ·Bᵢᵀ}
 * the frozen expert branches and {@code G} its {@link Gate}'s weights. The first matrix of a gate's
 * group computes the weights (and registers the gate as child {@code mole_gate}); the others reuse
 * them in the same forward pass. Experts run without dropout: they are frozen.
 *
 * <p>Shapes: the expert outputs are stacked to {@code S [.., N, out]}; the paper's gate input is
 * {@code S} flattened to {@code [.., N·out]}; the mixture is {@code Σ over N of G[.., N, 1] ⊙ S}.
 */
final class MoleLinear extends Module implements Layer {
    private final String name;
    private final LoraLinear lora;
    private final List<String> experts;
    private final Gate gate;
    private final boolean first;
    private final GateInput gateInput;
    private int usedPass;

    MoleLinear(String name, LoraLinear lora, List<String> experts, Gate gate, GateInput gateInput) {
        this.name = name;
        this.lora = registerModule("experts", lora);
        this.experts = List.copyOf(experts);
        this.gate = gate;
        this.first = gate.layers().getFirst().equals(name);
        this.gateInput = gateInput;
        if (first) {
            registerModule("mole_gate", gate);
        }
    }

    /** The LoraLinear this layer replaced, holding the base and the experts. */
    LoraLinear lora() {
        return lora;
    }

    @Override
    public Tensor forward(Tensor x) {
        lora.mergedAdapter().ifPresent(merged -> {
            throw new IllegalStateException("layer '" + name + "': adapter '" + merged + "' is merged into the base weight, "
                    + "so MoLE would count it twice; unmerge it");
        });
        List<Tensor> outputs = new ArrayList<>(experts.size());
        for (String expert : experts) {
            Tensor output = lora.branchOutput(expert, x);
            outputs.add(output.reshape(withAxisBeforeLast(output.shape())));
        }
        Tensor stacked = F.concat(outputs, -2);
        Tensor weights = first ? gate.open(gateInput(x, stacked)) : sharedWeights(x);
        Tensor mixed = weights.reshape(withTrailingOne(weights.shape())).mul(stacked).sum(false, -2);
        return lora.base().forward(x).add(mixed);
    }

    private Tensor gateInput(Tensor x, Tensor stacked) {
        if (gateInput == GateInput.MODULE_INPUT) {
            return x;
        }
        int[] shape = stacked.shape();
        int[] flat = Arrays.copyOf(shape, shape.length - 1);
        flat[flat.length - 1] = shape[shape.length - 2] * shape[shape.length - 1];
        return stacked.reshape(flat);
    }

    /** The weights the gate's first layer computed in this pass, checked to be fresh and to fit {@code x}. */
    private Tensor sharedWeights(Tensor x) {
        if (gate.pass() == 0 || usedPass == gate.pass()) {
            throw new IllegalStateException("gate '" + gate.name() + "': layer '" + name + "' ran before the gate's first layer '"
                    + gate.layers().getFirst() + "' in this forward pass; a shared gate computes its weights at its first "
                    + "layer in model order, so the model must call that layer first");
        }
        usedPass = gate.pass();
        Tensor weights = gate.latest();
        if (!Arrays.equals(weights.shape(), gate.weightShapeFor(x.shape()))) {
            throw new IllegalStateException("gate '" + gate.name() + "': layer '" + name + "' has input " + Shapes.str(x.shape())
                    + ", but the weights from layer '" + gate.layers().getFirst() + "' are " + Shapes.str(weights.shape()));
        }
        return weights;
    }

    /** {@code [.., out]} → {@code [.., 1, out]}. */
    private static int[] withAxisBeforeLast(int[] shape) {
        int[] out = Arrays.copyOf(shape, shape.length + 1);
        out[shape.length] = shape[shape.length - 1];
        out[shape.length - 1] = 1;
        return out;
    }

    /** {@code [.., N]} → {@code [.., N, 1]}. */
    private static int[] withTrailingOne(int[] shape) {
        int[] out = Arrays.copyOf(shape, shape.length + 1);
        out[shape.length] = 1;
        return out;
    }
}
