package dev.mixtape.models.adapters;

import dev.mixtape.adapters.Adapter;
import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.LoraConfig;
import dev.mixtape.adapters.LoraInit;
import dev.mixtape.adapters.MixerInit;
import dev.mixtape.adapters.TargetModules;
import dev.mixtape.engine.Backend;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.vector.VectorBackend;
import dev.mixtape.models.llama.Llama;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The adapter gradients that backward() computes through the real stories260K, against central
 * differences of the model's loss.
 *
 * <p>Step and tolerance: everything is f32. The loss (about 1.4 with the MoSLoRA adapter) is the result of some 10⁵
 * rounded operations, so as a function of one parameter it carries rounding noise of about 10⁻⁶;
 * divided by 2h that is 5·10⁻⁵ at h = 10⁻², and it grows as h shrinks (measured: h = 10⁻³ is off
 * by up to 6·10⁻³ relative). At h = 10⁻² the truncation error of a central difference, h²·L'''/6,
 * is still up to 2·10⁻³ relative for entries of A, whose values are only about 0.1. So the check
 * uses Richardson's extrapolation, (4·D(h/2) − D(h))/3 with h = 2·10⁻², which cancels the h² term
 * (measured on the 25 entries checked here: at most 7·10⁻⁵ absolute, 1.1·10⁻³ relative where |g| is
 * 0.04). It allows 10⁻⁴ + 10⁻³·|g|, so a gradient off by 1% would exceed it on every entry checked
 * (the largest of each matrix, |g| ≥ 0.02), as would a transposed factor or a missing term.
 */
class LlamaAdapterGradientTest {
    private static final double STEP = 2e-2;
    private static final List<String> CHECKED_LAYERS = List.of(
            "model.layers.0.self_attn.q_proj", "model.layers.1.self_attn.o_proj", "model.layers.2.self_attn.v_proj",
            "model.layers.3.mlp.gate_proj", "model.layers.4.mlp.down_proj");

    private final Backend backend = new VectorBackend(2);

    @Test
    void mosloraGradientsMatchFiniteDifferences() throws IOException {
        check(LoraConfig.builder(TargetModules.allLinear()).r(2).alpha(2).init(LoraInit.RANDOM).mixer(MixerInit.KAIMING).build());
    }

    @Test
    void rsLoraGradientsMatchFiniteDifferences() throws IOException {
        check(LoraConfig.builder(TargetModules.allLinear()).r(3).alpha(1).useRslora(true).init(LoraInit.RANDOM).build());
    }

    /** B must start non-zero (LoraInit.RANDOM): with B = 0 the gradients of A and M are zero and prove nothing. */
    private void check(LoraConfig config) throws IOException {
        Llama llama = Stories.load(backend);
        Adapter adapter = Adapters.inject(llama, config, "a", new Rng(1));
        int[] ids = Stories.ids();
        llama.loss(ids, Stories.nextTokens(ids), 1, ids.length, Stories.IGNORE).backward();

        int checked = 0;
        for (var entry : adapter.namedParameters().entrySet()) {
            String name = entry.getKey();
            if (CHECKED_LAYERS.stream().noneMatch(layer -> name.startsWith(layer + "."))) {
                continue;
            }
            Tensor parameter = entry.getValue();
            float[] gradient = parameter.grad().toFloatArray();
            int largest = 0;
            for (int i = 0; i < gradient.length; i++) {
                if (Math.abs(gradient[i]) > Math.abs(gradient[largest])) {
                    largest = i;
                }
            }
            double numeric = (4 * centralDifference(llama, ids, parameter, largest, STEP / 2)
                    - centralDifference(llama, ids, parameter, largest, STEP)) / 3;
            assertEquals(gradient[largest], numeric, 1e-4 + 1e-3 * Math.abs(gradient[largest]), name + " element " + largest);
            checked++;
        }
        assertEquals(CHECKED_LAYERS.size() * (config.useMixer() ? 3 : 2), checked);
    }

    /** {@code (L(p + h) − L(p − h)) / 2h} for element {@code index} of {@code parameter}, restoring it after. */
    private double centralDifference(Llama llama, int[] ids, Tensor parameter, int index, double step) {
        float[] values = parameter.toFloatArray();
        float[] plus = values.clone();
        float[] minus = values.clone();
        plus[index] = (float) (values[index] + step);
        minus[index] = (float) (values[index] - step);
        parameter.assign(Tensor.of(backend, plus, parameter.shape()));
        double lossPlus = Stories.loss(llama, ids);
        parameter.assign(Tensor.of(backend, minus, parameter.shape()));
        double lossMinus = Stories.loss(llama, ids);
        parameter.assign(Tensor.of(backend, values, parameter.shape()));
        return (lossPlus - lossMinus) / ((double) plus[index] - minus[index]);
    }
}
