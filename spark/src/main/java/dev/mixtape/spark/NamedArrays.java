package dev.mixtape.spark;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Tensor;

import java.io.Serializable;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tensors' values as plain arrays, for the wire: the adapter's weights the driver broadcasts, the
 * gradients a partition sends back, an optimizer's state. {@code values[i]} of shape {@code shapes[i]}
 * belongs to {@code names[i]}; a null entry is a gradient that nothing reached.
 */
record NamedArrays(String[] names, int[][] shapes, float[][] values) implements Serializable {

    /** The values of {@code tensors}, in their order. */
    static NamedArrays of(Map<String, Tensor> tensors) {
        return new NamedArrays(tensors.keySet().toArray(String[]::new), tensors.values().stream().map(Tensor::shape).toArray(int[][]::new),
                tensors.values().stream().map(Tensor::toFloatArray).toArray(float[][]::new));
    }

    /** The values of {@code tensors} (null entries stay null), under {@code names}. */
    static NamedArrays of(String[] names, List<Tensor> tensors) {
        return new NamedArrays(names, tensors.stream().map(tensor -> tensor == null ? null : tensor.shape()).toArray(int[][]::new),
                tensors.stream().map(tensor -> tensor == null ? null : tensor.toFloatArray()).toArray(float[][]::new));
    }

    /** Copies each value into the tensor of its name in {@code targets}, which must hold the same names in the same order. */
    void copyInto(Map<String, Tensor> targets) {
        requireNames(targets);
        int i = 0;
        for (Tensor target : targets.values()) {
            target.assign(Tensor.of(target.backend(), values[i++], target.shape()));
        }
    }

    /** The values as tensors shaped and placed like {@code like}'s (null stays null), in order. */
    List<Tensor> toTensors(Map<String, Tensor> like) {
        requireNames(like);
        Tensor[] tensors = new Tensor[names.length];
        int i = 0;
        for (Tensor model : like.values()) {
            tensors[i] = values[i] == null ? null : Tensor.of(model.backend(), values[i], model.shape());
            i++;
        }
        return Arrays.asList(tensors);
    }

    /** The values as tensors on {@code backend}, by name, in order (no null entries). */
    Map<String, Tensor> toMap(Backend backend) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) {
            tensors.put(names[i], Tensor.of(backend, values[i], shapes[i]));
        }
        return tensors;
    }

    private void requireNames(Map<String, Tensor> tensors) {
        if (!Arrays.equals(names, tensors.keySet().toArray(String[]::new))) {
            throw new IllegalStateException("the driver's and an executor's adapters differ: " + Arrays.toString(names) + " vs "
                    + tensors.keySet());
        }
    }
}
