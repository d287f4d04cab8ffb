package dev.mixtape.engine.nd4j;

import dev.mixtape.engine.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Row lookup by id and its backward on ND4J: the {@code gather} op reads rows of a table, the
 * {@code scatter_add} op adds gradient rows back (ids may repeat; their rows add up). The ids are
 * uploaded from the host on each call.
 */
final class Nd4jEmbedding {
    private Nd4jEmbedding() {
    }

    static void gatherRows(Nd4jViews views, Tensor table, int[] ids, Tensor out) {
        if (ids.length == 0) {
            return;
        }
        Nd4j.exec(DynamicCustomOp.builder("gather")
                .addInputs(views.rows(table), uploaded(ids, table.dim(0)))
                .addOutputs(views.rows(out))
                .addIntegerArguments(0)
                .build());
    }

    static void scatterAddRows(Nd4jViews views, Tensor dOut, int[] ids, Tensor dTable) {
        if (ids.length == 0) {
            return;
        }
        INDArray table = views.rows(dTable);
        Nd4j.exec(DynamicCustomOp.builder("scatter_add")
                .addInputs(table, uploaded(ids, dTable.dim(0)), views.rows(dOut))
                .addOutputs(table)
                .build());
    }

    private static INDArray uploaded(int[] ids, int vocab) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw new IllegalArgumentException("id " + ids[i] + " at position " + i + " outside a table of "
                        + vocab + " rows");
            }
        }
        return Nd4j.createFromArray(ids);
    }
}
