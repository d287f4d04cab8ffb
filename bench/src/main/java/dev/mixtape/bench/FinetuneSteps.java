package dev.mixtape.bench;

/**
 * How many steps one case of the fine-tuning benchmark runs: warm-up steps (compilation, buffer
 * pools and heap sizing settle; not timed) and measured steps (their median is reported).
 *
 * @param warmup   steps run before measuring
 * @param measured steps whose times are kept
 */
record FinetuneSteps(int warmup, int measured) {

    /**
     * The steps for {@code shape} on {@code backend}: the shape's own on the Vector backend; one
     * warm-up step and a third of the measured steps (rounded up) on ND4J, the much slower baseline,
     * and in a {@code quick} run on the Vector backend; one and one for ND4J in a quick run. The
     * PyTorch baseline runs what the Vector backend does.
     */
    static FinetuneSteps of(FinetuneShape shape, String backend, boolean quick) {
        boolean nd4j = backend.equals("nd4j");
        if (quick && nd4j) {
            return new FinetuneSteps(1, 1);
        }
        if (quick || nd4j) {
            return new FinetuneSteps(1, (shape.steps().measured() + 2) / 3);
        }
        return shape.steps();
    }
}
