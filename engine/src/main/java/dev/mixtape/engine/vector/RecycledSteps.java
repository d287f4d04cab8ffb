package dev.mixtape.engine.vector;

import dev.mixtape.engine.StepMemory;
import dev.mixtape.engine.Storage;
import dev.mixtape.engine.Tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Vector backend's {@link StepMemory}: the arrays of a closed step's storages, by length, for
 * the next step's allocations of the same sizes (a training step allocates the same shapes every
 * time). At most {@code budgetFloats} floats are lent out in a step and kept between steps; larger
 * needs fall back to ordinary allocations, which the garbage collector frees as it always does, so
 * a step never holds more memory than that beyond what it would hold anyway. Arrays a step did not
 * reuse are dropped when it closes, so a change of shapes does not leave the old ones behind. The
 * array given back last is lent first, so arrays change roles from one step to the next: a primitive
 * that left part of an output it was given to overwrite unwritten would show another tensor's values
 * there, which {@code StepMemoryTrainingTest} (models) would see, rather than the same tensor's
 * values of the step before.
 */
final class RecycledSteps implements StepMemory {
    private final VectorMemory memory;
    private final long budgetFloats;
    /** The previous step's arrays not lent again yet. */
    private final Map<Integer, ArrayDeque<float[]>> idle = new HashMap<>();
    /** This step's arrays that a scope handed back and that are not lent again yet. */
    private final Map<Integer, ArrayDeque<float[]>> handedBack = new HashMap<>();
    private final List<HeapStorage> lent = new ArrayList<>();
    /** The storages of {@link #lent} that still hold their arrays (not {@linkplain #recycle recycled} during the step). */
    private final Set<HeapStorage> holding = Collections.newSetFromMap(new IdentityHashMap<>());
    private long idleFloats;
    private long lentFloats;
    private boolean open;
    /** Counts the steps opened, so that a scope of a closed step hands nothing back. */
    private long steps;

    RecycledSteps(VectorMemory memory, long budgetFloats) {
        this.memory = memory;
        this.budgetFloats = budgetFloats;
    }

    @Override
    public Step open() {
        if (open) {
            throw new IllegalStateException("this step memory already has an open step");
        }
        memory.enterStep(this);
        open = true;
        steps++;
        return this::close;
    }

    /** A previous step's array of {@code size} floats (contents undefined), or null when there is none left. */
    float[] take(int size) {
        float[] array = poll(handedBack, size);
        if (array == null) {
            array = poll(idle, size);
        }
        if (array != null) {
            idleFloats -= size;
        }
        return array;
    }

    private static float[] poll(Map<Integer, ArrayDeque<float[]>> arrays, int size) {
        ArrayDeque<float[]> sameSize = arrays.get(size);
        return sameSize == null ? null : sameSize.pollLast();
    }

    /**
     * A scope from now on: closing it releases the storages lent since, but those viewed by the tensors
     * it keeps, and lends their arrays again in this step before any of the previous step's.
     */
    StepMemory.Scope scope() {
        long step = steps;
        int from = lent.size();
        return keep -> {
            if (open && steps == step) {
                handBack(from, keep);
            }
        };
    }

    private void handBack(int from, List<Tensor> keep) {
        Set<Storage> kept = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Tensor tensor : keep) {
            kept.add(tensor.storage());
        }
        List<HeapStorage> since = lent.subList(from, lent.size());
        List<HeapStorage> staying = new ArrayList<>();
        for (HeapStorage storage : since) {
            if (kept.contains(storage)) {
                staying.add(storage);
            } else if (holding.remove(storage)) {
                float[] array = storage.release();
                handedBack.computeIfAbsent(array.length, size -> new ArrayDeque<>()).add(array);
                lentFloats -= array.length;
                idleFloats += array.length;
            }
        }
        since.clear();
        lent.addAll(staying);
    }

    /**
     * Records a storage made in the open step, to release when the step closes: always one made
     * from an array of {@link #take}, a new one only while the budget allows (else the garbage
     * collector frees it as outside a step).
     */
    void lend(HeapStorage storage, boolean recycled) {
        if (recycled || lentFloats + idleFloats + storage.size() <= budgetFloats) {
            lent.add(storage);
            holding.add(storage);
            lentFloats += storage.size();
        }
    }

    /**
     * Hands the array of {@code storage}, which nothing reads any more, back to the open step at once,
     * to be lent again before the previous step's arrays, as a scope's are; reading the storage
     * afterwards throws. Does nothing for a storage this step did not lend or has taken back already.
     */
    void recycle(HeapStorage storage) {
        if (open && holding.remove(storage)) {
            float[] array = storage.release();
            handedBack.computeIfAbsent(array.length, size -> new ArrayDeque<>()).add(array);
            lentFloats -= array.length;
            idleFloats += array.length;
        }
    }

    private void close() {
        if (!open) {
            return;
        }
        memory.leaveStep(this);
        open = false;
        idle.clear();
        idle.putAll(handedBack);
        handedBack.clear();
        idleFloats = idle.values().stream().flatMap(ArrayDeque::stream).mapToLong(array -> array.length).sum();
        for (HeapStorage storage : lent) {
            if (holding.contains(storage)) {
                float[] array = storage.release();
                idle.computeIfAbsent(array.length, size -> new ArrayDeque<>()).add(array);
                idleFloats += array.length;
            }
        }
        lent.clear();
        holding.clear();
        lentFloats = 0;
    }
}
