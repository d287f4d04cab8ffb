package dev.mixtape.testdata;

import java.util.List;

/** A fine-tuning task's examples, split into disjoint training and held-out evaluation sets. */
record TaskSplit(String name, List<Example> train, List<Example> eval) {
}
