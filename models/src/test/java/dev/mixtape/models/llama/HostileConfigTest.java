package dev.mixtape.models.llama;

import dev.mixtape.engine.Backend;
import dev.mixtape.engine.vector.VectorBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Path;

import static dev.mixtape.models.llama.BrokenModels.assertNames;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A {@code config.json} that is corrupt, hostile or contradicts its weights is refused in one line
 * naming the file and the key, before anything is allocated for it; a huge but legal context is
 * loaded and decoded in the memory the session uses.
 */
class HostileConfigTest {
    private final Backend backend = new VectorBackend(1);

    /**
     * Each real key set to a value that a lenient reader would truncate ({@code 64.5 → 64},
     * {@code 1e10 → an overflowed int}), accept (zero, negative) or only trip over much later
     * (products overflowing an int, a token id beyond the vocabulary): the message must name the key.
     */
    @ParameterizedTest(name = "{0}: {1} -> {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '~', value = {
        "\"hidden_size\": 64          | \"hidden_size\": 64.5          | 'hidden_size' is 64.5, not an integer",
        "\"hidden_size\": 64          | \"hidden_size\": \"64\"        | 'hidden_size' is \"64\", not a number",
        "\"hidden_size\": 64          | \"hidden_size\": 0             | hidden_size must be in 1..",
        "\"num_attention_heads\": 8   | \"num_attention_heads\": -8    | num_attention_heads must be in 1..",
        "\"num_hidden_layers\": 5     | \"num_hidden_layers\": 10000000 | num_hidden_layers must be in 1..65536",
        "\"vocab_size\": 512          | \"vocab_size\": 10000000000    | 'vocab_size' is 10000000000, outside the range of an int",
        "\"vocab_size\": 512          | \"vocab_size\": 1000000000     | vocab_size × hidden_size = 1000000000 × 64",
        "\"num_attention_heads\": 8   | \"num_attention_heads\": 8, \"head_dim\": 1073741824 | num_attention_heads × head_dim × hidden_size = 8589934592 × 64",
        "\"intermediate_size\": 172   | \"intermediate_size\": 2000000000 | intermediate_size × hidden_size",
        "\"num_key_value_heads\": 4   | \"num_key_value_heads\": 3     | num_attention_heads 8 is not a multiple of num_key_value_heads 3",
        "\"num_key_value_heads\": 4   | \"num_key_value_heads\": 16    | num_key_value_heads must be in 1..8",
        "\"max_position_embeddings\": 512 | \"max_position_embeddings\": 0 | max_position_embeddings must be in 1..",
        "\"rms_norm_eps\": 1e-05      | \"rms_norm_eps\": -1e-05       | rms_norm_eps must be positive",
        "\"rope_theta\": 10000.0      | \"rope_theta\": 1e999          | rope_theta",
        "\"bos_token_id\": 1          | \"bos_token_id\": 512          | bos_token_id must be in -1..511",
        "\"eos_token_id\": 2          | \"eos_token_id\": [2.5]        | 'eos_token_id[0]' is 2.5, not an integer",
        "\"hidden_size\": 64          | \"hidden_size\": 64, \"hidden_size\": 128 | Duplicate field 'hidden_size'",
        "\"torch_dtype\": \"float32\"\\n}  | \"torch_dtype\": \"float32\"\\n}\\n{\"hidden_size\": 1} | not valid JSON",
        "\"torch_dtype\": \"float32\"\\n}  | \"torch_dtype\": \"float32\"\\n} garbage | not valid JSON",
    })
    void aBadFieldIsRefusedNamingTheFileAndTheKey(String real, String broken, String expected, @TempDir Path dir) throws IOException {
        Path folder = BrokenModels.hfFolderWithConfig(dir, config -> config.replace(unescape(real), unescape(broken)));
        Exception e = assertThrows(Exception.class, () -> Llama.load(folder, backend));
        assertNames(e.getMessage(), folder.resolve("config.json"), expected);
    }

    private static String unescape(String csv) {
        return csv.replace("\\n", "\n");
    }

    /**
     * A config whose sizes are each legal but do not match the weights: the layer count is refused
     * before a module is built for it, a shape naming the tensor before any weight is read.
     */
    @Test
    void aConfigThatContradictsTheWeightsNamesWhatDiffers(@TempDir Path dir) throws IOException {
        Path layers = BrokenModels.hfFolderWithConfig(dir.resolve("layers"), c -> c.replace("\"num_hidden_layers\": 5", "\"num_hidden_layers\": 60000"));
        IOException tooMany = assertThrows(IOException.class, () -> Llama.load(layers, backend));
        assertNames(tooMany.getMessage(), layers, "the config has 60000 layers (num_hidden_layers) but the weights have 5");

        Path vocab = BrokenModels.hfFolderWithConfig(dir.resolve("vocab"), c -> c.replace("\"vocab_size\": 512", "\"vocab_size\": 32000000"));
        IOException wider = assertThrows(IOException.class, () -> Llama.load(vocab, backend));
        assertNames(wider.getMessage(), vocab, "'model.embed_tokens.weight' has shape [512, 64] but the config implies [32000000, 64]");
    }

    /**
     * {@code max_position_embeddings} of 2³¹−1 is legal: allocating the RoPE table or the KV cache for
     * the whole context up front would need terabytes, so this proves both grow with what a session
     * uses; the greedy tokens must equal those of the real config.
     */
    @Test
    void aHugeContextCostsOnlyWhatIsUsed(@TempDir Path dir) throws IOException {
        Path huge = BrokenModels.hfFolderWithConfig(dir, c -> c.replace("\"max_position_embeddings\": 512",
                "\"max_position_embeddings\": 2147483647"));
        Llama model = Llama.load(huge, backend);
        Llama reference = Llama.load(BrokenModels.hfFolder(dir.resolve("reference")), backend);
        assertEquals(Integer.MAX_VALUE, model.config().maxPositions());
        assertEquals(greedy(reference, 300, reference.newSession(301)), greedy(model, 300, model.newSession(Integer.MAX_VALUE)));
    }

    private static String greedy(Llama model, int steps, Llama.Session session) {
        StringBuilder ids = new StringBuilder();
        int token = 1;
        for (int i = 0; i < steps; i++) {
            float[] logits = session.forward(token);
            int best = 0;
            for (int j = 1; j < logits.length; j++) {
                if (logits[j] > logits[best]) {
                    best = j;
                }
            }
            token = best;
            ids.append(token).append(' ');
        }
        return ids.toString();
    }
}
