package dev.mixtape.adapters;

import dev.mixtape.engine.F;
import dev.mixtape.engine.Grad;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.nn.Linear;

/**
 * One adapter's low-rank update inside one {@link LoraLinear}: {@code s · dropout(x)·Aᵀ·Mᵀ·Bᵀ}, the
 * mixer M present for MoSLoRA only. Computed as thin products ({@code [.., in] → [.., r] → [.., out]})
 * through the down-projection M·A, never forming the {@code [out, in]} matrix B·M·A except to
 * {@link #delta merge} it.
 */
final class LoraBranch {
    final LoraConfig config;
    final int rank;
    final double scaling;
    final Factor a;
    final Factor mixer;
    final Factor b;

    LoraBranch(LoraConfig config, int rank, double scaling, Factor a, Factor mixer, Factor b) {
        this.config = config;
        this.rank = rank;
        this.scaling = scaling;
        this.a = a;
        this.mixer = mixer;
        this.b = b;
    }

    /** The branch's output for {@code x [.., in]}; dropout applies when {@code dropoutRng} is non-null (training). */
    Tensor forward(Tensor x, Rng dropoutRng) {
        Tensor h = F.linear(dropped(x, dropoutRng), down(), null);
        return F.linear(h.mul(scaling), b.weight(), null);
    }

    /**
     * Adds this branch's output for {@code x [rows, in]} into {@code out [rows, out]} in place, off the
     * tape: the rank-r product accumulated into {@code out} as {@link #addedTo}'s fused op accumulates it
     * into the base product for a few rows, so that {@code out} holding {@code base(x)} ends with the
     * same floats as {@code addedTo(base, x, null)} gives a row alone (a layer without bias).
     */
    void addInto(Tensor x, Tensor out) {
        Tensor scaledHidden = F.linear(x, down(), null).mul(scaling);
        out.backend().matmul(scaledHidden, false, b.weight().contiguous(), true, out, true);
    }

    /**
     * {@code base(x)} plus this branch, with dropout when {@code dropoutRng} is non-null (training),
     * in one fused op ({@link F#lowRankLinear}); for a layer without bias (a Llama's) the same floats
     * as {@code base(x)} plus {@link #forward}.
     */
    Tensor addedTo(Linear base, Tensor x, Rng dropoutRng) {
        Tensor y = F.lowRankLinear(x, base.weight(), dropped(x, dropoutRng), down(), b.weight(), scaling);
        return base.bias() == null ? y : y.add(base.bias());
    }

    private Tensor dropped(Tensor x, Rng dropoutRng) {
        return dropoutRng == null ? x : F.dropout(x, config.dropout(), dropoutRng);
    }

    /** The down-projection {@code [r, in]}: A, or M·A for MoSLoRA (formed once per pass; it is as small as A). */
    private Tensor down() {
        return mixer == null ? a.weight() : mixer.weight().matmul(a.weight());
    }

    /** {@code s·B·M·A} (or {@code s·B·A}), {@code [out, in]}, off the tape: what merging adds to the base weight. */
    Tensor delta() {
        try (var _ = Grad.off()) {
            return b.weight().matmul(down()).mul(scaling);
        }
    }
}
