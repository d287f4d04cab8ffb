package dev.mixtape.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reverse-mode automatic differentiation over a dynamic graph.
 *
 * <p>Every op that runs with gradients enabled ({@link Grad}) and has an input that requires a
 * gradient calls {@link #record}: it attaches a {@link Node} to its output holding the inputs and a
 * {@link Backward} function. The nodes form a graph from the loss back to the leaves (parameters);
 * {@link #backward} walks it once in reverse topological order, turning each output's gradient into
 * its inputs' gradients and summing where a tensor was used more than once. Leaves that require a
 * gradient receive it in {@link Tensor#grad()} (added to what is there); the graph is then released,
 * so nothing grows across training steps.
 */
final class Tape {
    private Tape() {
    }

    /** Computes the gradients of an op's inputs from the gradient of its output. */
    @FunctionalInterface
    interface Backward {
        /** One gradient per input, in input order, each of that input's shape; null where not needed. */
        Tensor[] gradients(Tensor gradOut);
    }

    /** The recorded op that produced a tensor. */
    record Node(String op, Tensor[] inputs, Backward backward) {
    }

    /**
     * Records {@code out} as produced by {@code op} from {@code inputs}, if gradients are enabled and
     * any input requires one. Returns {@code out}.
     */
    static Tensor record(String op, Tensor out, Backward backward, Tensor... inputs) {
        if (!Grad.isEnabled()) {
            return out;
        }
        for (Tensor input : inputs) {
            if (input.requiresGrad()) {
                out.attach(new Node(op, inputs, backward));
                return out;
            }
        }
        return out;
    }

    /** Back-propagates {@code seed} (the gradient of {@code root}) to every leaf that requires a gradient. */
    static void backward(Tensor root, Tensor seed) {
        List<Tensor> order = topologicalOrder(root);
        Map<Tensor, Tensor> pending = new IdentityHashMap<>();
        pending.put(root, seed);
        try (var scope = Grad.off()) {
            for (int i = order.size() - 1; i >= 0; i--) {
                Tensor t = order.get(i);
                Tensor grad = pending.remove(t);
                if (grad == null) {
                    continue;
                }
                Node node = t.node();
                if (node == null) {
                    t.accumulateGrad(grad);
                    continue;
                }
                Tensor[] inputGrads = node.backward().gradients(grad);
                for (int j = 0; j < node.inputs().length; j++) {
                    Tensor input = node.inputs()[j];
                    Tensor g = inputGrads[j];
                    if (g == null || !input.requiresGrad()) {
                        continue;
                    }
                    if (!Arrays.equals(g.shape(), input.shape())) {
                        throw new IllegalStateException("backward of " + node.op() + " gave a gradient of shape "
                                + Shapes.str(g.shape()) + " for input " + j + " of shape " + Shapes.str(input.shape()));
                    }
                    pending.merge(input, g, Tensor::add);
                }
            }
        } finally {
            for (Tensor t : order) {
                t.detachNode();
            }
        }
    }

    /** Tensors reachable from {@code root}, each after all of its inputs (iterative, no recursion limit). */
    private static List<Tensor> topologicalOrder(Tensor root) {
        List<Tensor> order = new ArrayList<>();
        Set<Tensor> visited = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Tensor> stack = new ArrayDeque<>();
        Deque<Integer> nextInput = new ArrayDeque<>();
        stack.push(root);
        nextInput.push(0);
        visited.add(root);
        while (!stack.isEmpty()) {
            Tensor t = stack.peek();
            int i = nextInput.pop();
            Node node = t.node();
            if (node != null && i < node.inputs().length) {
                nextInput.push(i + 1);
                Tensor input = node.inputs()[i];
                if (input.requiresGrad() && visited.add(input)) {
                    stack.push(input);
                    nextInput.push(0);
                }
            } else {
                stack.pop();
                order.add(t);
            }
        }
        return order;
    }
}
