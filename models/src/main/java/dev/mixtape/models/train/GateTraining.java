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
 * does (the setters and {@code run}/{@code resume} are {@link TrainingJob}'s). The loss back-propagated is the next-token loss plus MoLE's balance loss
 * {@code α·(−Σᵢ log qᵢ)} (none when α is 0); each step's metrics line adds {@code balance_loss} and
 * {@code gate_entropy} (nats, {@code log N} for even use of N experts). At the end the MoLE folder
 * ({@link MoleFiles}) is written into the run folder, beside the checkpoint and metrics.
 * <pre>{@code
 * Mole mole = Mole.attach(llama, List.of("add", "reverse"), MoleConfig.builder().build());
 * TrainingResult result = GateTraining.of(llama, mole, expertFolders, tokenizer)
 *         .data(mixedTasks, heldOut).config(TrainingConfig.builder(200).build()).run(Path.of("runs/mole"));
 * }</pre>
 */
public final class GateTraining extends TrainingJob<GateTraining> {
    private final Mole mole;
    private final Map<String, Path> expertFolders;

    private GateTraining(Llama model, Mole mole, Map<String, Path> expertFolders, Tokenizer tokenizer) {
        super(model, tokenizer);
        this.mole = Objects.requireNonNull(mole, "mole");
        this.expertFolders = Map.copyOf(expertFolders);
    }

    /**
     * Gate training for {@code mole}, attached to {@code model}; {@code expertFolders} are the PEFT
     * folders its experts were loaded from, by expert name, which the MoLE folder will refer to.
     */
    public static GateTraining of(Llama model, Mole mole, Map<String, Path> expertFolders, Tokenizer tokenizer) {
        return new GateTraining(model, mole, expertFolders, tokenizer);
    }

    @Override
    TrainingHooks hooks() {
        return new BalanceHooks();
    }

    /** The MoLE folder ({@link MoleFiles}). */
    @Override
    void save(Path runFolder) throws IOException {
        MoleFiles.write(runFolder, mole, expertFolders);
    }

    /** Adds the balance loss to each micro-batch's objective and reports it with the gates' entropy. */
    private final class BalanceHooks implements TrainingHooks {
        private double lastBalance;

        @Override
        public Tensor objective(Tensor taskLoss) {
            if (mole.config().balanceWeight() == 0) {
                return taskLoss;
            }
            Tensor balance = mole.balanceLoss();
            lastBalance = balance.item();
            return taskLoss.add(balance);
        }

        @Override
        public Map<String, Double> stepFigures() {
            Map<String, Double> figures = new LinkedHashMap<>();
            figures.put("balance_loss", lastBalance);
            figures.put("gate_entropy", mole.gateEntropy());
            return figures;
        }
    }
}
