package dev.mixtape.models.train;

import dev.mixtape.adapters.mole.Mole;
import dev.mixtape.adapters.mole.MoleFiles;
import dev.mixtape.engine.Tensor;
import dev.mixtape.models.llama.Llama;
import dev.mixtape.models.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Trains the gates of a {@link Mole} (base model and experts frozen): what {@code ./mixtape compose}
 * does. {@link #of} sets up a {@link TrainingJob} with this callback, which adds MoLE's balance loss
 * {@code α·(−Σᵢ log qᵢ)} to each micro-batch's objective (none when α is 0), adds {@code balance_loss}
 * and {@code gate_entropy} (nats, {@code log N} for even use of N experts) to each step's metrics line,
 * and writes the MoLE folder ({@link MoleFiles}) into the run folder when training completes.
 * <pre>{@code
 * Mole mole = Mole.attach(llama, List.of("add", "reverse"), MoleConfig.builder().build());
 * TrainingResult result = GateTraining.of(llama, mole, expertFolders, tokenizer)
 *         .data(mixedTasks, heldOut).config(TrainingConfig.builder(200).build()).run(Path.of("runs/mole"));
 * }</pre>
 */
public final class GateTraining implements TrainingCallback {
    private final Mole mole;
    private final Map<String, Path> expertFolders;
    private double lastBalance;

    private GateTraining(Mole mole, Map<String, Path> expertFolders) {
        this.mole = Objects.requireNonNull(mole, "mole");
        this.expertFolders = Map.copyOf(expertFolders);
    }

    /**
     * Gate training for {@code mole}, attached to {@code model}; {@code expertFolders} are the PEFT
     * folders its experts were loaded from, by expert name, which the MoLE folder will refer to.
     */
    public static TrainingJob of(Llama model, Mole mole, Map<String, Path> expertFolders, Tokenizer tokenizer) {
        return TrainingJob.of(model, tokenizer).callback(new GateTraining(mole, expertFolders));
    }

    /**
     * The balance loss and the step figures alone, for a data-parallel worker's copy of the model that
     * computes the gradients of {@code mole}'s gates, which never completes a run.
     */
    public static TrainingCallback objectiveOf(Mole mole) {
        return new GateTraining(mole, Map.of());
    }

    @Override
    public Tensor objective(Tensor loss) {
        if (mole.config().balanceWeight() == 0) {
            return loss;
        }
        Tensor balance = mole.balanceLoss();
        lastBalance = balance.item();
        return loss.add(balance);
    }

    @Override
    public Map<String, Double> stepFigures() {
        Map<String, Double> figures = new LinkedHashMap<>();
        figures.put("balance_loss", lastBalance);
        figures.put("gate_entropy", mole.gateEntropy());
        return figures;
    }

    /** The MoLE folder ({@link MoleFiles}). */
    @Override
    public void onComplete(Path runFolder) throws IOException {
        MoleFiles.write(runFolder, mole, expertFolders);
    }
}
