package dev.lanes.nn.data;

import dev.lanes.nn.Tensor;

/** Shape helpers shared by the data sets of this package. */
final class Rows {
    private Rows() {}

    /** {@code (n, shape...)}. */
    static int[] prepend(int n, int[] shape) {
        int[] s = new int[shape.length + 1];
        s[0] = n;
        System.arraycopy(shape, 0, s, 1, shape.length);
        return s;
    }

    /** The shape without its first dimension. */
    static int[] tail(int[] shape) {
        int[] s = new int[shape.length - 1];
        System.arraycopy(shape, 1, s, 0, s.length);
        return s;
    }

    /**
     * A tensor whose values are laid out row-major from {@code arrayOffset()} and that shares nothing with
     * autograd: {@code t} itself (detached) when already so, otherwise a copy.
     */
    static Tensor packed(Tensor t) {
        return t.isContiguous() ? t.detach() : t.contiguousClone();
    }
}
