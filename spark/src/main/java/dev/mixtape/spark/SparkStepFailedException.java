package dev.mixtape.spark;

/**
 * A step whose gradients Spark could not compute, even after retrying its tasks. Nothing of the step
 * was applied: the run folder's last checkpoint is intact, and {@code --resume} continues from it.
 */
public final class SparkStepFailedException extends RuntimeException {
    SparkStepFailedException(int step, Exception cause) {
        super("step " + step + ": computing the gradients on Spark failed after its retries (" + firstLine(cause)
                + "); the run folder's last checkpoint is intact, --resume continues from it", cause);
    }

    private static String firstLine(Throwable error) {
        String message = String.valueOf(error.getMessage());
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
