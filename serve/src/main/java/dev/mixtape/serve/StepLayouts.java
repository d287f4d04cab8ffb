package dev.mixtape.serve;

/**
 * How {@link BatchEngine} lays out a step of enough rows for a group per processor, chosen by
 * measuring. One group on all the backend's threads (its products split by columns, its rows' other
 * work by rows) reads each weight once per step, but its threads meet at every product (some 90
 * times a step); groups side by side, one per thread, read the weights once per group and never wait
 * for each other until the step ends. Which is faster depends on the host: where the cores are the
 * server's own the first, where other processes share them the second (a thread waiting at a meeting
 * for one that is off its core). Both give every row the same floats, so the engine may change
 * layout at any step.
 *
 * <p>Each layout's wall time per row is averaged over its recent steps, per band of row counts;
 * steps take the faster layout, and every {@link #PROBE_EVERY}th step the other, so that a change in
 * the host's load is noticed. Used by the engine's thread only.
 */
final class StepLayouts {
    /** Every this many steps of a band, one takes the layout that has been slower, to time it again. */
    static final int PROBE_EVERY = 32;
    /** Rows per band: a step's time per row falls as its rows grow. */
    static final int BAND_ROWS = 8;
    /** Weight of a step's time in its layout's running average. */
    private static final double WEIGHT = 0.25;
    /** A step's time counts at most this many times the running average (a collection's pause, a compilation). */
    private static final double MOST_OVER_AVERAGE = 2;

    /** Per band, the running average of nanoseconds per row: [0] one group on all threads, [1] groups side by side; 0 before any. */
    private final double[][] nanosPerRow;
    private final int[] steps;

    /** Layouts for steps of up to {@code maxRows} rows. */
    StepLayouts(int maxRows) {
        nanosPerRow = new double[maxRows / BAND_ROWS + 1][2];
        steps = new int[nanosPerRow.length];
    }

    /** Whether the next step of {@code rows} rows runs as one group on all threads (else as groups side by side). */
    boolean oneGroup(int rows) {
        int band = band(rows);
        double[] times = nanosPerRow[band];
        steps[band]++;
        if (times[0] == 0 || times[1] == 0) {
            return times[0] == 0;
        }
        boolean faster = times[0] <= times[1];
        return steps[band] % PROBE_EVERY == 0 ? !faster : faster;
    }

    /** A step of {@code rows} rows laid out as {@code oneGroup} says took {@code nanos}. */
    void record(int rows, boolean oneGroup, long nanos) {
        double[] times = nanosPerRow[band(rows)];
        int layout = oneGroup ? 0 : 1;
        double perRow = (double) nanos / rows;
        times[layout] = times[layout] == 0 ? perRow
                : times[layout] + WEIGHT * (Math.min(perRow, MOST_OVER_AVERAGE * times[layout]) - times[layout]);
    }

    private int band(int rows) {
        return Math.min(rows / BAND_ROWS, nanosPerRow.length - 1);
    }
}
