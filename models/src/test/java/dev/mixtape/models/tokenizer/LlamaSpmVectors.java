package dev.mixtape.models.tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * llama.cpp's tokenizer test vectors: the {@code .inp} file holds texts separated by
 * {@code "\n__ggml_vocab_test__\n"} (the file ends with one), the {@code .out} file one line of
 * space-separated ids per text, without BOS.
 */
record LlamaSpmVectors(List<String> texts, List<int[]> ids) {
    private static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    static LlamaSpmVectors read(Path inp, Path out) throws IOException {
        String all = Files.readString(inp, StandardCharsets.UTF_8);
        List<String> texts = new ArrayList<>();
        int at = 0;
        while (at < all.length()) {
            int end = all.indexOf(SEPARATOR, at);
            if (end < 0) {
                end = all.length();
            }
            texts.add(all.substring(at, end));
            at = end + SEPARATOR.length();
        }
        List<int[]> ids = new ArrayList<>();
        for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
            String trimmed = line.strip();
            ids.add(trimmed.isEmpty() ? new int[0] : Arrays.stream(trimmed.split(" ")).mapToInt(Integer::parseInt).toArray());
        }
        if (texts.size() != ids.size()) {
            throw new IOException(inp + " has " + texts.size() + " texts but " + out + " has " + ids.size() + " lines");
        }
        return new LlamaSpmVectors(List.copyOf(texts), List.copyOf(ids));
    }
}
