package dev.mixtape.testdata;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mixtape.engine.Rng;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes Mixtape's synthetic data sets and their tokenizer; the same files on every run.
 * <pre>
 *   testdata/make [FOLDER]    (default: testdata/src/main/resources/dev/mixtape/testdata)
 * </pre>
 * Into FOLDER:
 * <ul>
 * <li>{@code corpus/train.jsonl}, {@code corpus/eval.jsonl}: pretraining documents {@code {"text": ...}},
 *     each ending with {@code <|eos|>};</li>
 * <li>{@code tasks/<name>/train.jsonl}, {@code tasks/<name>/eval.jsonl} for {@code reverse}, {@code add}
 *     and {@code facts}: {@code {"prompt": ..., "completion": ...}}, and {@code tasks/facts/table.tsv};</li>
 * <li>{@code tokenizer/tokenizer.json} and {@code tokenizer_config.json}: a byte-level BPE of
 *     {@value #VOCAB_SIZE} ids learned from the corpus and the tasks' training examples.</li>
 * </ul>
 * Each part draws from its own seeded generator, so changing one part leaves the others as they are.
 */
public final class MakeTestdata {
    static final long SEED = 7;
    static final int VOCAB_SIZE = 512;
    static final int CORPUS_TRAIN = 6000;
    static final int CORPUS_EVAL = 200;
    static final int TASK_TRAIN = 1000;
    static final int TASK_EVAL = 100;
    static final int TASK_COUNTRIES = 30;
    static final int CORPUS_COUNTRIES = 20;

    private MakeTestdata() {
    }

    /** Writes everything into {@code args[0]}, or the resources folder of this module. */
    public static void main(String[] args) throws IOException {
        Path folder = Path.of(args.length > 0 ? args[0] : "testdata/src/main/resources/dev/mixtape/testdata");
        write(folder);
        System.out.println("wrote " + folder.toAbsolutePath().normalize());
    }

    /** Writes every file into {@code folder}. */
    static void write(Path folder) throws IOException {
        FactTable facts = FactTable.make(new MadeUpNames(new Rng(SEED)), TASK_COUNTRIES, CORPUS_COUNTRIES);
        List<TaskSplit> tasks = List.of(
                ReverseTask.make(new Rng(SEED + 1), TASK_TRAIN, TASK_EVAL),
                AddTask.make(new Rng(SEED + 2), TASK_TRAIN, TASK_EVAL),
                FactsTask.make(facts, new Rng(SEED + 3)));
        List<String> corpusTrain = Corpus.documents(new Rng(SEED + 4), facts, CORPUS_TRAIN);
        List<String> corpusEval = Corpus.documents(new Rng(SEED + 5), facts, CORPUS_EVAL);

        writeDocuments(folder.resolve("corpus/train.jsonl"), corpusTrain);
        writeDocuments(folder.resolve("corpus/eval.jsonl"), corpusEval);
        for (TaskSplit task : tasks) {
            writeExamples(folder.resolve("tasks/" + task.name() + "/train.jsonl"), task.train());
            writeExamples(folder.resolve("tasks/" + task.name() + "/eval.jsonl"), task.eval());
        }
        writeFactTable(folder.resolve("tasks/facts/table.tsv"), facts);

        List<String> tokenizerTexts = new ArrayList<>(corpusTrain);
        for (TaskSplit task : tasks) {
            task.train().forEach(example -> tokenizerTexts.add(example.prompt() + example.completion()));
        }
        int merges = VOCAB_SIZE - TokenizerFiles.SPECIAL_TOKENS.size() - 256;
        Path tokenizer = Files.createDirectories(folder.resolve("tokenizer"));
        TokenizerFiles.write(BpeTrainer.train(tokenizerTexts, merges), tokenizer);
    }

    /**
     * Writes documents as {@code {"text": ...}} lines, each ending with the end-of-sequence token as
     * text ({@code <|eos|>}, which the tokenizer turns into its id, as GPT-2's corpora end documents
     * with {@code <|endoftext|>}). The tokenizer adds BOS in front, so a model pretrained on it sees
     * {@code BOS document EOS}: the shape of a fine-tuning example, and where an answer ends.
     */
    private static void writeDocuments(Path file, List<String> documents) throws IOException {
        List<Map<String, String>> records = new ArrayList<>();
        documents.forEach(document -> records.add(Map.of("text", document + TokenizerFiles.EOS)));
        writeJsonLines(file, records);
    }

    private static void writeExamples(Path file, List<Example> examples) throws IOException {
        List<Map<String, String>> records = new ArrayList<>();
        for (Example example : examples) {
            Map<String, String> record = new LinkedHashMap<>();
            record.put("prompt", example.prompt());
            record.put("completion", example.completion());
            records.add(record);
        }
        writeJsonLines(file, records);
    }

    private static void writeJsonLines(Path file, List<Map<String, String>> records) throws IOException {
        ObjectMapper json = new ObjectMapper();
        StringBuilder lines = new StringBuilder();
        for (Map<String, String> record : records) {
            lines.append(json.writeValueAsString(record)).append('\n');
        }
        Files.createDirectories(file.getParent());
        Files.writeString(file, lines, StandardCharsets.UTF_8);
    }

    private static void writeFactTable(Path file, FactTable facts) throws IOException {
        StringBuilder table = new StringBuilder("country\tcapital\tlanguage\n");
        for (FactTable.Country country : facts.task()) {
            table.append(country.name()).append('\t').append(country.capital()).append('\t').append(country.language()).append('\n');
        }
        Files.writeString(file, table, StandardCharsets.UTF_8);
    }
}
