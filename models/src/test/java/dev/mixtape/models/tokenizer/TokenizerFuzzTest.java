package dev.mixtape.models.tokenizer;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mixtape.engine.FuzzedFiles;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzz targets of tokenizer loading and encoding (docs/FUZZING.md): {@code tokenizer.json} and
 * llama2.c {@code tokenizer.bin} through {@link Tokenizers#load}, then a fuzzer-chosen text encoded
 * and the ids decoded. The loaders' own errors are {@link IOException} (a file too short or cut off)
 * and {@link IllegalArgumentException} (a setting or token the tokenizer cannot honour), each naming
 * the file. A tokenizer that loads must encode any text into ids below its vocabulary size and decode
 * them without error.
 */
@Timeout(10)
class TokenizerFuzzTest {
    private static final List<Class<? extends Exception>> OWN_ERRORS = List.of(IOException.class, IllegalArgumentException.class);

    /** A text, a zero byte, then the bytes of {@code tokenizer.json}: the file loaded, the text through it. */
    @FuzzTest
    void tokenizerJson(byte[] input) throws IOException {
        loadAndEncode("tokenizer.json", input);
    }

    /** A text, a zero byte, then the bytes of a llama2.c {@code tokenizer.bin}: loaded, the text through it. */
    @FuzzTest
    void tokenizerBin(byte[] input) throws IOException {
        loadAndEncode("tokenizer.bin", input);
    }

    /**
     * A well-formed llama2.c {@code tokenizer.bin}: the 259 pieces a vocabulary must start with
     * (unk, BOS, EOS, the 256 byte tokens), the space piece encoding starts with (or not), then
     * fuzzer-chosen pieces and scores, so that encoding (merges by score) is reached on most inputs.
     */
    @FuzzTest
    void tokenizerBinPieces(FuzzedDataProvider data) throws IOException {
        String text = data.consumeString(32);
        ByteBuffer bytes = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putInt(16);
        for (int id = 0; id < 259; id++) {
            piece(bytes, 0, id < 3 ? new String[] {"<unk>", "<s>", "</s>"}[id] : ByteTokens.name(id - 3));
        }
        if (data.consumeBoolean()) {
            piece(bytes, 0, " ");
        }
        for (int i = data.consumeInt(0, 64); i > 0 && bytes.remaining() > 32; i--) {
            piece(bytes, data.consumeFloat(), data.consumeString(8));
        }
        byte[] file = new byte[bytes.position()];
        bytes.flip().get(file);
        Path path = FuzzedFiles.write("tokenizer.bin", file);
        FuzzedFiles.readOrRefuse(path, OWN_ERRORS, () -> roundTrip(Tokenizers.load(path), text, data.consumeBoolean()));
    }

    private static void loadAndEncode(String fileName, byte[] input) throws IOException {
        int split = textLength(input);
        String text = new String(input, 0, split, StandardCharsets.UTF_8);
        Path file = FuzzedFiles.write(fileName, Arrays.copyOfRange(input, Math.min(split + 1, input.length), input.length));
        FuzzedFiles.readOrRefuse(file, OWN_ERRORS, () -> roundTrip(Tokenizers.load(file), text, split % 2 == 0));
    }

    private static int textLength(byte[] input) {
        for (int i = 0; i < input.length; i++) {
            if (input[i] == 0) {
                return i;
            }
        }
        return input.length;
    }

    private static void piece(ByteBuffer bytes, float score, String piece) {
        byte[] latin1 = piece.getBytes(StandardCharsets.ISO_8859_1);
        bytes.putFloat(score).putInt(Math.min(latin1.length, 16)).put(latin1, 0, Math.min(latin1.length, 16));
    }

    private static void roundTrip(Tokenizer tokenizer, String text, boolean addSpecial) {
        int[] ids = tokenizer.encode(text, addSpecial);
        for (int id : ids) {
            assertTrue(id >= 0 && id < tokenizer.vocabSize(), () -> "id " + id + " outside the vocabulary of " + tokenizer.vocabSize());
        }
        tokenizer.decode(ids);
    }
}
