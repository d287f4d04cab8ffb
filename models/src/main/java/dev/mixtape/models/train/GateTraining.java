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
 * does. The loss back-propagated is the next-token loss plus MoLE's balance loss
 * {@code α·(−Σᵢ log qᵢ)} (none when α is 0); each step's metrics line adds {@code balance_loss} and
 * {@code gate_entropy} (nats, {@code log N} for even use of N experts). At the end the MoLE folder
 * ({@link MoleFiles}) is written into the run folder, beside the checkpoint, metrics and plot.
 * <pre>{@code
 * Mole mole = Mole.attach(llama, List.of("add", "reverse"), MoleConfig.builder().build());
 * TrainingResult result = GateTraining.of(llama, mole, expertFolders, tokenizer)
 *         .data(mixedTasks, heldOut).config(TrainingConfig.builder(200).build()).run(Path.of("runs/mole"));
 * }</pre>
 */
public final class GateTraining {
    private final Llama model;
    private final Mole mole;
    private final Map<String, Path> expertFolders;
    private final Tokenizer tokenizer;
    private Dataset train;
    private Dataset eval;
    private TrainingConfig config;
    private TrainingListener listener = new TrainingListener() {
    };

    private GateTraining(Llama model, Mole mole, Map<String, Path> expertFolders, Tokenizer tokenizer) {
        this.model = Objects.requireNonNull(model, "model");
        this.mole = Objects.requireNonNull(mole, "mole");
        this.expertFolders = Map.copyOf(expertFolders);
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
    }

    /**
     * Gate training for {@code mole}, attached to {@code model}; {@code expertFolders} are the PEFT
     * folders its experts were loaded from, by expert name, which the MoLE folder will refer to.
     */
    public static GateTraining of(Llama model, Mole mole, Map<String, Path> expertFolders, Tokenizer tokenizer) {
        return new GateTraining(model, mole, expertFolders, tokenizer);
    }

    /** The training data, and held-out data to evaluate (null for none). */
    public GateTraining data(Dataset train, Dataset eval) {
        this.train = Objects.requireNonNull(train, "train");
        this.eval = eval;
        return this;
    }

    /** How to train. */
    public GateTraining config(TrainingConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        return this;
    }

    /** Hears about steps, evaluations and checkpoints; none by default. */
    public GateTraining listener(TrainingListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
        return this;
    }

    /** Trains the gates as they are now and writes the MoLE folder into {@code runFolder}. */
    public TrainingResult run(Path runFolder) throws IOException {
        return execute(runFolder, false);
    }

    /** Continues the run whose checkpoint is in {@code runFolder}, bit for bit as if it had never stopped. */
    public TrainingResult resume(Path runFolder) throws IOException {
        return execute(runFolder, true);
    }

    private TrainingResult execute(Path runFolder, boolean resume) throws IOException {
        if (train == null || config == null) {
            throw new IllegalStateException("set the data and the training config before running");
        }
        TrainingResult result = RecordedRun.execute(model, tokenizer, train, eval, config, runFolder, listener, new BalanceHooks(), resume);
        MoleFiles.write(runFolder, mole, expertFolders);
        return result;
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
