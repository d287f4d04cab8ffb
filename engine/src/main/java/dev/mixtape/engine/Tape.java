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
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reverse-mode automatic differentiation over a dynamic graph.
 *
 * <p>Every op that runs with gradients enabled ({@link Grad}) and has an input that requires a
 * gradient calls {@link #record}: it attaches a {@link Node} to its output holding a {@link Backward}
 * function and, for each input, an {@link Edge} to where that input's gradient goes. The nodes form a
 * graph from the loss back to the leaves (parameters); {@link #backward} walks it once in reverse
 * topological order, turning each output's gradient into its inputs' gradients and summing where a
 * tensor was used more than once. Leaves that require a gradient receive it in {@link Tensor#grad()}
 * (added to what is there).
 *
 * <p>Memory: the graph refers to nodes and leaves, never to the intermediate tensors themselves, so
 * an activation stays alive only while some backward function captured it because it needs its
 * values (a matmul keeps its other operand, a softmax its output); the output of an addition, say,
 * is freed as soon as the ops that read it are done. Each node is released (its backward function
 * and edges dropped) as soon as it has run, so activations are freed during the backward pass and
 * nothing grows across training steps.
 *
 * <p>A checkpointed block ({@link CheckpointOp}) is one node that keeps only its input: its backward
 * records the block again and back-propagates through that recording with {@link #backwardWithin},
 * which refuses a recording that reaches back into the graph outside it.
 */
final class Tape {
    /** The serial number of the next node, so that nodes made after a point are told from those before. */
    private static final AtomicLong SERIALS = new AtomicLong();
    /** Set while {@link #noticingGradients} runs a block on this thread without recording. */
    private static final ThreadLocal<boolean[]> NOTICING = new ThreadLocal<>();

    private Tape() {
    }

    /** Computes the gradients of an op's inputs from the gradient of its output. */
    @FunctionalInterface
    interface Backward {
        /** One gradient per input, in input order, each of that input's shape; null where not needed. */
        Tensor[] gradients(Tensor gradOut);
    }

    /**
     * Where the gradient of one input of a node goes: into the node that produced the input, or into
     * the input itself when it is a leaf that requires a gradient.
     *
     * @param producer the node that produced the input, or null for a leaf
     * @param leaf     the leaf, or null when the input has a producer
     * @param shape    the input's shape, which its gradient must have
     */
    record Edge(Node producer, Tensor leaf, int[] shape) {
    }

    /** The recorded op that produced a tensor; released once back-propagated through. */
    static final class Node {
        private final String op;
        private final long serial = SERIALS.getAndIncrement();
        private Edge[] edges;
        private Backward backward;

        private Node(String op, Edge[] edges, Backward backward) {
            this.op = op;
            this.edges = edges;
            this.backward = backward;
        }

        /** The op's name, for messages. */
        String op() {
            return op;
        }

        /** Whether back-propagation has run through this node (or a backward pass that reached it failed). */
        boolean released() {
            return backward == null;
        }

        private void release() {
            edges = null;
            backward = null;
        }
    }

    /**
     * Records {@code out} as produced by {@code op} from {@code inputs}, if gradients are enabled and
     * any input requires one. Returns {@code out}.
     */
    static Tensor record(String op, Tensor out, Backward backward, Tensor... inputs) {
        if (!Grad.isEnabled()) {
            notice(inputs);
            return out;
        }
        return attach(op, out, backward, false, inputs);
    }

    /**
     * Tells a {@link #noticingGradients} block running on this thread, if any, that an op with gradients
     * off read {@code inputs}: what {@link #record} does with gradients off, for an op that has no
     * backward to record because it runs only then ({@link LinearsOp}'s one job).
     */
    static void notice(Tensor... inputs) {
        boolean[] noticed = NOTICING.get();
        if (noticed != null && !noticed[0]) {
            noticed[0] = Arrays.stream(inputs).anyMatch(Tensor::requiresGrad);
        }
    }

    /**
     * Records {@code out} as produced by {@code op} from {@code inputs} whether or not an input
     * requires a gradient (gradients must be enabled): for an op whose backward reaches leaves that are
     * not among its inputs ({@link CheckpointOp}). Returns {@code out}.
     */
    static Tensor recordAlways(String op, Tensor out, Backward backward, Tensor... inputs) {
        return attach(op, out, backward, true, inputs);
    }

    private static Tensor attach(String op, Tensor out, Backward backward, boolean always, Tensor... inputs) {
        Edge[] edges = new Edge[inputs.length];
        boolean any = always;
        for (int i = 0; i < inputs.length; i++) {
            Tensor input = inputs[i];
            Node producer = input.node();
            if (producer != null) {
                edges[i] = new Edge(producer, null, input.shape());
                any = true;
            } else if (input.requiresGrad()) {
                edges[i] = new Edge(null, input, input.shape());
                any = true;
            }
        }
        if (any) {
            out.attach(new Node(op, edges, backward));
        }
        return out;
    }

    /**
     * Runs {@code block} with gradients off and says whether any op in it had an input that requires
     * a gradient, that is whether, run with gradients on, it would have recorded anything.
     */
    static boolean noticingGradients(Runnable block) {
        boolean[] outer = NOTICING.get();
        boolean[] noticed = {false};
        NOTICING.set(noticed);
        try (var scope = Grad.off()) {
            block.run();
        } finally {
            if (outer == null) {
                NOTICING.remove();
            } else {
                NOTICING.set(outer);
                outer[0] |= noticed[0];
            }
        }
        return noticed[0];
    }

    /** The serial number the next recorded node will have or exceed: nodes recorded from now on are {@link #backwardWithin} it. */
    static long nextSerial() {
        return SERIALS.get();
    }

    /** Back-propagates {@code seed} (the gradient of {@code root}) to every leaf that requires a gradient. */
    static void backward(Tensor root, Tensor seed) {
        backwardWithin(root, seed, Long.MIN_VALUE);
    }

    /**
     * {@link #backward}, for a graph recorded from serial number {@code firstSerial} on ({@link #nextSerial}):
     * refuses, before anything runs, a graph that reaches a node recorded earlier. Returns the leaves
     * whose gradients it added to.
     */
    static Set<Tensor> backwardWithin(Tensor root, Tensor seed, long firstSerial) {
        Set<Tensor> leaves = Collections.newSetFromMap(new IdentityHashMap<>());
        Node rootNode = root.node();
        if (rootNode == null) {
            try (var scope = Grad.off()) {
                root.accumulateGrad(seed);
            }
            leaves.add(root);
            return leaves;
        }
        List<Node> order = topologicalOrder(rootNode);
        for (Node node : order) {
            if (node.serial < firstSerial) {
                throw new IllegalStateException("a checkpointed block used the output of " + node.op()
                        + " from outside the block, which needs a gradient: pass it to the block as its input");
            }
        }
        PendingGradients pending = new PendingGradients(seed);
        pending.put(rootNode, seed);
        try (var scope = Grad.off()) {
            for (int i = order.size() - 1; i >= 0; i--) {
                Node node = order.get(i);
                Tensor grad = pending.remove(node);
                if (grad == null) {
                    node.release();
                    continue;
                }
                Tensor[] inputGrads = node.backward.gradients(grad);
                Edge[] edges = node.edges;
                node.release();
                List<Tensor> passedOn = new ArrayList<>();
                passedOn.add(grad);
                for (int j = 0; j < edges.length; j++) {
                    Edge edge = edges[j];
                    Tensor g = inputGrads[j];
                    if (edge == null || g == null) {
                        continue;
                    }
                    if (!Arrays.equals(g.shape(), edge.shape())) {
                        throw new IllegalStateException("backward of " + node.op() + " gave a gradient of shape "
                                + Shapes.str(g.shape()) + " for input " + j + " of shape " + Shapes.str(edge.shape()));
                    }
                    passedOn.add(g);
                    if (edge.producer() == null) {
                        edge.leaf().accumulateGrad(g);
                        leaves.add(edge.leaf());
                    } else if (!edge.producer().released()) {
                        Tensor before = pending.get(edge.producer());
                        if (before == null) {
                            pending.put(edge.producer(), g);
                        } else {
                            pending.put(edge.producer(), before.add(g));
                            passedOn.add(before);
                        }
                    }
                }
                pending.recycleUnread(passedOn);
            }
        } finally {
            for (Node node : order) {
                node.release();
            }
        }
        return leaves;
    }

    /** Nodes reachable from {@code root}, each after the nodes its inputs came from (iterative, no recursion limit). */
    private static List<Node> topologicalOrder(Node root) {
        List<Node> order = new ArrayList<>();
        Set<Node> visited = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Node> stack = new ArrayDeque<>();
        Deque<Integer> nextEdge = new ArrayDeque<>();
        stack.push(root);
        nextEdge.push(0);
        visited.add(root);
        while (!stack.isEmpty()) {
            Node node = stack.peek();
            int i = nextEdge.pop();
            if (i < node.edges.length) {
                nextEdge.push(i + 1);
                Edge edge = node.edges[i];
                Node producer = edge == null ? null : edge.producer();
                if (producer != null && !producer.released() && visited.add(producer)) {
                    stack.push(producer);
                    nextEdge.push(0);
                }
            } else {
                stack.pop();
                order.add(node);
            }
        }
        return order;
    }
}
