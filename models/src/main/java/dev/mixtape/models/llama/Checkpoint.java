package dev.mixtape.models.llama;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.quant.QuantizedMatrix;

import java.io.IOException;
import java.util.List;
import java.util.Set;

/**
 * A Llama checkpoint opened from any format, seen through one vocabulary: Hugging Face tensor names
 * ({@code model.layers.0.self_attn.q_proj.weight}, ...) and the HF ("rotate-half") RoPE layout of the
 * q and k rows. Loaders for formats in the Meta layout permute those rows as they read them.
 */
public interface Checkpoint extends AutoCloseable {

    /** The model's shape and constants. */
    LlamaConfig config();

    /** The weight names present, HF naming ({@code lm_head.weight} absent when tied). */
    List<String> names();

    /** The shape of weight {@code name} as stored, known without reading it; errors name the file and the tensor. */
    int[] shape(String name) throws IOException;

    /**
     * The values of weight {@code name} as f32, row-major in HF's layout, in a new array that is the
     * caller's to keep (a model adopts it as the weight's storage); errors name the file and the tensor.
     */
    float[] readFloats(String name) throws IOException;

    /**
     * Weight {@code name} as the blocks of its block format, in HF's layout, without dequantising, for
     * the formats that store such matrices (GGUF); {@code readBlocks(name).dequantize()} equals
     * {@link #readFloats}. The default, for formats that store none, refuses.
     */
    default QuantizedMatrix readBlocks(String name) throws IOException {
        throw new IOException(source() + ": tensor '" + name + "' is not stored in a block format");
    }

    /** Reads one weight as an f32 tensor on {@code backend}; errors name the file and the tensor. */
    default Tensor read(String name, Backend backend) throws IOException {
        return Tensor.of(backend, readFloats(name), shape(name));
    }

    /** How weight {@code name} is stored in the file (its type and bytes), known without reading it. */
    StoredTensor stored(String name) throws IOException;

    /** The element types the weights are stored in (F32, BF16, Q8_0, ...). */
    Set<String> dtypes();

    /** Where the checkpoint was read from, for messages. */
    String source();

    @Override
    void close() throws IOException;
}
