package dev.lanes.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link PackedAttention} against split + view + transpose + {@link F#scaledDotProductAttention}, as nanoGPT writes it. */
class PackedAttentionTest {
    private static Tensor composed(Tensor qkv, int heads, boolean causal) {
        int b = qkv.size(0), t = qkv.size(1), e = qkv.size(2) / 3, hd = e / heads;
        Tensor[] p = qkv.split(e, 2);
        Tensor q = p[0].reshape(b, t, heads, hd).transpose(1, 2);
        Tensor k = p[1].reshape(b, t, heads, hd).transpose(1, 2);
        Tensor v = p[2].reshape(b, t, heads, hd).transpose(1, 2);
        return F.scaledDotProductAttention(q, k, v, causal).transpose(1, 2).reshape(b, t, e);
    }

    @Test
    void forwardAndGradientEqualTheComposedOps() {
        Generator gen = new Generator(3);
        int[][] shapes = {{2, 5, 3 * 8}, {1, 70, 3 * 12}, {3, 1, 3 * 4}};
        int[] heads = {2, 3, 1};
        for (int i = 0; i < shapes.length; i++) {
            for (boolean causal : new boolean[] {true, false}) {
                Tensor qkv = Tensor.randn(gen, shapes[i]).requiresGrad(true);
                Tensor w = Tensor.randn(gen, shapes[i][0], shapes[i][1], shapes[i][2] / 3);
                Tensor fused = PackedAttention.selfAttention(qkv, heads[i], causal, 0f, null);
                fused.mul(w).sum().backward();
                float[] g1 = qkv.grad().toArray();
                qkv.zeroGrad();
                Tensor ref = composed(qkv, heads[i], causal);
                ref.mul(w).sum().backward();
                // The gather/scatter against split/view/transpose around F.scaledDotProductAttention (the same kernel).
                float[] r = ref.toArray(), f = fused.toArray();
                for (int j = 0; j < r.length; j++) {
                    assertEquals(r[j], f[j], 1e-5f * (1 + Math.abs(r[j])), "output " + j);
                }
                float[] g2 = qkv.grad().toArray();
                for (int j = 0; j < g1.length; j++) {
                    assertEquals(g2[j], g1[j], 1e-4f * (1 + Math.abs(g2[j])), "grad " + j);
                }
            }
        }
    }

    @Test
    void theInferencePathGivesTheBatchedPathsBitsOnAnyThreadCount() {
        // Without autograd and dropout, batches of at least 2 per thread run one task per batch element;
        // with a gradient they run the batched kernel over all heads: the bits must agree.
        Generator gen = new Generator(11);
        int saved = dev.lanes.kernels.Threads.count();
        try {
            for (int[] s : new int[][] {{6, 37, 3 * 16}, {4, 128, 3 * 64}}) {
                for (boolean causal : new boolean[] {true, false}) {
                    Tensor qkv = Tensor.randn(gen, s).requiresGrad(true);
                    float[] batched = PackedAttention.selfAttention(qkv, 2, causal, 0f, null).toArray();
                    for (int threads : new int[] {1, 2, 3}) {
                        dev.lanes.kernels.Threads.setCount(threads);
                        try (GradMode.Scope ignored = GradMode.noGrad()) {
                            assertArrayEquals(batched, PackedAttention.selfAttention(qkv, 2, causal, 0f, null).toArray(),
                                    "shape " + java.util.Arrays.toString(s) + ", threads " + threads);
                        }
                    }
                    dev.lanes.kernels.Threads.setCount(saved);
                }
            }
        } finally {
            dev.lanes.kernels.Threads.setCount(saved);
        }
    }

    @Test
    void withDropoutTheFusedKernelRunsAsInScaledDotProductAttention() {
        Tensor qkv = Tensor.randn(new Generator(4), 2, 9, 3 * 8).requiresGrad(true);
        Tensor packed = PackedAttention.selfAttention(qkv, 2, true, 0.3f, new Generator(9));
        Tensor[] p = qkv.split(8, 2);
        Tensor q = p[0].reshape(2, 9, 2, 4).transpose(1, 2), k = p[1].reshape(2, 9, 2, 4).transpose(1, 2);
        Tensor v = p[2].reshape(2, 9, 2, 4).transpose(1, 2);
        Tensor ref = F.scaledDotProductAttention(q, k, v, null, 0.3f, true, null, false, new Generator(9))
                .transpose(1, 2).reshape(2, 9, 8);
        assertArrayEquals(ref.toArray(), packed.toArray());
        packed.sum().backward();
        float[] g1 = qkv.grad().toArray();
        qkv.zeroGrad();
        ref.sum().backward();
        assertArrayEquals(qkv.grad().toArray(), g1);
    }

    @Test
    void dropoutUsesTheGeneratorAndWithoutGradRecordsNothing() {
        Tensor qkv = Tensor.randn(new Generator(1), 1, 6, 12);
        Tensor a = PackedAttention.selfAttention(qkv, 2, true, 0.5f, new Generator(9));
        Tensor b = PackedAttention.selfAttention(qkv, 2, true, 0.5f, new Generator(9));
        assertArrayEquals(a.toArray(), b.toArray());
        Tensor leaf = qkv.copy().requiresGrad(true);
        try (var ignored = GradMode.noGrad()) {
            assertEquals(false, PackedAttention.selfAttention(leaf, 2, true, 0f, null).requiresGrad());
        }
    }

    @Test
    void badShapesAreRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> PackedAttention.selfAttention(Tensor.zeros(1, 2, 10), 2, true, 0f, null));
        assertTrue(e.getMessage().contains("[1, 2, 10]") || e.getMessage().contains("(1, 2, 10)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PackedAttention.selfAttention(Tensor.zeros(1, 2, 12), 3, true, 0f, null));
        assertTrue(e.getMessage().contains("nHead = 3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PackedAttention.selfAttention(Tensor.zeros(1, 2, 12), 2, true, 1.5f, null));
    }
}
