package dev.mixtape.testdata;

import dev.mixtape.engine.Rng;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Invented proper names (countries, cities, languages) built from syllables, so that no fact about
 * them can be known before it is taught. Every name handed out is unique and differs from every word
 * of {@link Words}.
 */
final class MadeUpNames {
    private static final List<String> ONSETS = List.of("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "dr", "gl", "kr", "qu", "st", "th", "tr");
    private static final List<String> VOWELS = List.of("a", "e", "i", "o", "u", "ai", "ou");
    private static final List<String> CODAS = List.of("l", "n", "r", "s", "t", "m", "x", "nd", "rt", "lk");

    private final Rng rng;
    private final Set<String> used = new HashSet<>();

    MadeUpNames(Rng rng) {
        this.rng = rng;
        for (List<String> words : List.of(Words.NAMES, Words.NOUNS, Words.ADJECTIVES, Words.PLACES, Words.LIST_WORDS)) {
            words.forEach(word -> used.add(word.toLowerCase()));
        }
    }

    /** A country: two syllables and "ia" (Zorbia). */
    String country() {
        return unique(() -> syllable() + syllable() + "ia");
    }

    /** A city: one syllable closed by a consonant (Quelt), sometimes two. */
    String city() {
        return unique(() -> (rng.nextInt(3) == 0 ? syllable() : "") + syllable() + Draw.one(CODAS, rng));
    }

    /** A language: two syllables and "ish" (Velish). */
    String language() {
        return unique(() -> syllable() + syllable() + "ish");
    }

    private String syllable() {
        return Draw.one(ONSETS, rng) + Draw.one(VOWELS, rng);
    }

    private String unique(Supplier<String> make) {
        while (true) {
            String name = make.get();
            if (used.add(name.toLowerCase())) {
                return Character.toUpperCase(name.charAt(0)) + name.substring(1);
            }
        }
    }
}
