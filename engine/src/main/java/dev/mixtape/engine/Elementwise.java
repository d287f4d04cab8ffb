package dev.mixtape.engine;

/**
 * Elementwise ops and their derivatives. Binary ops broadcast NumPy-style; the backward of a
 * broadcast input sums the gradient back to that input's shape.
 */
final class Elementwise {
    private Elementwise() {
    }

    static Tensor unary(UnaryOp op, Tensor x) {
        Tensor out = Tensor.forOverwrite(x.backend(), x.dtype(), x.shape());
        x.backend().unary(op, x, out);
        // Keep for the backward only the values its formula reads.
        Tensor keptX = switch (op) {
            case LOG, SQUARE, SILU -> x;
            default -> null;
        };
        Tensor keptY = switch (op) {
            case EXP, SQRT, RSQRT, RECIPROCAL -> out;
            default -> null;
        };
        return Tape.record(op.name().toLowerCase(), out, g -> new Tensor[] {unaryGrad(op, keptX, keptY, g)}, x);
    }

    private static Tensor unaryGrad(UnaryOp op, Tensor x, Tensor y, Tensor g) {
        return switch (op) {
            case NEG -> g.neg();
            case EXP -> g.mul(y);
            case LOG -> g.div(x);
            case SQRT -> g.div(y).mul(0.5);
            case RSQRT -> g.mul(y.pow(3)).mul(-0.5);
            case RECIPROCAL -> g.mul(y.mul(y)).neg();
            case SQUARE -> g.mul(x).mul(2);
            case SILU -> g.mul(unary(UnaryOp.SILU_DERIVATIVE, x));
            case SILU_DERIVATIVE -> throw new UnsupportedOperationException("second derivative of SiLU");
        };
    }

    static Tensor scalar(ScalarOp op, Tensor x, double c) {
        Tensor out = Tensor.forOverwrite(x.backend(), x.dtype(), x.shape());
        x.backend().scalar(op, x, c, out);
        Tensor keptX = op == ScalarOp.POW || op == ScalarOp.DIVIDE_INTO ? x : null;
        return Tape.record(op.name().toLowerCase(), out, g -> new Tensor[] {scalarGrad(op, keptX, c, g)}, x);
    }

    private static Tensor scalarGrad(ScalarOp op, Tensor x, double c, Tensor g) {
        return switch (op) {
            case ADD -> g;
            case MUL -> g.mul(c);
            case POW -> g.mul(x.pow(c - 1)).mul(c);
            case SUBTRACT_FROM -> g.neg();
            case DIVIDE_INTO -> g.mul(x.pow(-2)).mul(-c);
        };
    }

    static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        if (a.backend() != b.backend() || a.dtype() != b.dtype()) {
            throw new IllegalArgumentException(op + ": operands live on " + a.backend().name() + "/" + a.dtype()
                    + " and " + b.backend().name() + "/" + b.dtype());
        }
        int[] shape = Shapes.broadcast(a.shape(), b.shape());
        Tensor out = Tensor.forOverwrite(a.backend(), a.dtype(), shape);
        try (var scope = Grad.off()) {
            a.backend().binary(op, a.expand(shape), b.expand(shape), out);
        }
        int[] aShape = a.shape();
        int[] bShape = b.shape();
        boolean needA = a.requiresGrad();
        boolean needB = b.requiresGrad();
        // Sums and differences need no values; a product or quotient keeps what its gradients read.
        boolean readsValues = op == BinaryOp.MUL || op == BinaryOp.DIV;
        Tensor keptA = readsValues && needB ? a : null;
        Tensor keptB = readsValues && (needA || op == BinaryOp.DIV && needB) ? b : null;
        return Tape.record(op.name().toLowerCase(), out, g -> {
            Tensor ga = needA ? Reductions.sumToShape(binaryGradA(op, keptB, g), aShape) : null;
            Tensor gb = needB ? Reductions.sumToShape(binaryGradB(op, keptA, keptB, g), bShape) : null;
            return new Tensor[] {ga, gb};
        }, a, b);
    }

    private static Tensor binaryGradA(BinaryOp op, Tensor b, Tensor g) {
        return switch (op) {
            case ADD, SUB -> g;
            case MUL -> g.mul(b);
            case DIV -> g.div(b);
        };
    }

    private static Tensor binaryGradB(BinaryOp op, Tensor a, Tensor b, Tensor g) {
        return switch (op) {
            case ADD -> g;
            case SUB -> g.neg();
            case MUL -> g.mul(a);
            case DIV -> g.mul(a).div(b.mul(b)).neg();
        };
    }
}
