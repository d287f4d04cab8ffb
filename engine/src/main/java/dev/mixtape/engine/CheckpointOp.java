package dev.mixtape.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Activation checkpointing ({@link F#checkpoint}): a block of ops recorded as one op that keeps only
 * its input. The forward pass runs the block with gradients off, so none of its activations are kept;
 * the backward pass runs it again from the kept input with gradients on and back-propagates the
 * output's gradient through that recording, to the input and to the parameters the block reads. A
 * training step then holds each block's input and one block's activations at a time, instead of every
 * block's activations, for one more forward pass of the blocks.
 *
 * <p>The recomputation does what the forward pass did, op for op, so the gradients are those of the
 * block run without checkpointing, bit for bit: the random numbers the block drew (dropout masks) are
 * drawn again from the same generator states ({@link RandomReplay}), and the block must depend on
 * nothing else that changes between the two passes. A tensor from outside the block that needs a
 * gradient must be the block's input (an error says so otherwise); parameters are read as they are.
 *
 * <p>Memory: in an open {@link StepMemory} step, the arrays the block allocates go back to the step as
 * soon as each pass through it is done ({@link Backend#stepScope}), all but its output in the forward
 * pass and, in the backward pass, the gradients it leaves (of its input and of the parameters it reached).
 */
final class CheckpointOp {
    private CheckpointOp() {
    }

    static Tensor apply(UnaryOperator<Tensor> block, Tensor x) {
        if (!Grad.isEnabled()) {
            return block.apply(x);
        }
        Backend backend = x.backend();
        RandomReplay draws = new RandomReplay();
        StepMemory.Scope forward = backend.stepScope();
        Tensor[] output = new Tensor[1];
        boolean needsGradient = Tape.noticingGradients(() -> output[0] = draws.recording(() -> block.apply(x)));
        Tensor out = output[0];
        forward.closeKeeping(List.of(out));
        if (!needsGradient) {
            return out;
        }
        boolean inputNeedsGradient = x.requiresGrad();
        return Tape.recordAlways("checkpoint", out, gradOut -> {
            StepMemory.Scope backward = backend.stepScope();
            Tensor input = x.detach().requiresGrad(inputNeedsGradient);
            long firstSerial = Tape.nextSerial();
            Tensor recomputed;
            try (var scope = Grad.on()) {
                recomputed = draws.replaying(() -> block.apply(input));
            }
            Set<Tensor> leaves = Tape.backwardWithin(recomputed, gradOut, firstSerial);
            List<Tensor> gradients = new ArrayList<>();
            for (Tensor leaf : leaves) {
                if (leaf.grad() != null) {
                    gradients.add(leaf.grad());
                }
            }
            backward.closeKeeping(gradients);
            return new Tensor[] {input.grad()};
        }, x);
    }
}
