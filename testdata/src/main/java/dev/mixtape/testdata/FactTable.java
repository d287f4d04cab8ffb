package dev.mixtape.testdata;

import java.util.ArrayList;
import java.util.List;

/**
 * Made-up countries with a capital and a language. The {@code task} countries are what the
 * {@code facts} task asks about; the {@code corpus} countries are different ones whose facts the
 * pretraining corpus states, in the same phrasings, so that the model learns the format without
 * learning any answer of the task.
 */
record FactTable(List<Country> task, List<Country> corpus) {

    /** One country and its facts. */
    record Country(String name, String capital, String language) {
    }

    static FactTable make(MadeUpNames names, int taskCountries, int corpusCountries) {
        return new FactTable(countries(names, taskCountries), countries(names, corpusCountries));
    }

    private static List<Country> countries(MadeUpNames names, int count) {
        List<Country> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(new Country(names.country(), names.city(), names.language()));
        }
        return List.copyOf(out);
    }
}
