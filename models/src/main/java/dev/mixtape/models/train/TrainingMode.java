package dev.mixtape.models.train;

/**
 * Switches a model between training mode, where layers such as adapter dropout draw random masks,
 * and evaluation mode, where they do nothing. A {@link Trainer} calls {@link #train(int)} before every
 * step and {@link #eval()} before every evaluation. Seeding the masks from the step number, rather
 * than from one generator that runs on, is what lets a resumed run draw the very masks an
 * uninterrupted one would, with no generator state in the checkpoint.
 */
public interface TrainingMode {
    /** For models with no training-only behaviour. */
    TrainingMode NONE = new TrainingMode() {
        @Override
        public void train(int step) {
        }

        @Override
        public void eval() {
        }
    };

    /** Training mode for step {@code step} (1-based). */
    void train(int step);

    /** Evaluation mode. */
    void eval();
}
