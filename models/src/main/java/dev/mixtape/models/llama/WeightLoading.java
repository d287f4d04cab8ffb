package dev.mixtape.models.llama;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.BlockWeights;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.io.FiniteScan;
import dev.mixtape.engine.quant.BlockFormat;
import dev.mixtape.engine.quant.BlockFormats;
import dev.mixtape.engine.quant.QuantizedMatrix;
import dev.mixtape.engine.quant.QuantizingFormat;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * How {@link Llama#load} turns each stored tensor into the weight the model keeps: a block-format
 * matrix of a GGUF stays in its blocks (copied out of the file's mapping) when the weights are
 * loaded {@link Llama#AS_STORED} or in that very format; otherwise the tensor is read as floats and
 * kept in the type asked for ({@link #kept}). Every weight is scanned for NaN and ±Inf.
 */
final class WeightLoading {
    private final Checkpoint checkpoint;
    private final Backend backend;
    private final DType weights;
    private final NonFiniteWeights nonFinite;
    private final boolean holdsBlocks;

    WeightLoading(Checkpoint checkpoint, Backend backend, DType weights, NonFiniteWeights nonFinite) {
        this.checkpoint = checkpoint;
        this.backend = backend;
        this.weights = weights;
        this.nonFinite = nonFinite;
        this.holdsBlocks = backend.capability(BlockWeights.class).isPresent();
    }

    /** The weight {@code name}, of the stand-in's {@code shape}, as the model keeps it. */
    Tensor read(String name, int[] shape) throws IOException {
        DType stored = blockFormatOf(checkpoint.stored(name).type());
        if (keepsBlocks(stored, weights, holdsBlocks)) {
            QuantizedMatrix matrix = checkpoint.readBlocks(name);
            requireFinite(name, matrix);
            MemorySegment blocks = MemorySegment.ofArray(matrix.blocks().toArray(ValueLayout.JAVA_BYTE));
            return Tensor.ofBlocks(backend, stored, blocks, matrix.rows(), matrix.cols());
        }
        requireSingleRounding(checkpoint, name, stored, weights);
        float[] values = checkpoint.readFloats(name);
        requireFinite(name, values);
        return weights == Llama.AS_STORED ? Tensor.adopting(backend, values, shape) : kept(backend, values, shape, weights);
    }

    /**
     * The bytes the weights of {@code checkpoint} take once loaded in {@code weights} onto a backend
     * that holds block formats, computed from the stored types and shapes alone; refused, as
     * loading refuses it, where {@code weights} would quantise a block-format tensor again.
     */
    static long bytesOnceLoaded(Checkpoint checkpoint, DType weights) throws IOException {
        long bytes = 0;
        for (String name : checkpoint.names()) {
            int[] shape = checkpoint.shape(name);
            long elements = 1;
            for (int dim : shape) {
                elements *= dim;
            }
            DType stored = blockFormatOf(checkpoint.stored(name).type());
            if (keepsBlocks(stored, weights, true)) {
                bytes += stored.storageBytes(elements);
            } else {
                requireSingleRounding(checkpoint, name, stored, weights);
                bytes += keptType(shape, weights == Llama.AS_STORED ? DType.F32 : weights).storageBytes(elements);
            }
        }
        return bytes;
    }

    /** Whether a tensor stored in {@code stored} (null: not a block format) stays in its blocks. */
    private static boolean keepsBlocks(DType stored, DType weights, boolean holdsBlocks) {
        return stored != null && (weights == stored || weights == Llama.AS_STORED && holdsBlocks);
    }

    /** Refuses quantising a tensor that is stored quantised already (into another format). */
    private static void requireSingleRounding(Checkpoint checkpoint, String name, DType stored, DType weights) throws IOException {
        if (stored != null && weights != Llama.AS_STORED && weights.isBlockFormat()) {
            throw new IOException(checkpoint.source() + ": tensor '" + name + "' is stored in " + stored + "; quantising it to "
                    + weights + " would round it twice: load the file's own types (no --weights) or f32/bf16");
        }
    }

    /**
     * A weight of {@code shape} holding {@code values} (a new array, handed over), kept in
     * {@code dtype} if it is a matrix: BF16, or Q8_0 / Q4_0 when its rows are whole blocks (F32
     * otherwise, as llama.cpp keeps a tensor it cannot quantise); vectors stay F32.
     */
    static Tensor kept(Backend backend, float[] values, int[] shape, DType dtype) {
        DType type = keptType(shape, dtype);
        if (type.isBlockFormat()) {
            QuantizedMatrix matrix = QuantizedMatrix.quantize(quantizingFormat(type), values, shape[0], shape[1]);
            return Tensor.ofBlocks(backend, type, matrix.blocks(), shape[0], shape[1]);
        }
        Tensor weight = Tensor.adopting(backend, values, shape);
        return type == DType.F32 ? weight : weight.to(type);
    }

    /** The type a tensor of {@code shape} is kept in when the weights are asked for in {@code dtype}. */
    static DType keptType(int[] shape, DType dtype) {
        if (shape.length != 2) {
            return DType.F32;
        }
        if (dtype.isBlockFormat() && !WeightQuantization.quantizes(shape, quantizingFormat(dtype))) {
            return DType.F32;
        }
        return dtype;
    }

    /** The format {@code dtype} quantises into: Q8_0 or Q4_0. */
    static QuantizingFormat quantizingFormat(DType dtype) {
        if (BlockFormats.named(dtype.name()) instanceof QuantizingFormat format) {
            return format;
        }
        throw new IllegalArgumentException("weights are quantised into Q8_0 or Q4_0, not " + dtype);
    }

    /** The block format a file's type name stands for, or null for F32, F16, BF16. */
    private static DType blockFormatOf(String type) {
        BlockFormat format = BlockFormats.named(type);
        return format == null ? null : DType.valueOf(format.name());
    }

    private void requireFinite(String name, float[] values) throws IOException {
        int bad = FiniteScan.firstNonFinite(values);
        if (bad >= 0) {
            reportNonFinite(name, values[bad], bad);
        }
    }

    /**
     * {@link #requireFinite(String, float[])} for a block-format matrix, decoded a row at a time: a
     * file's largest matrices (a 1B model's embeddings: 128,256 × 2,048) would take gigabytes as floats.
     */
    private void requireFinite(String name, QuantizedMatrix matrix) throws IOException {
        float[] row = new float[matrix.cols()];
        for (int r = 0; r < matrix.rows(); r++) {
            matrix.dequantizeRow(r, row, 0);
            int bad = FiniteScan.firstNonFinite(row);
            if (bad >= 0) {
                reportNonFinite(name, row[bad], (long) r * matrix.cols() + bad);
                return;
            }
        }
    }

    /** Refuses, or warns of, tensor {@code name} holding {@code value} at {@code element}, as {@link #nonFinite} says. */
    private void reportNonFinite(String name, float value, long element) throws IOException {
        String problem = checkpoint.source() + ": tensor '" + name + "' holds " + value + " at element " + element;
        if (nonFinite == NonFiniteWeights.REFUSE) {
            throw new IOException(problem + " (a corrupt or diverged checkpoint; --allow-nonfinite-weights loads it anyway)");
        }
        System.err.println("mixtape: warning: " + problem + "; loading it anyway, as asked");
    }
}
