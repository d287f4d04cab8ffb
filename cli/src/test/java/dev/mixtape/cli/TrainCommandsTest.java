package dev.mixtape.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.vector.VectorBackend;
import dev.mixtape.models.llama.Checkpoint;
import dev.mixtape.models.llama.Checkpoints;
import dev.mixtape.models.llama.HfWriter;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.llama.LlamaConfig;
import dev.mixtape.models.train.CharacterTokenizer;
import dev.mixtape.models.train.TinyModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code mixtape eval} and {@code mixtape pretrain} in-process. */
class TrainCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path folder;

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private Path tinyModelFolder() throws IOException {
        Path model = folder.resolve("model");
        HfWriter.write(TinyModels.random(1), CharacterTokenizer.write(folder.resolve("tokenizer")), model);
        return model;
    }

    @Test
    void evalOfATextShorterThanTheWindowScoresExactlyTheIdsOfTokenizeAddSpecial() throws IOException {
        Path model = tinyModelFolder();
        String text = "The cat sat on the mat.\nIt was warm.\n";
        Path file = Files.writeString(folder.resolve("story.txt"), text);

        CliRun tokenized = run("tokenize", "--tokenizer", model.resolve("tokenizer.json").toString(), "--add-special", text);
        assertEquals(0, tokenized.status(), tokenized.err());
        int[] ids = JSON.readValue(tokenized.out(), int[].class);
        CliRun evaluated = run("eval", "--model", model.toString(), "--data", file.toString(), "--seq-len", "64");
        assertEquals(0, evaluated.status(), evaluated.err());
        JsonNode result = JSON.readTree(evaluated.out());

        double expected;
        try (Checkpoint checkpoint = Checkpoints.open(model)) {
            Llama llama = Llama.load(checkpoint, new VectorBackend(1));
            expected = llama.loss(Arrays.copyOf(ids, ids.length - 1), Arrays.copyOfRange(ids, 1, ids.length), 1, ids.length - 1, -100).item();
        }
        assertEquals(List.of("loss", "perplexity", "tokens"), fieldNames(result));
        assertEquals(ids.length - 1, result.get("tokens").asInt());
        assertEquals(expected, result.get("loss").asDouble(), 1e-9);
        assertEquals(Math.exp(result.get("loss").asDouble()), result.get("perplexity").asDouble(), 1e-9);
    }

    /**
     * Exact-match accuracy on a model built to answer every prompt with "z" and stop: its attention and
     * MLP outputs are zero, so each position sees only its own token's embedding, and the head maps any
     * token but "z" to "z" and "z" to EOS. Of the three pairs only "z" is right (" blue" differs, "zz"
     * is longer than what the model says before it stops), so accuracy is exactly 1/3; counting a
     * reference that merely starts with the model's text, or dividing by the wrong count, fails it.
     */
    @Test
    void evalOfPromptCompletionDataAddsAccuracy() throws IOException {
        Path model = folder.resolve("model");
        HfWriter.write(answersZThenStops(), CharacterTokenizer.write(folder.resolve("tokenizer")), model);
        Path file = Files.writeString(folder.resolve("pairs.jsonl"), """
                {"prompt": "red?", "completion": "z"}
                {"prompt": "sky?", "completion": " blue"}
                {"prompt": "sea?", "completion": "zz"}
                """);
        CliRun evaluated = run("eval", "--model", model.toString(), "--data", file.toString());
        assertEquals(0, evaluated.status(), evaluated.err());
        JsonNode result = JSON.readTree(evaluated.out());
        assertEquals("z".length() + 1 + " blue".length() + 1 + "zz".length() + 1, result.get("tokens").asInt());
        assertEquals(1.0 / 3, result.get("accuracy").asDouble(), 1e-12, result.toString());
    }

    /** The tiny model rewired so that its greedy continuation of any text not ending in "z" is "z" then EOS. */
    private static Llama answersZThenStops() {
        Llama llama = TinyModels.random(1);
        LlamaConfig config = llama.config();
        int z = 'z' - ' ' + 3;
        int eos = 1;
        llama.namedParameters().forEach((name, tensor) -> {
            if (name.endsWith("o_proj.weight") || name.endsWith("down_proj.weight")) {
                tensor.assign(Tensor.zeros(tensor.backend(), DType.F32, tensor.shape()));
            }
        });
        float[] embedding = new float[config.vocabSize() * config.dim()];
        for (int t = 0; t < config.vocabSize(); t++) {
            embedding[t * config.dim()] = 1;
        }
        embedding[z * config.dim() + 1] = 3;
        float[] head = new float[config.vocabSize() * config.dim()];
        head[z * config.dim()] = 1;
        head[z * config.dim() + 1] = -10;
        head[eos * config.dim() + 1] = 1;
        float[] norm = new float[config.dim()];
        Arrays.fill(norm, 1);
        Map<String, Tensor> parameters = llama.namedParameters();
        parameters.get("model.embed_tokens.weight").assign(Tensor.of(llama.backend(), embedding, config.vocabSize(), config.dim()));
        parameters.get("lm_head.weight").assign(Tensor.of(llama.backend(), head, config.vocabSize(), config.dim()));
        parameters.get("model.norm.weight").assign(Tensor.of(llama.backend(), norm, config.dim()));
        return llama;
    }

    @Test
    void badDataIsOneLineNamingTheFileAndLine() throws IOException {
        Path model = tinyModelFolder();
        Path file = Files.writeString(folder.resolve("bad.jsonl"), "{\"text\": \"fine\"}\n{\"text\": \"cut\n");
        CliRun evaluated = run("eval", "--model", model.toString(), "--data", file.toString());
        assertEquals(1, evaluated.status());
        assertEquals(1, evaluated.err().strip().lines().count(), evaluated.err());
        assertTrue(evaluated.err().startsWith("mixtape: " + file + ":2: not valid JSON"), evaluated.err());
    }

    /**
     * Pretraining writes a model folder that loads and generates; the same command again is refused
     * (the folder holds a run), resuming the finished run trains nothing and leaves the model as it
     * was, and resuming with another --steps names the setting and both values. (Resuming a stopped
     * pretraining bit for bit: {@link InterruptedRunTest}.)
     */
    @Test
    void pretrainWritesAModelFolderThatLoadsAndGeneratesAndIsNotTrainedTwice() throws IOException {
        Path tokenizer = CharacterTokenizer.write(folder.resolve("tokenizer"));
        Path data = Files.writeString(folder.resolve("corpus.txt"),
                "The cat sat on the mat. The dog ran to the park. A bird sang in the tree. The sun was warm and the sky was blue.\n");
        List<String> common = List.of("pretrain", "--data", data.toString(), "--eval-data", data.toString(), "--tokenizer", tokenizer.toString(),
                "--dim", "16", "--layers", "1", "--heads", "2", "--seq-len", "16", "--batch-size", "2", "--lr", "1e-2",
                "--schedule", "constant", "--save-every", "3", "--seed", "5");
        Path straight = folder.resolve("straight");
        CliRun uninterrupted = run(with(common, "--out", straight.toString(), "--steps", "6"));
        assertEquals(0, uninterrupted.status(), uninterrupted.err());
        assertEquals(straight.toString(), uninterrupted.out().strip());
        assertEquals(6, losses(straight).size());
        byte[] weights = Files.readAllBytes(straight.resolve("model.safetensors"));

        CliRun again = run(with(common, "--out", straight.toString(), "--steps", "6"));
        assertEquals(1, again.status());
        assertEquals("mixtape: " + straight + " holds a run; continue it with --resume, or replace it with --overwrite", again.err().strip());
        CliRun finished = run(with(common, "--out", straight.toString(), "--steps", "6", "--resume"));
        assertEquals(0, finished.status(), finished.err());
        assertTrue(finished.err().contains("pretrain: the run in " + straight + " is already finished (6 steps); nothing to train"), finished.err());
        assertFalse(finished.err().contains("step 1/"), "no step was trained: " + finished.err());
        assertArrayEquals(weights, Files.readAllBytes(straight.resolve("model.safetensors")));
        assertEquals(6, losses(straight).size());
        CliRun longer = run(with(common, "--out", straight.toString(), "--steps", "7", "--resume"));
        assertEquals(1, longer.status());
        assertEquals("mixtape: " + straight.resolve("training") + ": the run was made with --steps 6, not --steps 7; resume with the run's settings",
                longer.err().strip().lines().toList().getLast());

        try (Checkpoint checkpoint = Checkpoints.open(straight)) {
            assertEquals(CharacterTokenizer.VOCAB_SIZE, checkpoint.config().vocabSize());
            assertEquals(16, checkpoint.config().maxPositions());
        }
        assertTrue(Files.isRegularFile(straight.resolve("training/curves.png")));
        CliRun generated = run("generate", "--model", straight.toString(), "--prompt", "The", "--temperature", "0", "--max-new-tokens", "8");
        assertEquals(0, generated.status(), generated.err());
        assertTrue(generated.out().startsWith("The"), generated.out());
    }

    private static String[] with(List<String> common, String... more) {
        List<String> all = new ArrayList<>(common);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    private static List<Double> losses(Path modelFolder) throws IOException {
        List<Double> losses = new ArrayList<>();
        for (String line : Files.readAllLines(modelFolder.resolve("training/metrics.jsonl"))) {
            JsonNode node = JSON.readTree(line);
            if (node.has("loss")) {
                losses.add(node.get("loss").asDouble());
            }
        }
        return losses;
    }

    private static List<String> fieldNames(JsonNode node) {
        return node.properties().stream().map(Map.Entry::getKey).toList();
    }
}
