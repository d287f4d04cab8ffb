package dev.mixtape.engine.nd4j;

import dev.mixtape.engine.BinaryOp;
import dev.mixtape.engine.ScalarOp;
import dev.mixtape.engine.UnaryOp;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.Pow;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarAdd;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMultiplication;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarReverseDivision;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarReverseSubtraction;
import org.nd4j.linalg.api.ops.impl.transforms.floating.RSqrt;
import org.nd4j.linalg.api.ops.impl.transforms.floating.Sqrt;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.AddOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.DivOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.SubOp;
import org.nd4j.linalg.api.ops.impl.transforms.same.Negative;
import org.nd4j.linalg.api.ops.impl.transforms.same.Reciprocal;
import org.nd4j.linalg.api.ops.impl.transforms.same.Square;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Exp;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Log;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Swish;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Mixtape's elementwise functions as ND4J ops writing into a given output. Inputs may be any views
 * (strided, offset, broadcast with stride 0) of the output's shape; the binary ops also broadcast
 * NumPy-style when an input has size-1 dimensions.
 */
final class Nd4jElementwise {
    private Nd4jElementwise() {
    }

    /** {@code out = op(x)}; {@code x} may be {@code out}. */
    static void unary(UnaryOp op, INDArray x, INDArray out) {
        switch (op) {
            case NEG -> Nd4j.exec(new Negative(x, out));
            case EXP -> Nd4j.exec(new Exp(x, out));
            case LOG -> Nd4j.exec(new Log(x, out));
            case SQRT -> Nd4j.exec(new Sqrt(x, out));
            case RSQRT -> Nd4j.exec(new RSqrt(x, out));
            case RECIPROCAL -> Nd4j.exec(new Reciprocal(x, out));
            case SQUARE -> Nd4j.exec(new Square(x, out));
            case SILU -> Nd4j.exec(new Swish(x, out));
            case SILU_DERIVATIVE -> siluDerivative(x, out);
        }
    }

    /**
     * {@code out = σ(x)·(1 + x·(1 − σ(x)))}, composed from ND4J ops. ND4J's own SwishDerivative
     * evaluates {@code eˣ(x + eˣ + 1)/(eˣ + 1)²}, which overflows in f32 and gives NaN for x above
     * about 44 (1.0.0-M2.1: NaN at x = 50), where the derivative is 1.
     */
    private static void siluDerivative(INDArray x, INDArray out) {
        INDArray sigmoid = x.ulike();
        Nd4j.exec(new Sigmoid(x, sigmoid));
        INDArray factor = sigmoid.rsub(1.0).muli(x).addi(1.0);
        Nd4j.exec(new MulOp(sigmoid, factor, out));
    }

    /** {@code out = op(x, c)}; {@code x} may be {@code out}. */
    static void scalar(ScalarOp op, INDArray x, double c, INDArray out) {
        switch (op) {
            case ADD -> Nd4j.exec(new ScalarAdd(x, null, out, c));
            case MUL -> Nd4j.exec(new ScalarMultiplication(x, null, out, c));
            case POW -> Nd4j.exec(new Pow(x, out, c));
            case SUBTRACT_FROM -> Nd4j.exec(new ScalarReverseSubtraction(x, null, out, c));
            case DIVIDE_INTO -> Nd4j.exec(new ScalarReverseDivision(x, null, out, c));
        }
    }

    /** {@code out = op(a, b)}; either input may be {@code out}. */
    static void binary(BinaryOp op, INDArray a, INDArray b, INDArray out) {
        switch (op) {
            case ADD -> Nd4j.exec(new AddOp(a, b, out));
            case SUB -> Nd4j.exec(new SubOp(a, b, out));
            case MUL -> Nd4j.exec(new MulOp(a, b, out));
            case DIV -> Nd4j.exec(new DivOp(a, b, out));
        }
    }
}
