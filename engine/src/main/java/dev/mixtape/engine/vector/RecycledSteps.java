package dev.mixtape.engine.vector;

import dev.mixtape.engine.StepMemory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
    private final Map<Integer, ArrayDeque<float[]>> idle = new HashMap<>();
    private final List<HeapStorage> lent = new ArrayList<>();
    private long idleFloats;
    private long lentFloats;
    private boolean open;

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
        return this::close;
    }

    /** A previous step's array of {@code size} floats (contents undefined), or null when there is none left. */
    float[] take(int size) {
        ArrayDeque<float[]> sameSize = idle.get(size);
        float[] array = sameSize == null ? null : sameSize.pollLast();
        if (array != null) {
            idleFloats -= size;
        }
        return array;
    }

    /**
     * Records a storage made in the open step, to release when the step closes: always one made
     * from an array of {@link #take}, a new one only while the budget allows (else the garbage
     * collector frees it as outside a step).
     */
    void lend(HeapStorage storage, boolean recycled) {
        if (recycled || lentFloats + idleFloats + storage.size() <= budgetFloats) {
            lent.add(storage);
            lentFloats += storage.size();
        }
    }

    private void close() {
        if (!open) {
            return;
        }
        memory.leaveStep(this);
        open = false;
        idle.clear();
        idleFloats = 0;
        for (HeapStorage storage : lent) {
            float[] array = storage.release();
            idle.computeIfAbsent(array.length, size -> new ArrayDeque<>()).add(array);
            idleFloats += array.length;
        }
        lent.clear();
        lentFloats = 0;
    }
}
