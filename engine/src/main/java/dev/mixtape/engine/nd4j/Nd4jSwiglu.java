package dev.mixtape.engine.nd4j;

import dev.mixtape.engine.UnaryOp;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Swish;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SwiGLU on ND4J: {@code out = silu(gate) ⊙ up} (ND4J calls SiLU "swish"), and its backward
 * {@code dUp = silu(gate) ⊙ dOut}, {@code dGate = silu'(gate) ⊙ dOut ⊙ up}.
 */
final class Nd4jSwiglu {
    private Nd4jSwiglu() {
    }

    static void forward(INDArray gate, INDArray up, INDArray out) {
        Nd4j.exec(new Swish(gate, out));
        out.muli(up);
    }

    static void backward(INDArray gate, INDArray up, INDArray dOut, INDArray dGate, INDArray dUp) {
        Nd4j.exec(new Swish(gate, dUp));
        dUp.muli(dOut);
        Nd4jElementwise.unary(UnaryOp.SILU_DERIVATIVE, gate, dGate);
        dGate.muli(dOut).muli(up);
    }
}
