package dev.mixtape.bench;

import dev.mixtape.models.llama.LlamaConfig;

import java.io.IOException;
import java.io.InputStream;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * llama2.c's {@code run.c} as the decoding table's baseline, run on this machine beside Mixtape: writes a
 * random-weight checkpoint of a table shape in llama2.c's {@code .bin} format, and a 32000-entry
 * {@code tokenizer.bin}, then times a {@code run} binary the user built from llama2.c (its own code stays
 * out of this repository) on them with its OpenMP thread count set.
 *
 * <p>The checkpoint is the legacy version-0 layout that {@code run.c} reads: seven int32 header fields
 * (dim, hidden, layers, heads, kv heads, vocab — positive for a classifier tied to the embedding — and
 * sequence length), then f32 tensors in its order. Weights are N(0, 0.02), norms 1. Greedy decoding in
 * {@code run.c} stops at BOS (id 1), so the embedding rows of BOS and EOS are scaled down a thousandfold
 * and never win the argmax: every run decodes its full length.
 */
final class Llama2cBaseline {
    private static final Pattern ACHIEVED = Pattern.compile("achieved tok/s: ([0-9.]+)");
    private static final int BOS = 1;
    private static final int EOS = 2;

    private final Path runBinary;
    private final Path directory;
    private final Path tokenizer;

    /**
     * A baseline timing {@code runBinary}, with its files in a new temporary directory (deleted by
     * {@link #deleteFiles}).
     */
    Llama2cBaseline(Path runBinary, int vocabSize) throws IOException {
        if (!Files.isExecutable(runBinary)) {
            throw new IllegalArgumentException("--llama2c: " + runBinary + " is not an executable file (build llama2.c's run.c"
                    + " with: gcc -Ofast -march=native -fopenmp -o run run.c -lm)");
        }
        this.runBinary = runBinary;
        this.directory = Files.createTempDirectory("mixtape-llama2c-");
        this.tokenizer = directory.resolve("tokenizer.bin");
        writeTokenizer(tokenizer, vocabSize);
    }

    /** Writes a random-weight checkpoint of {@code config}'s shape with {@code seqLen} positions; returns its path. */
    Path writeCheckpoint(String name, LlamaConfig config, int seqLen, long seed) throws IOException {
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

    /**
     * {@code run.c}'s own figure ("achieved tok/s", over the tokens after the first) for greedy decoding of
     * {@code tokens} tokens from BOS with {@code threads} OpenMP threads: the median of {@code repeats} runs.
     */
    double tokensPerSecond(Path checkpoint, int threads, int tokens, int repeats) throws IOException, InterruptedException {
        double[] figures = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            figures[i] = run(checkpoint, threads, tokens);
        }
        Arrays.sort(figures);
        return figures[repeats / 2];
    }

    private double run(Path checkpoint, int threads, int tokens) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(runBinary.toString(), checkpoint.toString(), "-z", tokenizer.toString(),
                "-t", "0", "-n", Integer.toString(tokens)));
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
        Process process = builder.start();
        String errors;
        try (InputStream stderr = process.getErrorStream()) {
            errors = new String(stderr.readAllBytes(), StandardCharsets.UTF_8);
        }
        int exit = process.waitFor();
        Matcher achieved = ACHIEVED.matcher(errors);
        if (exit != 0 || !achieved.find()) {
            throw new IOException(String.join(" ", command) + " exited with " + exit + " without printing 'achieved tok/s': "
                    + errors.strip());
        }
        return Double.parseDouble(achieved.group(1));
    }

    /** Deletes the checkpoints and tokenizer written. */
    void deleteFiles() throws IOException {
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
