package dev.mixtape.cli;

import dev.mixtape.engine.SharedFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A quantised GGUF file through the CLI: generating from it, and its tensors in {@code info}. */
class QuantizedGgufCliTest {
    @TempDir
    Path dir;

    /** The models module's Q8_0 stories260K ({@code make_quantized_ggufs.py}), copied out of the test classpath. */
    private Path q8_0Stories() throws IOException {
        Path copy = dir.resolve("stories260K-q8_0.gguf");
        try (InputStream in = QuantizedGgufCliTest.class.getResourceAsStream("/dev/mixtape/models/quant/stories260K-q8_0.gguf")) {
            Files.copy(in, copy);
        }
        return copy;
    }

    /**
     * {@code info} lists each tensor with the type and bytes the file stores it in: the Q8_0 matrices
     * at 34 bytes per 32 elements, ffn_down (rows of 172, not whole blocks) and the norms in F32, and
     * the total of all of them, which is the file's tensor data.
     */
    @Test
    void infoShowsEachTensorsTypeAndBytes() throws IOException {
        Path model = q8_0Stories();
        CliRun info = CliRun.of("info", "--model", model.toString());
        assertEquals(0, info.status(), info.err());
        String out = info.out();
        assertTrue(out.matches("(?s).*\\n  model\\.embed_tokens\\.weight +\\[512, 64\\] +Q8_0 +34,816 bytes\\n.*"), out);
        assertTrue(out.matches("(?s).*\\n  model\\.layers\\.4\\.mlp\\.down_proj\\.weight +\\[64, 172\\] +F32 +44,032 bytes\\n.*"), out);
        assertTrue(out.matches("(?s).*\\n  model\\.layers\\.0\\.self_attn\\.k_proj\\.weight +\\[32, 64\\] +Q8_0 +2,176 bytes\\n.*"), out);
        // 2 × 34,816 (embeddings, head) + 5 × (4,352·2 + 2,176·2 + 11,696·2 + 44,032 + 2 × 256) + 256 (the final norm)
        assertTrue(out.contains("tensor bytes in file: 474,848 (0.5 MB)"), out);
        // loaded as stored, the weights take exactly the file's tensor bytes; q4_0 would quantise Q8_0 blocks again
        assertTrue(out.contains("resident weight bytes: 474,848 as stored (0.5 MB); --weights f32 1.2 MB; --weights bf16 0.6 MB; "
                + "--weights q8_0 0.5 MB; --weights q4_0 refused (stored quantised)"), out);
    }

    /**
     * stories260K with its matrices quantised to Q8_0 by the gguf package ({@code make_quantized_ggufs.py})
     * tells the f32 reference's greedy story for at least its first 200 characters: Q8_0's error is
     * far below what tips a greedy choice that early, while a block decoded wrongly (a scale misread,
     * a byte out of place) turns the text to noise within a few tokens.
     */
    @Test
    void greedyTextFromQ8_0FollowsTheF32Reference() throws IOException {
        Path model = q8_0Stories();
        String expected = Files.readString(SharedFiles.require("models/stories260K/reference/greedy-bos-200.txt")).strip();
        CliRun q8 = CliRun.of("generate", "--model", model.toString(), "--temperature", "0", "--steps", "200");
        assertEquals(0, q8.status(), q8.err());
        String text = q8.out().strip();
        int same = 0;
        while (same < Math.min(expected.length(), text.length()) && expected.charAt(same) == text.charAt(same)) {
            same++;
        }
        assertTrue(same >= 200, "the Q8_0 story leaves the f32 one after " + same + " characters:\n" + text);
        System.out.println("Q8_0 greedy text follows the f32 reference for " + same + " of " + expected.length() + " characters");
    }
}
