package dev.mixtape.testdata;

import dev.mixtape.engine.Rng;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code reverse}: "Reverse: cat sun tree\nAnswer:" → " tree sun cat", lists of 3 to 5 distinct
 * words. No list is in both splits. The pretraining corpus shows the same format with "Repeat:"
 * (the list as it is), never "Reverse:", so the format is known but the operation is not.
 */
final class ReverseTask {
    private ReverseTask() {
    }

    /** The prompt for a list of words under {@code operation} ("Reverse" or "Repeat"). */
    static String prompt(String operation, List<String> words) {
        return operation + ": " + String.join(" ", words) + "\nAnswer:";
    }

    /** A random list of 3 to 5 distinct task words. */
    static List<String> randomList(Rng rng) {
        return Draw.distinct(Words.LIST_WORDS, Draw.between(3, 5, rng), rng);
    }

    static TaskSplit make(Rng rng, int trainCount, int evalCount) {
        Map<String, List<String>> lists = new LinkedHashMap<>();
        while (lists.size() < trainCount + evalCount) {
            List<String> words = randomList(rng);
            lists.putIfAbsent(String.join(" ", words), words);
        }
        List<Example> all = new ArrayList<>();
        for (List<String> words : lists.values()) {
            all.add(new Example(prompt("Reverse", words), " " + String.join(" ", words.reversed())));
        }
        return new TaskSplit("reverse", List.copyOf(all.subList(evalCount, all.size())), List.copyOf(all.subList(0, evalCount)));
    }
}
