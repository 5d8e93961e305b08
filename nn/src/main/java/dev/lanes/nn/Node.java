package dev.lanes.nn;

/**
 * How a tensor was computed, for autograd: the operation's name, its inputs, and the function from the
 * gradient of its result to the gradients of its inputs (micrograd's closure, llm.c's op_backward).
 */
final class Node {
    /** Maps the gradient of the result to one gradient per input (null for inputs that need none). */
    @FunctionalInterface
    interface Backward {
        Tensor[] apply(Tensor gradOutput);
    }

    final String name;
    final Tensor[] inputs;
    final Backward backward;

    Node(String name, Tensor[] inputs, Backward backward) {
        this.name = name;
        this.inputs = inputs;
        this.backward = backward;
    }
}
