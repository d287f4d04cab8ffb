package dev.mixtape.engine;

import java.util.Arrays;

/** Fused SwiGLU, {@code silu(gate) ⊙ up}, the Llama MLP's activation, with its backward. */
final class SwigluOp {
    private SwigluOp() {
    }

    static Tensor apply(Tensor gate, Tensor up) {
        if (!Arrays.equals(gate.shape(), up.shape())) {
            throw new IllegalArgumentException("swiglu: gate " + Shapes.str(gate.shape()) + " and up " + Shapes.str(up.shape()));
        }
        Tensor gc;
        Tensor uc;
        try (var scope = Grad.off()) {
            gc = gate.contiguous();
            uc = up.contiguous();
        }
        Backend backend = gate.backend();
        DType dtype = gate.dtype();
        int[] shape = gate.shape();
        Tensor out = Tensor.forOverwrite(backend, dtype, shape);
        backend.swiglu(gc, uc, out);
        return Tape.record("swiglu", out, g -> {
            Tensor dGate = Tensor.forOverwrite(backend, dtype, shape);
            Tensor dUp = Tensor.forOverwrite(backend, dtype, shape);
            backend.swigluBackward(gc, uc, g.contiguous(), dGate, dUp);
            return new Tensor[] {dGate, dUp};
        }, gate, up);
    }
}
