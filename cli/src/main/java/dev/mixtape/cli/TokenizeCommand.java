package dev.mixtape.cli;

import dev.mixtape.models.tokenizer.Tokenizer;
import dev.mixtape.models.tokenizer.Tokenizers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** {@code mixtape tokenize}: prints the ids of a text as a JSON array. */
@Command(name = "tokenize", mixinStandardHelpOptions = true, description = "Print the token ids of TEXT as a JSON array (the tokenizer of --model, or --tokenizer).")
final class TokenizeCommand implements Callable<Integer> {
    @Mixin
    ModelOption model;

    @Mixin
    TokenizerOption tokenizer;

    @Option(names = "--add-special", description = "Add the special tokens the format adds (BOS, the post-processor's).")
    boolean addSpecial;

    @Parameters(index = "0", description = "The text.")
    String text;

    @Override
    public Integer call() throws Exception {
        Tokenizer loaded = tokenizer.given != null ? Tokenizers.load(tokenizer.given) : Tokenizers.forModel(model.path());
        int[] ids = loaded.encode(text, addSpecial);
        System.out.println(Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(",", "[", "]")));
        return 0;
    }
}
