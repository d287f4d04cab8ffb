package dev.mixtape.spark;

import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;

/**
 * The models an executor JVM keeps between tasks: the base model with what the run trains attached is
 * loaded once per JVM (once per task that runs at the same time, as a {@link Replica}) and reused by
 * every later task, step and run with the same base and structure, so that what moves per step
 * is the adapter's weights and gradients, never the model. A replica whose task failed is dropped.
 */
final class ExecutorModels {
    /** Replicas not in use, by what they were loaded from. */
    private static final ConcurrentMap<Key, Queue<Replica>> IDLE = new ConcurrentHashMap<>();

    private ExecutorModels() {
    }

    /** What a replica was loaded from: the base model and the structure of what it trains. */
    private record Key(BaseModel base, String structure) {
    }

    /** Computes {@code work}'s gradient on an idle replica of {@code base} with {@code setup}, loading one if none is idle. */
    static PartitionResult compute(BaseModel base, Broadcast<ReplicaSetup> setup, Broadcast<NamedArrays> weights, PartitionWork work) {
        failOnPurpose(work.failingAttempts(), "step " + work.step() + ", partition " + work.partition());
        return onReplica(base, setup, replica -> replica.compute(weights.value(), work));
    }

    /** Takes {@code work}'s round of local steps on an idle replica of {@code base} with {@code setup}, loading one if none is idle. */
    static RoundResult round(BaseModel base, Broadcast<ReplicaSetup> setup, Broadcast<RoundStart> start, RoundWork work) {
        failOnPurpose(work.failingAttempts(), "round from step " + work.firstStep() + ", partition " + work.partition());
        return onReplica(base, setup, replica -> replica.round(start.value(), work));
    }

    /** The test hook: the first {@code attempts} attempts of a task throw. */
    private static void failOnPurpose(int attempts, String what) {
        if (TaskContext.get().attemptNumber() < attempts) {
            throw new IllegalStateException(what + ": attempt " + TaskContext.get().attemptNumber() + " failed on purpose (a test hook)");
        }
    }

    private static <R> R onReplica(BaseModel base, Broadcast<ReplicaSetup> setup, Function<Replica, R> task) {
        ReplicaSetup blueprint = setup.value();
        Queue<Replica> idle = IDLE.computeIfAbsent(new Key(base, blueprint.structure()), _ -> new ConcurrentLinkedQueue<>());
        Replica replica = idle.poll();
        if (replica == null) {
            try {
                replica = Replica.load(base, blueprint);
            } catch (IOException e) {
                throw new UncheckedIOException(base.path() + ": cannot load the base model on this executor: " + e.getMessage(), e);
            }
        }
        R result = task.apply(replica);
        idle.add(replica);
        return result;
    }
}
