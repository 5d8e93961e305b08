package dev.lanes.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Views share their base's storage (writes through a view change the base, as in PyTorch), and gradients
 * flow through chains of views into the base leaf: each chain is compared with the same computation where
 * every view is materialised as a contiguous copy ({@code copy()}, PyTorch's {@code clone()}) before the next
 * op, which must give the same values and gradients bit for bit.
 */
class ViewsTest {
    private static Tensor arange(int... shape) {
        return Tensor.arange(Shapes.numel(shape)).reshape(shape);
    }

    @Test
    void writesThroughTransposeChangeTheBase() {
        Tensor base = arange(2, 3);
        Tensor t = base.transpose(0, 1);
        assertArrayEquals(new int[] {3, 2}, t.shape());
        assertArrayEquals(new int[] {1, 3}, t.strides());
        assertFalse(t.isContiguous());
        t.set(42f, 2, 1);
        assertEquals(42f, base.get(1, 2));
        t.fill_(0f);
        assertArrayEquals(new float[6], base.toArray());
        base.set(9f, 0, 2);
        assertEquals(9f, t.get(2, 0), "and writes to the base show through the view");
    }

    @Test
    void writesThroughSliceAndSelectChangeTheBase() {
        Tensor base = arange(3, 4);
        base.slice(1, 1, 3).fill_(-1f);
        assertArrayEquals(new float[] {0, -1, -1, 3, 4, -1, -1, 7, 8, -1, -1, 11}, base.toArray());
        base.select(0, 2).copy_(Tensor.of(new float[] {20, 21, 22, 23}));
        assertArrayEquals(new float[] {20, 21, 22, 23}, base.select(0, 2).toArray());
        base.select(1, 3).copy_(Tensor.scalar(-5f)); // broadcast into a strided column
        assertArrayEquals(new float[] {0, -1, -1, -5, 4, -1, -1, -5, 20, 21, 22, -5}, base.toArray());
        // a slice of a slice of a transpose
        base.t().slice(0, 1, 3).select(1, 1).set(100f, 1);
        assertEquals(100f, base.get(1, 2));
        assertThrows(IllegalArgumentException.class, () -> base.slice(1, 2, 5));
    }

    @Test
    void writesThroughPermuteUnsqueezeAndViewChangeTheBase() {
        Tensor base = arange(2, 3, 4);
        Tensor p = base.permute(2, 0, 1);
        assertArrayEquals(new int[] {4, 2, 3}, p.shape());
        assertEquals(base.get(1, 2, 3), p.get(3, 1, 2));
        p.set(-7f, 3, 1, 2);
        assertEquals(-7f, base.get(1, 2, 3));
        base.unsqueeze(1).set(55f, 0, 0, 1, 1);
        assertEquals(55f, base.get(0, 1, 1));
        Tensor flat = base.view(-1);
        flat.set(66f, 5);
        assertEquals(66f, base.get(0, 1, 1));
        base.movedim(0, 2).set(77f, 2, 3, 1);
        assertEquals(77f, base.get(1, 2, 3));
    }

    /** A write through an expanded view writes the one shared element, so every alias of it changes. */
    @Test
    void writeThroughExpandWritesTheSharedElement() {
        Tensor col = Tensor.of(new float[] {1, 2, 3}, 3, 1);
        Tensor e = col.expand(3, 4);
        assertArrayEquals(new int[] {1, 0}, e.strides());
        e.set(5f, 1, 2);
        assertEquals(5f, col.get(1, 0));
        for (int j = 0; j < 4; j++) {
            assertEquals(5f, e.get(1, j), "every alias of the shared element");
        }
        assertArrayEquals(new float[] {1, 1, 1, 1, 5, 5, 5, 5, 3, 3, 3, 3}, e.toArray());
        Tensor row = Tensor.of(new float[] {1, 2}, 2).expand(3, 2);
        row.set(9f, 2, 0);
        assertArrayEquals(new float[] {9, 2, 9, 2, 9, 2}, row.toArray());
    }

    /** reshape of a non-contiguous tensor copies (as PyTorch's does), so writes to it leave the base alone; view refuses. */
    @Test
    void reshapeOfANonContiguousTensorIsACopy() {
        Tensor base = arange(2, 3);
        Tensor r = base.t().reshape(6);
        r.set(99f, 0);
        assertEquals(0f, base.get(0, 0));
        assertThrows(IllegalStateException.class, () -> base.t().view(6));
        Tensor v = base.reshape(3, 2);
        v.set(99f, 0, 0);
        assertEquals(99f, base.get(0, 0), "reshape of a contiguous tensor is a view");
        Tensor c = base.t().contiguous();
        c.set(-1f, 0, 0);
        assertEquals(99f, base.get(0, 0), "contiguous() of a non-contiguous tensor is a copy");
        assertTrue(base.contiguous() == base, "contiguous() of a contiguous tensor is the tensor itself");
    }

    // ------------------------------------------------------------------------------------ gradients

    /** An op in a chain: applied to a view, or to {@code copy()} of it (the contiguous version). */
    private interface Chain {
        Tensor apply(Tensor x, Function<Tensor, Tensor> m);
    }

    /**
     * Runs {@code chain} on a leaf with views ({@code m} = identity) and on a second leaf with the same values
     * where {@code m} materialises each view; values and gradients must be equal bit for bit, and the gradient
     * must also match finite differences.
     */
    private static void checkChain(String what, Tensor values, Chain chain, Tensor dy) {
        Tensor a = values.contiguousClone().requiresGrad(true);
        Tensor b = values.contiguousClone().requiresGrad(true);
        Tensor ya = chain.apply(a, t -> t);
        Tensor yb = chain.apply(b, Tensor::copy);
        assertArrayEquals(yb.shape(), ya.shape(), what + ": shape");
        assertArrayEquals(yb.toArray(), ya.toArray(), what + ": values through views vs contiguous copies");
        ya.backward(dy);
        yb.backward(dy);
        assertArrayEquals(b.grad().toArray(), a.grad().toArray(), what + ": gradient through views vs contiguous copies");
        Tensor c = values.contiguousClone().requiresGrad(true);
        GradCheck.check(in -> chain.apply(in[0], t -> t), 1e-2, 1e-2, 1e-2, c);
    }

    @Test
    void gradientsFlowThroughViewChainsIntoTheBase() {
        Generator g = new Generator(11);
        Tensor w44 = Tensor.randn(g, 4, 4);
        checkChain("t-slice-permute", Tensor.randn(g, 4, 6),
                (x, m) -> m.apply(m.apply(m.apply(x.t()).slice(0, 1, 5)).permute(1, 0)).mul(w44), Tensor.randn(g, 4, 4));

        Tensor w254 = Tensor.randn(g, 2, 5, 4);
        checkChain("permute-select-unsqueeze-expand", Tensor.randn(g, 3, 4, 5),
                (x, m) -> m.apply(m.apply(m.apply(m.apply(x.permute(2, 0, 1)).select(1, 2)).unsqueeze(0)).expand(2, 5, 4))
                        .mul(w254).sum(-1, false), Tensor.randn(g, 2, 5));

        checkChain("transpose-reshape(copy)-slice-exp", Tensor.randn(g, 2, 3, 4),
                (x, m) -> m.apply(m.apply(x.transpose(0, 2)).reshape(4, 6).slice(1, 1, 5)).exp(), Tensor.randn(g, 4, 4));

        // two overlapping views of the same leaf: the gradients of both uses add up
        checkChain("overlapping slices", Tensor.randn(g, 3, 5),
                (x, m) -> m.apply(x.slice(1, 0, 3)).mul(m.apply(x.slice(1, 2, 5))), Tensor.randn(g, 3, 3));

        // squeeze / unsqueeze / flatten / movedim, and a reduction over a strided view
        checkChain("unsqueeze-movedim-squeeze-flatten", Tensor.randn(g, 2, 3),
                (x, m) -> m.apply(m.apply(m.apply(x.unsqueeze(0)).movedim(2, 0)).squeeze(1)).flatten().mul(2f).add(1f),
                Tensor.randn(g, 6));
        checkChain("sum over a transposed view", Tensor.randn(g, 3, 4),
                (x, m) -> m.apply(x.t()).sum(1, false), Tensor.randn(g, 4));
    }

    /** matmul reads transposed views in place (GEMM flags); it agrees with the copies to rounding. */
    @Test
    void matmulOfTransposedViewsMatchesContiguousCopies() {
        Generator g = new Generator(12);
        Tensor av = Tensor.randn(g, 7, 5), bv = Tensor.randn(g, 6, 7), dy = Tensor.randn(g, 5, 6);
        Tensor a1 = av.contiguousClone().requiresGrad(true), b1 = bv.contiguousClone().requiresGrad(true);
        Tensor a2 = av.contiguousClone().requiresGrad(true), b2 = bv.contiguousClone().requiresGrad(true);
        Tensor y1 = a1.t().matmul(b1.t());
        Tensor y2 = a2.t().copy().matmul(b2.t().copy());
        assertClose(y2.toArray(), y1.toArray(), "a^T b^T");
        y1.backward(dy);
        y2.backward(dy);
        assertClose(a2.grad().toArray(), a1.grad().toArray(), "d a");
        assertClose(b2.grad().toArray(), b1.grad().toArray(), "d b");
    }

    /** Sums of 7 products computed from operands in different layouts: 1e-6 relative + 1e-6 absolute. */
    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-6 + 1e-6 * Math.abs(expected[i]), what + "[" + i + "]");
        }
    }

    /** A view of a leaf records its history: gradients reach the leaf, and the view's grad_fn names the view op. */
    @Test
    void viewsOfALeafCarryHistory() {
        Tensor x = Tensor.ones(2, 3).requiresGrad(true);
        assertEquals("PermuteBackward", x.t().gradFnName());
        assertEquals("SliceBackward", x.slice(0, 0, 1).gradFnName());
        assertEquals("ExpandBackward", x.unsqueeze(0).expand(4, 2, 3).gradFnName());
        x.unsqueeze(0).expand(4, 2, 3).sum().backward();
        assertArrayEquals(new float[] {4, 4, 4, 4, 4, 4}, x.grad().toArray(), "expand's backward sums the copies");
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            assertEquals(null, x.t().gradFnName(), "no history is recorded in a no-grad scope");
            x.slice(1, 0, 1).fill_(3f); // in-place writes to a parameter's view are allowed without grad
        }
        assertArrayEquals(new float[] {3, 1, 1, 3, 1, 1}, x.toArray());
    }
}
