package dev.mixtape.engine.vector;

/**
 * How the decoding kernels of Q8_0 and Q4_0 walk a range of weight rows: in groups of four rows a
 * quarter of the range apart ({@code r, r + q, r + 2q, r + 3q}), so that each load of the activations
 * feeds four rows and the weights come as four long sequential streams, as {@link SimdBf16Gemv} reads
 * them; the rows left over after the groups go one at a time, as groups of spread 0. Loaded only when
 * the Vector API is present.
 */
final class QuantizedRows {

    private QuantizedRows() {
    }

    /** The spread of the groups of four in {@code [fromRow, toRow)}: a quarter of the range. */
    static int quarter(int fromRow, int toRow) {
        return (toRow - fromRow) / 4;
    }

    /** The number of groups: the groups of four, then one per row left over. */
    static int groups(int fromRow, int toRow) {
        int quarter = quarter(fromRow, toRow);
        return quarter + (toRow - fromRow - 4 * quarter);
    }

    /** The first row of group {@code g}. */
    static int firstRow(int g, int fromRow, int quarter) {
        return g < quarter ? fromRow + g : fromRow + 3 * quarter + g;
    }

    /** The spread of group {@code g}: the quarter for a group of four, 0 for a row left over. */
    static int spread(int g, int quarter) {
        return g < quarter ? quarter : 0;
    }

    /**
     * Writes (or adds, with {@code accumulate}) a group's four sums to {@code y[at]},
     * {@code y[at + spread]}, ... ; only the first where the spread is 0. (The kernels fold their
     * vectors to floats themselves: a vector passed to a method C2 does not inline is boxed, in the
     * loop that makes it.)
     */
    static void store(float[] y, int at, int spread, boolean accumulate, float sum0, float sum1, float sum2, float sum3) {
        store(y, at, accumulate, sum0);
        if (spread > 0) {
            store(y, at + spread, accumulate, sum1);
            store(y, at + 2 * spread, accumulate, sum2);
            store(y, at + 3 * spread, accumulate, sum3);
        }
    }

    /** Writes (or adds, with {@code accumulate}) {@code sum} to {@code y[at]}. */
    static void store(float[] y, int at, boolean accumulate, float sum) {
        y[at] = accumulate ? y[at] + sum : sum;
    }
}
