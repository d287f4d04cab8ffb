package dev.mixtape.engine.nd4j;

import dev.mixtape.engine.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.controlflow.Select;
import org.nd4j.linalg.api.ops.impl.reduce.same.Sum;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.SubOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.Arrays;

/**
 * Fused log-softmax + negative log-likelihood on ND4J, and its backward. The targets live on the
 * host; each call uploads what the device needs from them: the flat positions of the target logits,
 * which rows count, and per-row gradient weights.
 */
final class Nd4jCrossEntropy {
    private Nd4jCrossEntropy() {
    }

    static void forward(Nd4jViews views, Tensor logits, int[] targets, int ignoreIndex, Tensor losses,
                        Tensor logSumExp) {
        int rows = targets.length;
        int vocab = logits.dim(-1);
        if (rows == 0) {
            return;
        }
        INDArray z = views.rows(logits);
        INDArray lse = views.contiguous(logSumExp, rows, 1);
        INDArray max = z.max(true, 1);
        INDArray exp = z.ulike();
        Nd4j.exec(new SubOp(z, max, exp));
        Transforms.exp(exp, false);
        Nd4j.exec(new Sum(exp, lse, true, 1));
        Transforms.log(lse, false).addi(max);

        boolean[] counted = new boolean[rows];
        int[] positions = new int[rows];
        for (int i = 0; i < rows; i++) {
            counted[i] = targets[i] != ignoreIndex;
            positions[i] = i * vocab + (counted[i] ? checked(targets, i, vocab) : 0);
        }
        INDArray picked = gather(views.contiguous(logits, rows * vocab), positions);
        INDArray perRow = views.contiguous(logSumExp, rows).sub(picked);
        // Ignored rows get exactly 0, not a loss against the made-up target 0.
        Nd4j.exec(new Select(new INDArray[] {Nd4j.createFromArray(counted), perRow, Nd4j.zerosLike(perRow)},
                new INDArray[] {views.contiguous(losses, rows)}));
    }

    static void backward(Nd4jViews views, Tensor logits, int[] targets, int ignoreIndex, Tensor logSumExp,
                         double scale, Tensor dLogits) {
        int rows = targets.length;
        int vocab = logits.dim(-1);
        if (rows == 0) {
            return;
        }
        INDArray d = views.rows(dLogits);
        Nd4j.exec(new SubOp(views.rows(logits), views.contiguous(logSumExp, rows, 1), d));
        Transforms.exp(d, false);

        double[] rowWeights = new double[rows];
        int[] positions = new int[rows];
        int count = 0;
        for (int i = 0; i < rows; i++) {
            if (targets[i] != ignoreIndex) {
                rowWeights[i] = scale;
                positions[count++] = i * vocab + checked(targets, i, vocab);
            }
        }
        if (count > 0) {
            INDArray flat = views.contiguous(dLogits, rows * vocab);
            INDArray targetPositions = Nd4j.createFromArray(Arrays.copyOf(positions, count));
            Nd4j.exec(DynamicCustomOp.builder("scatter_sub")
                    .addInputs(flat, targetPositions, Nd4j.ones(d.dataType(), count))
                    .addOutputs(flat)
                    .build());
        }
        // softmax − onehot, times scale on counted rows and 0 on ignored ones (exactly 0: softmax ≥ 0).
        d.muliColumnVector(Nd4j.createFromArray(rowWeights).castTo(d.dataType()).reshape(rows, 1));
    }

    private static int checked(int[] targets, int row, int vocab) {
        int target = targets[row];
        if (target < 0 || target >= vocab) {
            throw new IllegalArgumentException("crossEntropy: target " + target + " at row " + row
                    + " outside vocabulary of " + vocab);
        }
        return target;
    }

    /** {@code values[positions[i]]} for a 1-D {@code values}. */
    private static INDArray gather(INDArray values, int[] positions) {
        INDArray picked = Nd4j.create(values.dataType(), positions.length);
        Nd4j.exec(DynamicCustomOp.builder("gather")
                .addInputs(values, Nd4j.createFromArray(positions))
                .addOutputs(picked)
                .addIntegerArguments(0)
                .build());
        return picked;
    }
}
