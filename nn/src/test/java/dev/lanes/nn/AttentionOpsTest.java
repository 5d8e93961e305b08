package dev.lanes.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link F#scaledDotProductAttention} against the same formula composed of autograd ops, and cat/stack/split. */
class AttentionOpsTest {
    private static final Generator GEN = new Generator(7);

    /** softmax(q k^T * scale + mask) v, materialising the scores; the reference. */
    private static Tensor naive(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal) {
        float scale = (float) (1.0 / Math.sqrt(q.size(-1)));
        Tensor s = q.matmul(k.transpose(-1, -2)).mul(scale);
        if (causal) {
            int tq = q.size(-2), tk = k.size(-2);
            Tensor m = Tensor.zeros(tq, tk);
            for (int i = 0; i < tq; i++) {
                for (int j = i + 1; j < tk; j++) {
                    m.set(Float.NEGATIVE_INFINITY, i, j);
                }
            }
            mask = m;
        }
        if (mask != null) {
            s = s.add(mask);
        }
        return s.softmax(-1).matmul(v);
    }

    private static void assertClose(Tensor expected, Tensor actual, float tol) {
        assertArrayEquals(expected.shape(), actual.shape());
        float[] e = expected.toArray(), a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], tol * (1 + Math.abs(e[i])), "element " + i);
        }
    }

    @Test
    void forwardAndGradientsMatchTheComposedFormula() {
        int[][] shapes = {{1, 1, 1, 4}, {2, 3, 5, 8}, {2, 2, 70, 16}, {1, 2, 65, 3}};
        for (int[] sh : shapes) {
            for (boolean causal : new boolean[] {false, true}) {
                Tensor q = Tensor.randn(GEN, sh).requiresGrad(true);
                Tensor k = Tensor.randn(GEN, sh).requiresGrad(true);
                Tensor v = Tensor.randn(GEN, sh).requiresGrad(true);
                Tensor w = Tensor.randn(GEN, sh);
                Tensor fused = F.scaledDotProductAttention(q, k, v, causal);
                fused.mul(w).sum().backward();
                Tensor[] g1 = {q.grad(), k.grad(), v.grad()};
                q.zeroGrad();
                k.zeroGrad();
                v.zeroGrad();
                Tensor ref = naive(q, k, v, null, causal);
                ref.mul(w).sum().backward();
                assertClose(ref, fused, 1e-5f);
                assertClose(q.grad(), g1[0], 1e-4f);
                assertClose(k.grad(), g1[1], 1e-4f);
                assertClose(v.grad(), g1[2], 1e-4f);
            }
        }
    }

    @Test
    void broadcastMaskAndPerBatchMask() {
        Tensor q = Tensor.randn(GEN, 2, 3, 6, 4), k = Tensor.randn(GEN, 2, 3, 9, 4), v = Tensor.randn(GEN, 2, 3, 9, 4);
        Tensor shared = Tensor.randn(GEN, 6, 9);
        assertClose(naive(q, k, v, shared, false), F.scaledDotProductAttention(q, k, v, shared), 1e-5f);
        Tensor perBatch = Tensor.randn(GEN, 2, 1, 6, 9); // broadcast over heads only
        perBatch.set(Float.NEGATIVE_INFINITY, 1, 0, 2, 3);
        assertClose(naive(q, k, v, perBatch, false), F.scaledDotProductAttention(q, k, v, perBatch), 1e-5f);
    }

    @Test
    void groupedQueryAttentionRepeatsEachKeyValueHead() {
        Tensor q = Tensor.randn(GEN, 2, 4, 5, 8).requiresGrad(true);
        Tensor k = Tensor.randn(GEN, 2, 2, 7, 8).requiresGrad(true), v = Tensor.randn(GEN, 2, 2, 7, 8).requiresGrad(true);
        Tensor out = F.scaledDotProductAttention(q, k, v, null, 0f, false, null, true, null);
        Tensor kr = Tensor.cat(1, k.slice(1, 0, 1), k.slice(1, 0, 1), k.slice(1, 1, 2), k.slice(1, 1, 2));
        Tensor vr = Tensor.cat(1, v.slice(1, 0, 1), v.slice(1, 0, 1), v.slice(1, 1, 2), v.slice(1, 1, 2));
        assertClose(naive(q, kr, vr, null, false), out, 1e-5f);
        GradCheck.check(in -> F.scaledDotProductAttention(in[0], in[1], in[2], null, 0f, true, null, true, null), q, k, v);
    }

    @Test
    void finiteDifferencesWithDropoutAndScale() {
        Tensor q = Tensor.randn(GEN, 1, 2, 5, 3).requiresGrad(true);
        Tensor k = Tensor.randn(GEN, 1, 2, 6, 3).requiresGrad(true), v = Tensor.randn(GEN, 1, 2, 6, 3).requiresGrad(true);
        // A fixed generator seed per call, so every nudged evaluation draws the same dropout mask.
        GradCheck.check(in -> F.scaledDotProductAttention(in[0], in[1], in[2], null, 0.3f, false, 0.7f, false,
                new Generator(11)), q, k, v);
    }

    @Test
    void badArgumentsNameTheShapes() {
        Tensor q = Tensor.zeros(2, 5, 4), k = Tensor.zeros(2, 6, 4), v = Tensor.zeros(2, 6, 3);
        var e = assertThrows(IllegalArgumentException.class, () -> F.scaledDotProductAttention(q, k, v));
        assertTrue(e.getMessage().contains("[2, 6, 3]"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> F.scaledDotProductAttention(q, k, Tensor.zeros(2, 6, 4), Tensor.zeros(5, 6), 0f, true, null, false, null));
        var m = assertThrows(IllegalArgumentException.class,
                () -> F.scaledDotProductAttention(q, k, Tensor.zeros(2, 6, 4), Tensor.zeros(4, 6)));
        assertTrue(m.getMessage().contains("attn_mask"), m.getMessage());
        Tensor v4 = Tensor.zeros(2, 6, 4);
        var sc = assertThrows(IllegalArgumentException.class,
                () -> F.scaledDotProductAttention(q, k, v4, null, 0f, false, Float.NaN, false, null));
        assertTrue(sc.getMessage().contains("scale must be finite"), sc.getMessage());
    }

    @Test
    void catStackSplitChunk() {
        Tensor a = Tensor.randn(GEN, 2, 3, 4).requiresGrad(true), b = Tensor.randn(GEN, 2, 1, 4).requiresGrad(true);
        Tensor c = Tensor.cat(1, a, b);
        assertArrayEquals(new int[] {2, 4, 4}, c.shape());
        assertEquals(b.get(1, 0, 2), c.get(1, 3, 2));
        assertEquals(a.get(1, 2, 3), c.get(1, 2, 3));
        GradCheck.check(in -> Tensor.cat(1, in[0], in[1]).tanh(), a, b);
        Tensor s = Tensor.stack(0, a, a.mul(2));
        assertArrayEquals(new int[] {2, 2, 3, 4}, s.shape());
        assertEquals(2 * a.get(0, 1, 2), s.get(1, 0, 1, 2), 1e-6);
        Tensor[] parts = c.split(3, 1);
        assertEquals(2, parts.length);
        assertArrayEquals(new int[] {2, 1, 4}, parts[1].shape());
        assertArrayEquals(new int[] {2, 2, 4}, c.chunk(2, 1)[0].shape());
        assertEquals(3, Tensor.zeros(7).chunk(3, 0).length);
        assertThrows(IllegalArgumentException.class, () -> Tensor.cat(0, a, b));
        assertThrows(IllegalArgumentException.class, () -> c.split(new int[] {1, 2}, 1));
    }
}
