package dev.mixtape.testdata;

import dev.mixtape.engine.Rng;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * {@code facts}: questions about the made-up countries of a {@link FactTable}, e.g. "The capital of
 * Zorbia is" → " Quelt". Each fact (a country's capital, a country's language) has three phrasings;
 * two go to training and the third, chosen at random, is held out for evaluation. So evaluation asks
 * about facts taught in training, in words not seen with that fact.
 */
final class FactsTask {
    private record Relation(List<String> templates, Function<FactTable.Country, String> answer) {
    }

    private static final List<Relation> RELATIONS = List.of(
            new Relation(List.of("The capital of %s is", "Q: What is the capital of %s?\nAnswer:", "%s has its capital in"),
                    FactTable.Country::capital),
            new Relation(List.of("The people of %s speak", "Q: What language is spoken in %s?\nAnswer:", "In %s, people speak"),
                    FactTable.Country::language));

    private FactsTask() {
    }

    /** Every phrasing of every fact about {@code country}: one list per relation. */
    static List<List<Example>> phrasings(FactTable.Country country) {
        List<List<Example>> out = new ArrayList<>();
        for (Relation relation : RELATIONS) {
            List<Example> examples = new ArrayList<>();
            for (String template : relation.templates()) {
                examples.add(new Example(template.formatted(country.name()), " " + relation.answer().apply(country)));
            }
            out.add(examples);
        }
        return out;
    }

    static TaskSplit make(FactTable table, Rng rng) {
        List<Example> train = new ArrayList<>();
        List<Example> eval = new ArrayList<>();
        for (FactTable.Country country : table.task()) {
            for (List<Example> fact : phrasings(country)) {
                int heldOut = rng.nextInt(fact.size());
                for (int i = 0; i < fact.size(); i++) {
                    (i == heldOut ? eval : train).add(fact.get(i));
                }
            }
        }
        Draw.shuffle(train, rng);
        Draw.shuffle(eval, rng);
        return new TaskSplit("facts", List.copyOf(train), List.copyOf(eval));
    }
}
