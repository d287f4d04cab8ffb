package dev.mixtape.cli;

/** Range checks of option values whose messages name the option as the user typed it ({@code --lr must be ≥ 0, got -1.0}). */
final class OptionChecks {
    private OptionChecks() {
    }

    /** {@code value}, when given (not null), is at least {@code min}. */
    static void atLeast(String option, Integer value, int min) {
        if (value != null && value < min) {
            throw new IllegalArgumentException(option + " must be ≥ " + min + ", got " + value);
        }
    }

    /** {@code value}, when given, is a number ≥ 0 (not NaN nor infinite). */
    static void nonNegative(String option, Double value) {
        if (value != null && !(value >= 0 && Double.isFinite(value))) {
            throw new IllegalArgumentException(option + " must be ≥ 0, got " + value);
        }
    }

    /** {@code value} is a number in [0, 1). */
    static void fraction(String option, double value) {
        if (!(value >= 0 && value < 1)) {
            throw new IllegalArgumentException(option + " must be in [0, 1), got " + value);
        }
    }

    /** {@code value} is a finite number > 0. */
    static void positive(String option, double value) {
        if (!(value > 0 && Double.isFinite(value))) {
            throw new IllegalArgumentException(option + " must be > 0, got " + value);
        }
    }
}
