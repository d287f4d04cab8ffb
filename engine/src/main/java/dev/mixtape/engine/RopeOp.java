package dev.mixtape.engine;

/** Fused rotary position embedding; its backward is the rotation by the opposite angle. */
final class RopeOp {
    private RopeOp() {
    }

    static Tensor apply(Tensor x, RopeTable table, int positionOffset) {
        if (x.dim(-1) != table.headDim()) {
            throw new IllegalArgumentException("rope: head dimension " + x.dim(-1) + " but the table is for " + table.headDim());
        }
        int positions = x.rank() >= 2 ? x.dim(-2) : 1;
        if (positionOffset < 0 || positionOffset + positions > table.maxPositions()) {
            throw new IllegalArgumentException("rope: positions " + positionOffset + ".." + (positionOffset + positions - 1)
                    + " beyond the table's " + table.maxPositions());
        }
        Tensor xc;
        try (var scope = Grad.off()) {
            xc = x.contiguous();
        }
        Backend backend = x.backend();
        DType dtype = x.dtype();
        int[] shape = x.shape();
        Tensor out = Tensor.forOverwrite(backend, dtype, shape);
        backend.rope(xc, table.cos(), table.sin(), table.layout(), positionOffset, false, out);
        return Tape.record("rope", out, g -> {
            Tensor dx = Tensor.forOverwrite(backend, dtype, shape);
            backend.rope(g.contiguous(), table.cos(), table.sin(), table.layout(), positionOffset, true, dx);
            return new Tensor[] {dx};
        }, x);
    }
}
