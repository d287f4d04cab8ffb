package dev.mixtape.bench;

import dev.mixtape.models.llama.LlamaConfig;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random-weight models in llama2.c's format, for the benchmarks that run whole programs on them
 * ({@link Llama2cBaseline}'s {@code run.c}, {@link ColdStartTable}'s {@code ./mixtape generate}): a
 * temporary directory holding a tokenizer and the checkpoints written into it, deleted by
 * {@link #close}.
 *
 * <p>A checkpoint is the legacy version-0 layout that {@code run.c} reads: seven int32 header fields
 * (dim, hidden, layers, heads, kv heads, vocab — positive for a classifier tied to the embedding — and
 * sequence length), then f32 tensors in its order. Weights are N(0, 0.02), norms 1. Greedy decoding
 * stops at BOS (id 1) in {@code run.c} and at EOS (id 2) in Mixtape, so the embedding rows of both are
 * scaled down a thousandfold and never win the argmax: every run decodes its full length.
 */
final class RandomLlama2cFiles implements AutoCloseable {
    private static final int BOS = 1;
    private static final int EOS = 2;

    private final Path directory;
    private final Path tokenizer;

    /** A new temporary directory with a tokenizer of {@code vocabSize} pieces in it. */
    RandomLlama2cFiles(int vocabSize) throws IOException {
        this.directory = Files.createTempDirectory("mixtape-llama2c-");
        this.tokenizer = directory.resolve("tokenizer.bin");
        writeTokenizer(tokenizer, vocabSize);
    }

    /** The tokenizer, {@code tokenizer.bin}. */
    Path tokenizer() {
        return tokenizer;
    }

    /** Writes a random-weight checkpoint of {@code config}'s shape with {@code seqLen} positions; returns its path. */
    Path checkpoint(String name, LlamaConfig config, int seqLen, long seed) throws IOException {
        Path path = directory.resolve(name + ".bin");
        int dim = config.dim();
        int hidden = config.hiddenDim();
        int layers = config.layers();
        int kvDim = config.kvHeads() * config.headDim();
        int halfHead = config.headDim() / 2;
        SplittableRandom random = new SplittableRandom(seed);
        try (FileChannel out = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer header = ByteBuffer.allocate(7 * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (int field : new int[] {dim, hidden, layers, config.heads(), config.kvHeads(), config.vocabSize(), seqLen}) {
                header.putInt(field);
            }
            out.write(header.flip());
            float[] embedding = normal(random, (long) config.vocabSize() * dim);
            for (int id : new int[] {BOS, EOS}) {
                for (int j = 0; j < dim; j++) {
                    embedding[id * dim + j] *= 1e-3f;
                }
            }
            write(out, embedding);
            write(out, ones(layers * dim));
            write(out, normal(random, (long) layers * dim * dim));
            write(out, normal(random, (long) layers * kvDim * dim));
            write(out, normal(random, (long) layers * kvDim * dim));
            write(out, normal(random, (long) layers * dim * dim));
            write(out, ones(layers * dim));
            write(out, normal(random, (long) layers * hidden * dim));
            write(out, normal(random, (long) layers * dim * hidden));
            write(out, normal(random, (long) layers * hidden * dim));
            write(out, ones(dim));
            // The legacy format's RoPE tables (cos, then sin); run.c skips them and computes its own.
            write(out, new float[seqLen * halfHead]);
            write(out, new float[seqLen * halfHead]);
        }
        return path;
    }

    /** Deletes the checkpoints and the tokenizer. */
    @Override
    public void close() throws IOException {
        try (var files = Files.list(directory)) {
            for (Path file : files.toList()) {
                Files.delete(file);
            }
        }
        Files.delete(directory);
    }

    /**
     * A tokenizer of {@code vocabSize} pieces in llama2.c's format (the longest piece's length, then per
     * piece its score, byte length and bytes): {@code <unk>}, {@code <s>}, {@code </s>}, the 256 byte
     * pieces, then filler words. Only its size matters here: decoding from BOS encodes nothing.
     */
    private static void writeTokenizer(Path path, int vocabSize) throws IOException {
        List<byte[]> pieces = new ArrayList<>();
        for (String special : new String[] {"<unk>", "<s>", "</s>"}) {
            pieces.add(special.getBytes(StandardCharsets.UTF_8));
        }
        for (int b = 0; b < 256; b++) {
            pieces.add(String.format("<0x%02X>", b).getBytes(StandardCharsets.UTF_8));
        }
        for (int i = 0; pieces.size() < vocabSize; i++) {
            pieces.add(String.format("w%05d ", i).getBytes(StandardCharsets.UTF_8));
        }
        int longest = pieces.stream().mapToInt(piece -> piece.length).max().orElse(0);
        ByteBuffer buffer = ByteBuffer.allocate(Integer.BYTES + pieces.size() * (Float.BYTES + Integer.BYTES + longest))
                .order(ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(longest);
        for (int i = 0; i < pieces.size(); i++) {
            buffer.putFloat(-i).putInt(pieces.get(i).length).put(pieces.get(i));
        }
        try (FileChannel out = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            out.write(buffer.flip());
        }
    }

    private static float[] normal(SplittableRandom random, long count) {
        float[] values = new float[Math.toIntExact(count)];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (0.02 * random.nextGaussian());
        }
        return values;
    }

    private static float[] ones(int count) {
        float[] values = new float[count];
        Arrays.fill(values, 1f);
        return values;
    }

    private static void write(FileChannel out, float[] values) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(values);
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }
}
