package dev.mixtape.cli;

/**
 * The old spellings of renamed options, kept as hidden aliases for one release: each use sets the
 * new option and prints one line on stderr naming the new spelling.
 */
final class DeprecatedOption {
    private DeprecatedOption() {
    }

    /** Says that {@code old} is deprecated in favour of {@code replacement}. */
    static void warn(String old, String replacement) {
        System.err.println("mixtape: " + old + " is deprecated; use " + replacement);
    }
}
