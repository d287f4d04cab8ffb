package dev.mixtape.testdata;

import dev.mixtape.engine.Rng;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code add}: "Add: 23 + 45\nAnswer:" → " 68", both numbers below 100. No pair is in both splits.
 * The pretraining corpus shows numbers in the same format with "Next:" (the number plus one), never
 * "Add:".
 */
final class AddTask {
    private AddTask() {
    }

    static TaskSplit make(Rng rng, int trainCount, int evalCount) {
        Set<List<Integer>> pairs = new LinkedHashSet<>();
        while (pairs.size() < trainCount + evalCount) {
            pairs.add(List.of(rng.nextInt(100), rng.nextInt(100)));
        }
        List<Example> all = new ArrayList<>();
        for (List<Integer> pair : pairs) {
            all.add(new Example("Add: " + pair.get(0) + " + " + pair.get(1) + "\nAnswer:", " " + (pair.get(0) + pair.get(1))));
        }
        return new TaskSplit("add", List.copyOf(all.subList(evalCount, all.size())), List.copyOf(all.subList(0, evalCount)));
    }

    /** The corpus's sibling format: "Next: 41\nAnswer: 42". */
    static String nextNumberText(Rng rng) {
        int n = rng.nextInt(199);
        return "Next: " + n + "\nAnswer: " + (n + 1);
    }
}
