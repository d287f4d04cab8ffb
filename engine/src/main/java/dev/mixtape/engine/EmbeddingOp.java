package dev.mixtape.engine;

/** Embedding lookup (rows of a table by id) with a scatter-add backward. */
final class EmbeddingOp {
    private EmbeddingOp() {
    }

    static Tensor apply(Tensor table, int[] ids) {
        if (table.rank() != 2) {
            throw new IllegalArgumentException("embedding: table must be [vocab, dim], got " + Shapes.str(table.shape()));
        }
        WeightOperand.requireFrozen("embedding", table);
        int vocab = table.dim(0);
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw new IllegalArgumentException("embedding: id " + ids[i] + " at position " + i + " outside vocabulary of " + vocab);
            }
        }
        Tensor tc;
        try (var scope = Grad.off()) {
            tc = table.contiguous();
        }
        Backend backend = table.backend();
        Tensor out = Tensor.zeros(backend, table.dtype().arithmetic(), ids.length, table.dim(1));
        backend.gatherRows(tc, ids, out);
        return Tape.record("embedding", out, g -> {
            Tensor dTable = Tensor.zeros(backend, table.dtype().arithmetic(), table.shape());
            backend.scatterAddRows(g.contiguous(), ids, dTable);
            return new Tensor[] {dTable};
        }, table);
    }
}
