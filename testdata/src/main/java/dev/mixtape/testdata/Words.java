package dev.mixtape.testdata;

import java.util.List;

/** The small vocabulary of the synthetic English: short, common words a tiny model can learn. */
final class Words {
    static final List<String> NAMES = List.of(
            "Tom", "Mia", "Sam", "Lily", "Ben", "Anna", "Max", "Zoe", "Leo", "Emma", "Jack", "Lucy");

    static final List<String> NOUNS = List.of(
            "cat", "dog", "bird", "fish", "ball", "tree", "house", "car", "book", "cake",
            "box", "hat", "cup", "boat", "apple", "flower", "frog", "horse", "kite", "toy");

    static final List<String> ADJECTIVES = List.of(
            "big", "small", "red", "blue", "green", "happy", "old", "new", "little", "yellow", "soft", "fast");

    /** Verbs that take an object, in the third person singular. */
    static final List<String> VERBS = List.of(
            "sees", "likes", "finds", "has", "wants", "makes", "takes", "holds", "paints", "loves");

    static final List<String> PLACES = List.of(
            "park", "garden", "school", "river", "beach", "forest", "market", "farm", "lake", "hill");

    /** Verbs of going, in the past tense. */
    static final List<String> MOTIONS = List.of("went", "ran", "walked", "drove", "came");

    static final List<String> NUMBER_WORDS = List.of("two", "three", "four", "five", "six");

    /** Words that appear in the word-list tasks (reverse, repeat): one syllable each, all distinct. */
    static final List<String> LIST_WORDS = List.of(
            "cat", "dog", "sun", "moon", "tree", "fish", "bird", "star", "rock", "leaf",
            "cup", "hat", "box", "pen", "key", "car", "bus", "egg", "map", "bell",
            "milk", "rain", "snow", "wind", "door", "ring", "sock", "lamp", "frog", "kite");

    private Words() {
    }
}
