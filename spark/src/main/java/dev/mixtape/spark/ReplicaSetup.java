package dev.mixtape.spark;

import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.train.TrainingCallback;

import java.io.IOException;
import java.io.Serializable;

/**
 * What an executor attaches to its copy of the base model so that it trains what the driver trains:
 * the run's adapter ({@link AdapterBlueprint}) or a MoLE's experts and gates ({@link MoleBlueprint}).
 * Its weights are only a starting point; every step's broadcast replaces them.
 */
interface ReplicaSetup extends Serializable {

    /** What tells two setups' structures apart, not their starting weights: the key of an executor's cached copies. */
    String structure();

    /**
     * Attaches it to {@code model}, leaving it the only trainable part, and returns what the executor
     * applies to each micro-batch's loss and reads the step's figures from, as the driver's callbacks
     * would on one machine.
     */
    TrainingCallback attachTo(Llama model) throws IOException;
}
