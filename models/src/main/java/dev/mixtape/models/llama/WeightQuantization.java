package dev.mixtape.models.llama;

import dev.mixtape.engine.quant.BlockFormat;
import dev.mixtape.engine.quant.QuantizedMatrix;
import dev.mixtape.engine.quant.QuantizingFormat;

import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Quantise-on-load: turning the weight matrices of an f32, f16 or bf16 checkpoint into blocks of a
 * {@link QuantizingFormat} (Q8_0, Q4_0) as they are read, so that an HF model can run, and take
 * adapters, on a quantised base. A tensor is quantised when it is a matrix (2-D: the attention and
 * MLP projections, the embeddings, the output head) whose rows are whole blocks; the others (norm
 * weights, and matrices such as stories260K's {@code down_proj} with rows of 172) stay in floats, as
 * llama.cpp keeps a tensor it cannot quantise.
 */
public final class WeightQuantization {
    private WeightQuantization() {
    }

    /** True when a tensor of this shape is kept in {@code format} under quantise-on-load. */
    public static boolean quantizes(int[] shape, BlockFormat format) {
        return shape.length == 2 && shape[1] % format.blockSize() == 0 && shape[0] > 0;
    }

    /** Reads tensor {@code name} of {@code checkpoint} and quantises it; it must be one {@link #quantizes} accepts. */
    public static QuantizedMatrix quantize(Checkpoint checkpoint, String name, QuantizingFormat format) throws IOException {
        int[] shape = checkpoint.shape(name);
        if (!quantizes(shape, format)) {
            throw new IllegalArgumentException(checkpoint.source() + ": tensor '" + name + "' of shape "
                    + Arrays.toString(shape) + " is not a matrix of whole " + format.name() + " blocks");
        }
        return QuantizedMatrix.quantize(format, checkpoint.readFloats(name), shape[0], shape[1]);
    }

    /** Every tensor of {@code checkpoint} that {@link #quantizes} accepts, quantised, in the checkpoint's order. */
    public static Map<String, QuantizedMatrix> quantizeAll(Checkpoint checkpoint, QuantizingFormat format) throws IOException {
        Map<String, QuantizedMatrix> matrices = new LinkedHashMap<>();
        for (String name : checkpoint.names()) {
            if (quantizes(checkpoint.shape(name), format)) {
                matrices.put(name, quantize(checkpoint, name, format));
            }
        }
        return matrices;
    }
}
