package dev.mixtape.cli;

import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.tokenizer.Tokenizers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** {@code mixtape tokenize}: prints the ids of a text as a JSON array. */
@Command(name = "tokenize", mixinStandardHelpOptions = true, description = "Print the token ids of TEXT as a JSON array.")
final class TokenizeCommand implements Callable<Integer> {
    @Option(names = "--tokenizer", required = true, description = "tokenizer.json, a llama2.c tokenizer .bin, or a .gguf.")
    Path tokenizer;

    @Option(names = "--add-special", description = "Add the special tokens the format adds (BOS, the post-processor's).")
    boolean addSpecial;

    @Parameters(index = "0", description = "The text.")
    String text;

    @Override
    public Integer call() throws Exception {
        Tokenizer loaded = Tokenizers.load(tokenizer);
        int[] ids = loaded.encode(text, addSpecial);
        System.out.println(Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(",", "[", "]")));
        return 0;
    }
}
