package dev.lanes.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The tensor core: views, broadcasting, matmul and reductions, and autograd through all of them. */
class TensorTest {
    @Test
    void seed002AutogradExample() {
        // a = 2, b = 3, loss = mean(a * b + 1): d loss / d a = b = 3, d loss / d b = a = 2.
        Tensor a = Tensor.scalar(2f).requiresGrad(true);
        Tensor b = Tensor.scalar(3f).requiresGrad(true);
        Tensor loss = a.mul(b).add(1f).mean();
        assertEquals(7f, loss.item());
        loss.backward();
        assertEquals(3f, a.grad().item());
        assertEquals(2f, b.grad().item());
    }

    @Test
    void fanOutAccumulatesAndRepeatedBackwardAddsUp() {
        Tensor x = Tensor.scalar(3f).requiresGrad(true);
        Tensor y = x.mul(x).add(x); // dy/dx = 2x + 1 = 7
        y.backward();
        assertEquals(7f, x.grad().item());
        x.mul(2f).backward(); // accumulates, as in PyTorch
        assertEquals(9f, x.grad().item());
        x.zeroGrad();
        assertNull(x.grad());
    }

    @Test
    void viewsShareStorageAndCarryGradients() {
        Tensor base = Tensor.arange(6).reshape(2, 3);
        Tensor t = base.t();
        assertArrayEquals(new int[] {3, 2}, t.shape());
        assertEquals(5f, t.get(2, 1));
        t.set(42f, 0, 1);
        assertEquals(42f, base.get(1, 0), "writing through a view changes the base");
        base.slice(1, 1, 3).fill_(-1f);
        assertArrayEquals(new float[] {0, -1, -1, 42, -1, -1}, base.toArray());
        assertArrayEquals(new float[] {0, 42, -1, -1, -1, -1}, base.t().contiguous().toArray());

        Tensor w = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad(true);
        w.t().slice(0, 1, 3).mul(Tensor.of(new float[] {10, 20, 30, 40}, 2, 2)).sum().backward();
        // w.t()[1:3] picks w[:, 1:3] transposed: grads land on w[0][1], w[1][1], w[0][2], w[1][2].
        assertArrayEquals(new float[] {0, 10, 30, 0, 20, 40}, w.grad().toArray());
    }

    @Test
    void broadcastingAndItsGradient() {
        Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).requiresGrad(true);
        Tensor row = Tensor.of(new float[] {10, 20, 30}, 3).requiresGrad(true);
        Tensor col = Tensor.of(new float[] {100, 200}, 2, 1).requiresGrad(true);
        Tensor y = a.add(row).mul(col);
        assertArrayEquals(new float[] {1100, 2200, 3300, 2800, 5000, 7200}, y.toArray());
        y.sum().backward();
        assertArrayEquals(new float[] {100, 100, 100, 200, 200, 200}, a.grad().toArray());
        assertArrayEquals(new float[] {300, 300, 300}, row.grad().toArray());
        assertArrayEquals(new float[] {66, 75}, col.grad().toArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.zeros(2, 3).add(Tensor.zeros(4)));
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4]"), e.getMessage());
    }

    @Test
    void matmulShapesFollowTorch() {
        Tensor a = Tensor.arange(6).reshape(2, 3);
        Tensor b = Tensor.arange(12).reshape(3, 4);
        assertArrayEquals(new float[] {20, 23, 26, 29, 56, 68, 80, 92}, a.matmul(b).toArray());
        // Transposed views go to GEMM through its transpose flags: (b^T)^T (a^T)^T is a b again.
        assertArrayEquals(a.matmul(b).toArray(), a.t().t().matmul(b.t().contiguous().t()).toArray());
        assertArrayEquals(new float[] {20, 56, 23, 68, 26, 80, 29, 92}, b.t().matmul(a.t()).toArray());
        assertArrayEquals(new int[] {2}, a.matmul(Tensor.ones(3)).shape());
        assertArrayEquals(new int[] {4}, Tensor.ones(3).matmul(b).shape());
        assertArrayEquals(new int[] {5, 2, 4}, Tensor.ones(5, 2, 3).matmul(b).shape());
        assertEquals(5f, Tensor.arange(3).matmul(Tensor.arange(3)).item());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.zeros(3, 4).matmul(Tensor.zeros(5, 6)));
        assertTrue(e.getMessage().contains("[3, 4]") && e.getMessage().contains("[5, 6]"), e.getMessage());
    }

    @Test
    void gradcheckOfComposedOps() {
        Generator g = new Generator(3);
        Tensor a = Tensor.randn(g, 3, 4).requiresGrad(true);
        Tensor b = Tensor.randn(g, 4, 5).requiresGrad(true);
        Tensor c = Tensor.randn(g, 5).requiresGrad(true);
        GradCheck.check(in -> in[0].matmul(in[1]), a, b);
        GradCheck.check(in -> in[0].add(in[1]), b, c);
        GradCheck.check(in -> in[0].tanh(), b);
        GradCheck.check(in -> in[0].softmax(1), b);
        GradCheck.check(in -> in[0].matmul(in[1]).add(in[2]).tanh().softmax(1), a, b, c);
        GradCheck.check(in -> in[0].t().matmul(in[0]).sigmoid().mul(in[0].sum(0, true).t()), a);
        Tensor batched = Tensor.randn(g, 2, 3, 4).requiresGrad(true);
        GradCheck.check(in -> in[0].matmul(in[1]).logSoftmax(-1).mean(1, false), batched, b);
        Tensor pos = Tensor.rand(g, 2, 5).add(0.5f).requiresGrad(true);
        GradCheck.check(in -> in[0].log().add(in[0].sqrt()).div(in[0].pow(2f).add(1f)).exp(), pos);
        GradCheck.check(in -> in[0].var(1, 1, false), pos);
        // max: values far apart, so that +-eps never changes which element is the largest.
        Tensor spread = Tensor.of(new float[] {1, 5, 3, 2, 0.5f, 4}, 2, 3).requiresGrad(true);
        GradCheck.check(in -> in[0].max(0, false).mul(in[0].max(1, true).sum()), spread);
        GradCheck.check(in -> in[0].permute(1, 0).reshape(10).slice(0, 2, 7).gelu().mul(in[0].flatten().slice(0, 0, 5)), pos);
    }

    @Test
    void reductionsOverDims() {
        Tensor x = Tensor.arange(24).reshape(2, 3, 4);
        assertArrayEquals(new float[] {12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34}, x.sum(0, false).toArray());
        assertArrayEquals(new int[] {2, 1, 4}, x.sum(1, true).shape());
        assertArrayEquals(new float[] {12, 15, 18, 21, 48, 51, 54, 57}, x.sum(1, false).toArray());
        assertArrayEquals(new float[] {6, 22, 38, 54, 70, 86}, x.sum(2, false).toArray());
        assertArrayEquals(new float[] {3, 3, 3, 3, 3, 3}, x.argmax(2, false).toArray());
        assertArrayEquals(new float[] {2.3333333f, 2.3333333f}, Tensor.of(new float[] {1, 2, 4, 5, 6, 8}, 2, 3)
                .var(1, 1, false).toArray(), 1e-6f);
        assertEquals(276f, x.sum().item());
        assertEquals(11.5f, x.mean().item());
    }

    @Test
    void noGradScopeRecordsNothing() {
        Tensor w = Tensor.ones(2).requiresGrad(true);
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            Tensor y = w.mul(3f);
            assertTrue(!y.requiresGrad() && y.gradFnName() == null);
        }
        assertTrue(w.mul(3f).requiresGrad(), "recording is back on after the scope");
        assertThrows(IllegalStateException.class, () -> w.fill_(0f), "in-place on a leaf that requires grad");
    }

    @Test
    void printsLikePyTorch() {
        assertEquals("tensor([[1.0000, 2.0000],\n        [3.0000, 4.0000]])", Tensor.of(new float[] {1, 2, 3, 4}, 2, 2).toString());
        Tensor a = Tensor.ones(2).requiresGrad(true);
        assertEquals("tensor([1.0000, 1.0000], requires_grad=True)", a.toString());
        assertEquals("tensor(2.0000, grad_fn=<SumBackward>)", a.sum().toString());
    }
}
