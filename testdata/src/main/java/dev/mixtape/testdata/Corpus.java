package dev.mixtape.testdata;

import dev.mixtape.engine.Rng;

import java.util.ArrayList;
import java.util.List;

/**
 * The pretraining corpus: documents that are either a short paragraph of {@link Sentences} or one
 * example in a task's format with a sibling operation: "Repeat:" lists (not "Reverse:"), "Next:"
 * numbers (not "Add:") and facts about the corpus countries of the {@link FactTable} (not the task's).
 * A model pretrained on it knows the formats and where an answer ends, and none of the answers.
 */
final class Corpus {
    private Corpus() {
    }

    /** {@code count} documents: about half paragraphs, a quarter "Repeat:", 15% "Next:" and 10% facts. */
    static List<String> documents(Rng rng, FactTable facts, int count) {
        List<String> documents = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            documents.add(document(rng, facts));
        }
        return List.copyOf(documents);
    }

    private static String document(Rng rng, FactTable facts) {
        int kind = rng.nextInt(20);
        if (kind < 10) {
            return Sentences.paragraph(rng);
        }
        return switch (kind) {
            case 10, 11, 12, 13, 14 -> {
                List<String> words = ReverseTask.randomList(rng);
                yield ReverseTask.prompt("Repeat", words) + " " + String.join(" ", words);
            }
            case 15, 16, 17 -> AddTask.nextNumberText(rng);
            default -> {
                Example fact = Draw.one(Draw.one(FactsTask.phrasings(Draw.one(facts.corpus(), rng)), rng), rng);
                yield fact.prompt() + fact.completion();
            }
        };
    }
}
