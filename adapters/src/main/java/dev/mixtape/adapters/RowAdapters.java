package dev.mixtape.adapters;

import dev.mixtape.engine.BatchInvariantProducts;
import dev.mixtape.engine.F;
import dev.mixtape.engine.Grad;
import dev.mixtape.engine.IndependentRows;
import dev.mixtape.engine.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * Which adapter each row of a forward pass runs, for serving many adapters on one base model as
 * S-LoRA and Punica do: the rows (every position but the last axis of a projection's input, in
 * order) of one batch may
 * belong to different requests, each asking for its own adapter, and every {@link LoraLinear} then
 * adds to each row the update of that row's adapter, the base weights read once for all rows.
 * Adapters stay unmerged and the model's active adapter is ignored while a routing is in force.
 *
 * <p>A routing is in force for the passes {@link #run} runs on the calling thread (a scoped value,
 * so concurrent passes on other threads are unaffected). A row naming an adapter that a layer does
 * not hold runs that layer's base alone, as {@link Adapter#activate} does.
 *
 * <p>Two kinds, for two shapes of work. {@link #sequence} gives every row one adapter and computes
 * exactly what the model computes with that adapter active (the fused LoRA op): a prompt processed
 * under it gives the same floats as without serving. {@link #perRow} computes the base product for
 * all rows together and then the updates of each run of adjacent rows sharing an adapter, a few
 * rows per product (a whole run inside {@link BatchInvariantProducts}), accumulated into the base
 * product's rows in place when no gradient is recorded (as the fused op accumulates a row's), so
 * that a row's result never depends on which other rows share its batch or what adapters they run
 * (give rows of one adapter adjacent places for fewer, larger products). The runs' in-place updates
 * are shared out between the backend's threads ({@link IndependentRows}): each writes its own rows.
 */
public final class RowAdapters {
    private static final ScopedValue<RowAdapters> CURRENT = ScopedValue.newInstance();

    /**
     * Most adjacent rows of one adapter whose update is computed in one product outside
     * {@link BatchInvariantProducts}: the engine's decoding-shaped products (at most 4 rows) give
     * each row the floats it gets alone, so a row's update does not depend on its neighbours. Inside
     * it, products of as many rows as it names do too, and a run takes that many.
     */
    private static final int ROWS_PER_UPDATE = 4;

    private final String[] names;
    private final boolean fused;

    private RowAdapters(String[] names, boolean fused) {
        this.names = names;
        this.fused = fused;
    }

    /** Every row runs adapter {@code name} (null: the base alone), as the model does with that adapter active. */
    public static RowAdapters sequence(String name) {
        return new RowAdapters(new String[] {name}, true);
    }

    /** Row i runs adapter {@code names.get(i)} (null: the base alone); its update is computed for that row alone. */
    public static RowAdapters perRow(List<String> names) {
        return new RowAdapters(names.toArray(String[]::new), false);
    }

    /** Runs {@code pass} (forward passes of a model holding the adapters) with this routing in force on this thread. */
    public <T> T run(Supplier<T> pass) {
        return ScopedValue.where(CURRENT, this).call(pass::get);
    }

    /** The routing in force on this thread, or null. */
    static RowAdapters current() {
        return CURRENT.isBound() ? CURRENT.get() : null;
    }

    /** {@code layer}'s output for {@code x} under this routing. */
    Tensor forward(LoraLinear layer, Tensor x) {
        layer.mergedAdapter().ifPresent(merged -> {
            throw new IllegalStateException("adapter '" + merged + "' is merged into the base weight; routing rows to adapters needs them unmerged");
        });
        if (fused) {
            String name = names[0];
            return name == null || !layer.holds(name) ? layer.base().forward(x) : layer.branch(name).addedTo(layer.base(), x, null);
        }
        int in = x.dim(-1);
        if (x.numel() != (long) names.length * in) {
            throw new IllegalArgumentException("the routing names " + names.length + " rows' adapters, the input has "
                    + x.numel() / Math.max(1, in) + " rows: " + Arrays.toString(x.shape()));
        }
        int rowsPerUpdate = Math.max(ROWS_PER_UPDATE, BatchInvariantProducts.rows());
        Tensor output = layer.base().forward(x);
        Tensor base = output.reshape(names.length, output.dim(-1));
        Tensor rows = x.reshape(names.length, in);
        boolean inPlace = !Grad.isEnabled() && layer.base().bias() == null;
        List<int[]> runs = new ArrayList<>();
        int row = 0;
        while (row < names.length) {
            String name = names[row];
            if (name == null || !layer.holds(name)) {
                row++;
                continue;
            }
            int end = row + 1;
            while (end < names.length && end - row < rowsPerUpdate && name.equals(names[end])) {
                end++;
            }
            runs.add(new int[] {row, end});
            row = end;
        }
        if (inPlace) {
            IndependentRows.forEach(x.backend(), runs.size(), (from, to) -> {
                for (int[] run : runs.subList(from, to)) {
                    layer.branch(names[run[0]]).addInto(rows.slice(0, run[0], run[1]), base.slice(0, run[0], run[1]));
                }
            });
            return output;
        }
        List<Tensor> parts = new ArrayList<>();
        int plainFrom = 0;
        for (int[] run : runs) {
            int start = run[0];
            int end = run[1];
            if (plainFrom < start) {
                parts.add(base.slice(0, plainFrom, start));
            }
            Tensor update = layer.branch(names[start]).forward(rows.slice(0, start, end), null);
            parts.add(base.slice(0, start, end).add(update));
            plainFrom = end;
        }
        if (plainFrom == 0) {
            return output;
        }
        if (plainFrom < names.length) {
            parts.add(base.slice(0, plainFrom, names.length));
        }
        return F.concat(parts, 0).reshape(output.shape());
    }
}
