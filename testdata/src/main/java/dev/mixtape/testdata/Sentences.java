package dev.mixtape.testdata;

import dev.mixtape.engine.Rng;

import java.util.List;

/** Simple English-like sentences over {@link Words}: "The small cat sees the red ball." */
final class Sentences {
    private Sentences() {
    }

    /** One sentence from one of the templates below. */
    static String sentence(Rng rng) {
        String name = Draw.one(Words.NAMES, rng);
        String noun = Draw.one(Words.NOUNS, rng);
        String adjective = Draw.one(Words.ADJECTIVES, rng);
        String place = Draw.one(Words.PLACES, rng);
        return switch (rng.nextInt(8)) {
            case 0 -> name + " " + Draw.one(Words.VERBS, rng) + " the " + adjective + " " + noun + ".";
            case 1 -> "The " + adjective + " " + noun + " is in the " + place + ".";
            case 2 -> name + " " + Draw.one(Words.MOTIONS, rng) + " to the " + place + " with " + otherName(name, rng) + ".";
            case 3 -> name + " has " + Draw.one(Words.NUMBER_WORDS, rng) + " " + plural(noun) + ".";
            case 4 -> "The " + noun + " is " + adjective + ".";
            case 5 -> name + " likes to play in the " + place + ".";
            case 6 -> "Where is the " + noun + "? It is in the " + place + ".";
            default -> "The " + adjective + " " + noun + " " + Draw.one(Words.VERBS, rng) + " a " + Draw.one(Words.NOUNS, rng) + ".";
        };
    }

    /** A paragraph of one to three sentences. */
    static String paragraph(Rng rng) {
        int count = Draw.between(1, 3, rng);
        StringBuilder text = new StringBuilder(sentence(rng));
        for (int i = 1; i < count; i++) {
            text.append(' ').append(sentence(rng));
        }
        return text.toString();
    }

    private static String otherName(String name, Rng rng) {
        List<String> others = Words.NAMES.stream().filter(n -> !n.equals(name)).toList();
        return Draw.one(others, rng);
    }

    private static String plural(String noun) {
        return noun.endsWith("x") || noun.endsWith("sh") || noun.endsWith("ch") ? noun + "es" : noun + "s";
    }
}
