package dev.lanes.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.nn.layers.AdaptiveAvgPool2d;
import dev.lanes.nn.layers.AvgPool2d;
import dev.lanes.nn.layers.Conv2d;
import dev.lanes.nn.layers.MaxPool2d;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Convolution and pooling against plain definitions written out here (double accumulation), finite
 * differences, and the argument checks. PyTorch itself is compared in {@link ConvFixturesTest}.
 */
class ConvOpsTest {
    /** One convolution configuration. */
    record Cfg(int n, int cin, int h, int w, int cout, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
               int groups, boolean bias, boolean batched) {
        static Cfg of(int n, int cin, int h, int w, int cout, int k, int s, int p, int d, int groups) {
            return new Cfg(n, cin, h, w, cout, k, k, s, s, p, p, d, d, groups, true, true);
        }

        int ho() {
            return (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1;
        }

        int wo() {
            return (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
        }

        int[] inShape() {
            return batched ? new int[] {n, cin, h, w} : new int[] {cin, h, w};
        }

        int[] outShape() {
            return batched ? new int[] {n, cout, ho(), wo()} : new int[] {cout, ho(), wo()};
        }

        int[] wShape() {
            return new int[] {cout, cin / groups, kh, kw};
        }

        Tensor run(Tensor x, Tensor wt, Tensor b, int budget) {
            return ConvOps.conv2d(x, wt, b, new int[] {sh, sw}, new int[] {ph, pw}, new int[] {dh, dw}, groups, budget);
        }
    }

    private static final List<Cfg> CONFIGS = List.of(
            Cfg.of(2, 3, 7, 6, 4, 3, 1, 0, 1, 1),          // plain, odd sizes
            Cfg.of(3, 2, 9, 8, 5, 3, 2, 1, 1, 1),          // stride 2 + padding
            Cfg.of(1, 3, 11, 10, 2, 3, 1, 2, 2, 1),        // dilation 2, batch 1
            Cfg.of(3, 4, 6, 7, 6, 3, 1, 1, 1, 2),          // groups 2
            Cfg.of(2, 6, 5, 5, 6, 3, 2, 1, 1, 6),          // depthwise, stride 2
            Cfg.of(3, 5, 4, 6, 7, 1, 1, 0, 1, 1),          // 1x1: the pointwise path
            Cfg.of(2, 4, 5, 5, 6, 1, 1, 0, 1, 2),          // 1x1, groups 2
            Cfg.of(2, 3, 7, 7, 4, 1, 2, 0, 1, 1),          // 1x1 with stride 2: im2col path
            Cfg.of(2, 2, 5, 5, 3, 1, 1, 1, 1, 1),          // 1x1 with padding
            Cfg.of(2, 1, 8, 8, 4, 3, 1, 1, 1, 1),          // the MNIST first layer's form
            Cfg.of(1, 2, 3, 3, 3, 5, 3, 2, 1, 1),          // kernel larger than the input, padding makes room
            Cfg.of(3, 2, 6, 5, 12, 2, 1, 0, 1, 2),         // K = 4 < C_out/groups = 6: dW computed transposed
            Cfg.of(17, 4, 5, 4, 6, 3, 1, 1, 1, 2),         // a batch above LANES: chunks of several samples
            Cfg.of(19, 1, 4, 5, 12, 2, 2, 1, 1, 1),        // the same, with dW transposed and stride 2
            Cfg.of(9, 1, 24, 24, 3, 3, 1, 1, 1, 1),        // planes of >= 512 outputs, chunks of 2 samples
            new Cfg(2, 2, 7, 6, 3, 5, 3, 1, 1, 1, 1, 1, 1, 1, true, true),   // W_out == W, H_out != H (linear im2col)
            new Cfg(2, 2, 6, 5, 3, 3, 3, 1, 1, 2, 2, 2, 2, 1, true, true),   // dilation 2, W_out == W (linear, wide wrap)
            new Cfg(2, 3, 9, 7, 4, 3, 2, 2, 1, 1, 0, 1, 2, 1, false, true),   // rectangular kernel, mixed stride/pad/dilation, no bias
            new Cfg(1, 4, 6, 5, 4, 2, 3, 1, 2, 0, 1, 2, 1, 2, true, false));  // unbatched, rectangular

    @Test
    void forwardAndBackwardMatchTheDefinition() {
        Generator gen = new Generator(7);
        for (Cfg c : CONFIGS) {
            Tensor x = Tensor.randn(gen, c.inShape()).requiresGrad(true);
            Tensor wt = Tensor.randn(gen, c.wShape()).requiresGrad(true);
            Tensor b = c.bias() ? Tensor.randn(gen, c.cout()).requiresGrad(true) : null;
            Tensor gy = Tensor.randn(gen, c.outShape());
            double[][] ref = naive(c, x.toArray(), wt.toArray(), b == null ? null : b.toArray(), gy.toArray());
            // the default budget (one GEMM for the batch), per-sample chunks, and chunks of two samples
            int perSample = c.cin() / c.groups() * c.kh() * c.kw() * c.ho() * c.wo();
            for (int budget : new int[] {ConvOps.DEFAULT_COL_BUDGET, 1, 2 * perSample}) {
                x.zeroGrad();
                wt.zeroGrad();
                if (b != null) {
                    b.zeroGrad();
                }
                Tensor y = c.run(x, wt, b, budget);
                String what = c + " budget " + budget;
                assertArrayEquals(c.outShape(), y.shape(), what);
                assertClose(ref[0], y.toArray(), 1e-5, what + " output");
                y.backward(gy);
                assertArrayEquals(c.inShape(), x.grad().shape(), what);
                assertClose(ref[1], x.grad().toArray(), 1e-5, what + " dInput");
                assertClose(ref[2], wt.grad().toArray(), 1e-5, what + " dWeight");
                if (b != null) {
                    assertClose(ref[3], b.grad().toArray(), 1e-5, what + " dBias");
                }
            }
        }
    }

    /** Output, dInput, dWeight, dBias of a convolution, by the definition in double precision. */
    private static double[][] naive(Cfg c, float[] x, float[] w, float[] b, float[] gy) {
        int n = c.batched() ? c.n() : 1, ho = c.ho(), wo = c.wo(), cg = c.cin() / c.groups(), og = c.cout() / c.groups();
        double[] y = new double[n * c.cout() * ho * wo];
        double[] dx = new double[x.length], dw = new double[w.length], db = new double[c.cout()];
        for (int s = 0; s < n; s++) {
            for (int co = 0; co < c.cout(); co++) {
                int gr = co / og;
                for (int oh = 0; oh < ho; oh++) {
                    for (int ow = 0; ow < wo; ow++) {
                        int yi = ((s * c.cout() + co) * ho + oh) * wo + ow;
                        double acc = b == null ? 0 : b[co];
                        double g = gy[yi];
                        db[co] += g;
                        for (int ci = 0; ci < cg; ci++) {
                            int cin = gr * cg + ci;
                            for (int ki = 0; ki < c.kh(); ki++) {
                                int ih = oh * c.sh() - c.ph() + ki * c.dh();
                                if (ih < 0 || ih >= c.h()) {
                                    continue;
                                }
                                for (int kj = 0; kj < c.kw(); kj++) {
                                    int iw = ow * c.sw() - c.pw() + kj * c.dw();
                                    if (iw < 0 || iw >= c.w()) {
                                        continue;
                                    }
                                    int xi = ((s * c.cin() + cin) * c.h() + ih) * c.w() + iw;
                                    int wi = ((co * cg + ci) * c.kh() + ki) * c.kw() + kj;
                                    acc += (double) x[xi] * w[wi];
                                    dx[xi] += g * w[wi];
                                    dw[wi] += g * x[xi];
                                }
                            }
                        }
                        y[yi] = acc;
                    }
                }
            }
        }
        return new double[][] {y, dx, dw, db};
    }

    static void assertClose(double[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        double scale = 0;
        for (double e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(expected[i] - actual[i]);
            if (err > tol * (Math.abs(expected[i]) + scale) + 1e-6) {
                throw new AssertionError(what + " at " + i + ": expected " + expected[i] + ", got " + actual[i]);
            }
        }
    }

    @Test
    void gradCheckConvolution() {
        Generator gen = new Generator(11);
        int[][] cfgs = {
            // n, cin, h, w, cout, k, s, p, d, groups
            {2, 2, 5, 5, 2, 3, 2, 1, 1, 1},
            {1, 4, 6, 5, 4, 2, 1, 1, 2, 2},
            {2, 2, 4, 4, 3, 1, 1, 0, 1, 1},
        };
        for (int[] k : cfgs) {
            Tensor x = Tensor.randn(gen, k[0], k[1], k[2], k[3]).requiresGrad(true);
            Tensor w = Tensor.randn(gen, k[4], k[1] / k[9], k[5], k[5]).requiresGrad(true);
            Tensor b = Tensor.randn(gen, k[4]).requiresGrad(true);
            int[] s = {k[6]}, p = {k[7]}, d = {k[8]};
            int groups = k[9];
            GradCheck.check(in -> ConvOps.conv2d(in[0], in[1], in[2], s, p, d, groups), 1e-2, 2e-2, 2e-2, x, w, b);
        }
    }

    /** Values that are a shuffled grid 0.1 apart: no window has near-ties, so max pooling is differentiable. */
    private static Tensor distinct(Generator gen, int... shape) {
        Tensor t = Tensor.zeros(shape);
        int n = t.numel();
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = gen.nextInt(i + 1);
            int tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
        }
        for (int i = 0; i < n; i++) {
            t.data[i] = (perm[i] - n / 2f) * 0.1f;
        }
        return t;
    }

    @Test
    void gradCheckPooling() {
        Generator gen = new Generator(12);
        Tensor x = distinct(gen, 2, 2, 7, 6).requiresGrad(true);
        GradCheck.check(in -> ConvOps.maxPool2d(in[0], 2), x);
        GradCheck.check(in -> ConvOps.maxPool2d(in[0], new int[] {3, 2}, new int[] {2, 1}, new int[] {1, 1},
                new int[] {1, 2}, true), x);
        GradCheck.check(in -> ConvOps.avgPool2d(in[0], 3, 2, 1, true), x);
        GradCheck.check(in -> ConvOps.avgPool2d(in[0], new int[] {3}, new int[] {2}, new int[] {1}, true, false, 0), x);
        GradCheck.check(in -> ConvOps.adaptiveAvgPool2d(in[0], 4, 5), x);
        Tensor u = distinct(gen, 3, 5, 5).requiresGrad(true); // unbatched
        GradCheck.check(in -> ConvOps.maxPool2d(in[0], 3, 1, 1), u);
        GradCheck.check(in -> ConvOps.adaptiveAvgPool2d(in[0], 3, 2), u);
    }

    @Test
    void poolingByHand() {
        // 1x4x4 = 0..15; 2x2 max pool takes the bottom-right of each block.
        Tensor x = Tensor.arange(16).reshape(1, 1, 4, 4);
        assertArrayEquals(new float[] {5, 7, 13, 15}, ConvOps.maxPool2d(x, 2).toArray());
        assertArrayEquals(new float[] {2.5f, 4.5f, 10.5f, 12.5f}, ConvOps.avgPool2d(x, 2).toArray());
        // padding 1, kernel 2, stride 2: corner windows hold one real element
        Tensor avgPad = ConvOps.avgPool2d(x, 2, 2, 1, true);
        assertArrayEquals(new int[] {1, 1, 3, 3}, avgPad.shape());
        assertEquals(0f / 4, avgPad.get(0, 0, 0, 0));
        assertEquals(15f / 4, avgPad.get(0, 0, 2, 2));
        assertEquals(15f, ConvOps.avgPool2d(x, 2, 2, 1, false).get(0, 0, 2, 2));
        assertEquals(7.5f, ConvOps.adaptiveAvgPool2d(x, 1, 1).item());
        // adaptive bins for 4 -> 3: [0,2), [1,3), [2,4)
        Tensor a = ConvOps.adaptiveAvgPool2d(x, 3, 3);
        assertEquals((0 + 1 + 4 + 5) / 4f, a.get(0, 0, 0, 0));
        assertEquals((10 + 11 + 14 + 15) / 4f, a.get(0, 0, 2, 2));
        // ceil mode adds a partial window
        assertArrayEquals(new int[] {1, 1, 2, 2}, ConvOps.maxPool2d(x, new int[] {3}, new int[] {2}, new int[] {0},
                new int[] {1}, true).shape());
        assertArrayEquals(new float[] {10, 11, 14, 15}, ConvOps.maxPool2d(x, new int[] {3}, new int[] {2}, new int[] {0},
                new int[] {1}, true).toArray());
        // ties: the gradient goes to the first maximal element; NaN wins
        Tensor t = Tensor.of(new float[] {1, 3, 3, 2}, 1, 2, 2).requiresGrad(true);
        ConvOps.maxPool2d(t, 2).sum().backward();
        assertArrayEquals(new float[] {0, 1, 0, 0}, t.grad().toArray());
        Tensor nan = Tensor.of(new float[] {1, Float.NaN, 3, 2}, 1, 2, 2);
        assertTrue(Float.isNaN(ConvOps.maxPool2d(nan, 2).item()));
    }

    @Test
    void unbatchedAndNonContiguousInputs() {
        Generator gen = new Generator(3);
        Tensor w = Tensor.randn(gen, 4, 3, 3, 3);
        Tensor b = Tensor.randn(gen, 4);
        Tensor x = Tensor.randn(gen, 3, 6, 5);
        Tensor batched = ConvOps.conv2d(x.unsqueeze(0), w, b, 1, 1);
        Tensor single = ConvOps.conv2d(x, w, b, 1, 1);
        assertArrayEquals(new int[] {4, 6, 5}, single.shape());
        assertArrayEquals(batched.toArray(), single.toArray());
        // a permuted (non-contiguous) view gives the same result as its contiguous copy
        Tensor nhwc = Tensor.randn(gen, 2, 6, 5, 3);
        Tensor nchw = nhwc.permute(0, 3, 1, 2);
        assertArrayEquals(ConvOps.conv2d(nchw.contiguousClone(), w, b, 2, 1).toArray(),
                ConvOps.conv2d(nchw, w, b, 2, 1).toArray());
        assertArrayEquals(ConvOps.maxPool2d(nchw.contiguousClone(), 2).toArray(), ConvOps.maxPool2d(nchw, 2).toArray());
        // gradients reach a non-contiguous leaf with its own shape
        Tensor leaf = Tensor.randn(gen, 2, 6, 5, 3).requiresGrad(true);
        ConvOps.conv2d(leaf.permute(0, 3, 1, 2), w, null, 1, 0).sum().backward();
        assertArrayEquals(new int[] {2, 6, 5, 3}, leaf.grad().shape());
        // an empty batch
        assertArrayEquals(new int[] {0, 4, 6, 5}, ConvOps.conv2d(Tensor.zeros(0, 3, 6, 5), w, b, 1, 1).shape());
    }

    @Test
    void onlyTheRequestedGradientsAreComputed() {
        Generator gen = new Generator(5);
        Tensor x = Tensor.randn(gen, 2, 1, 6, 6); // a first layer: the input needs no gradient
        Tensor w = Tensor.randn(gen, 3, 1, 3, 3).requiresGrad(true);
        Tensor b = Tensor.randn(gen, 3);
        ConvOps.conv2d(x, w, b, 1, 1).sum().backward();
        assertNotNull(w.grad());
        assertNull(x.grad());
        assertNull(b.grad());
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            assertNull(ConvOps.conv2d(x, w, b, 1, 1).gradFnName());
        }
        assertEquals("ConvolutionBackward", ConvOps.conv2d(x, w, b, 1, 1).gradFnName());
    }

    @Test
    void argumentChecksNameTheShapes() {
        Tensor w = Tensor.zeros(32, 1, 3, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConvOps.conv2d(Tensor.zeros(64, 3, 28, 28), w, null));
        assertTrue(e.getMessage().contains("[64, 3, 28, 28]") && e.getMessage().contains("[32, 1, 3, 3]")
                && e.getMessage().contains("to have 1 channels, but got 3 channels"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ConvOps.conv2d(Tensor.zeros(28, 28), w, null));
        assertTrue(e.getMessage().contains("[28, 28]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ConvOps.conv2d(Tensor.zeros(1, 1, 28, 28),
                Tensor.zeros(32, 3, 3), null));
        assertTrue(e.getMessage().contains("[32, 3, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ConvOps.conv2d(Tensor.zeros(1, 1, 28, 28), w,
                Tensor.zeros(16)));
        assertTrue(e.getMessage().contains("[16]") && e.getMessage().contains("32 elements"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ConvOps.conv2d(Tensor.zeros(1, 4, 8, 8),
                Tensor.zeros(3, 2, 3, 3), null, new int[] {1}, new int[] {0}, new int[] {1}, 2));
        assertTrue(e.getMessage().contains("groups=2") && e.getMessage().contains("[3, 2, 3, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ConvOps.conv2d(Tensor.zeros(1, 3, 8, 8),
                Tensor.zeros(4, 1, 3, 3), null, new int[] {1}, new int[] {0}, new int[] {1}, 2));
        assertTrue(e.getMessage().contains("[1, 3, 8, 8]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ConvOps.conv2d(Tensor.zeros(1, 1, 8, 8), w, null,
                new int[] {0}, new int[] {0}, new int[] {1}, 1));
        assertThrows(IllegalArgumentException.class, () -> ConvOps.conv2d(Tensor.zeros(1, 1, 8, 8), w, null,
                new int[] {1}, new int[] {-1}, new int[] {1}, 1));
        assertThrows(IllegalArgumentException.class, () -> ConvOps.conv2d(Tensor.zeros(1, 1, 8, 8), w, null,
                new int[] {1}, new int[] {0}, new int[] {0}, 1));
        assertThrows(IllegalArgumentException.class, () -> ConvOps.conv2d(Tensor.zeros(1, 1, 8, 8), w, null,
                new int[] {1, 2, 3}, new int[] {0}, new int[] {1}, 1));
        assertThrows(IllegalArgumentException.class, () -> ConvOps.conv2d(Tensor.zeros(1, 1, 8, 8), w, null,
                new int[] {1}, new int[] {0}, new int[] {1}, 0));
        e = assertThrows(IllegalArgumentException.class, () -> ConvOps.conv2d(Tensor.zeros(1, 1, 2, 2), w, null));
        assertTrue(e.getMessage().contains("[1, 1, 2, 2]") && e.getMessage().contains("Kernel size"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> ConvOps.maxPool2d(Tensor.zeros(1, 1, 4, 4), 2, 2, 2));
        assertTrue(e.getMessage().contains("pad should be at most half"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ConvOps.maxPool2d(Tensor.zeros(1, 1, 1, 4), 2));
        assertTrue(e.getMessage().contains("[1, 1, 1, 4]") && e.getMessage().contains("too small"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ConvOps.avgPool2d(Tensor.zeros(4, 4), 2));
        assertTrue(e.getMessage().contains("[4, 4]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ConvOps.maxPool2d(Tensor.zeros(1, 1, 4, 4), 0));
        assertThrows(IllegalArgumentException.class, () -> ConvOps.maxPool2d(Tensor.zeros(1, 1, 4, 4), 2, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> ConvOps.adaptiveAvgPool2d(Tensor.zeros(1, 1, 0, 4), 2, 2));
        assertThrows(IllegalArgumentException.class, () -> ConvOps.adaptiveAvgPool2d(Tensor.zeros(1, 1, 4, 4), -1, 2));
        assertThrows(IllegalArgumentException.class, () -> new Conv2d(3, 4, 3, 1, 0, 1, 2, true));
        assertThrows(IllegalArgumentException.class, () -> new Conv2d(4, 3, 3, 1, 0, 1, 2, true));
        assertThrows(IllegalArgumentException.class, () -> new Conv2d(1, 3, 0));
    }

    @Test
    void layers() {
        Conv2d conv = new Conv2d(1, 32, 3, 1, 1);
        assertEquals("Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))", conv.toString());
        assertEquals("Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1))", new Conv2d(1, 32, 3).toString());
        assertEquals("Conv2d(4, 8, kernel_size=(3, 3), stride=(2, 2), dilation=(2, 2), groups=2, bias=False)",
                new Conv2d(4, 8, 3, 2, 0, 2, 2, false).toString());
        Map<String, Tensor> params = conv.namedParameters();
        assertEquals(List.of("weight", "bias"), List.copyOf(params.keySet()));
        assertArrayEquals(new int[] {32, 1, 3, 3}, params.get("weight").shape());
        assertArrayEquals(new int[] {32}, params.get("bias").shape());
        // default init: uniform within 1/sqrt(fan_in) = 1/3 for the weight and the bias
        Conv2d big = new Conv2d(16, 64, new int[] {3}, new int[] {1}, new int[] {0}, new int[] {1}, 1, true,
                new Generator(1));
        assertInBound(big.weight(), 1 / 12f);
        assertInBound(big.bias(), 1 / 12f);
        Conv2d again = new Conv2d(16, 64, new int[] {3}, new int[] {1}, new int[] {0}, new int[] {1}, 1,
                true, new Generator(1));
        assertArrayEquals(big.weight().toArray(), again.weight().toArray(), "the generator makes init reproducible");
        assertTrue(new Conv2d(4, 8, 3, 1, 0, 1, 2, false).namedParameters().keySet().equals(java.util.Set.of("weight")));
        assertArrayEquals(new int[] {8, 2, 3, 3}, new Conv2d(4, 8, 3, 1, 0, 1, 2, false).weight().shape());

        Tensor x = Tensor.randn(new Generator(2), 2, 1, 28, 28);
        Tensor y = conv.forward(x);
        assertArrayEquals(new int[] {2, 32, 28, 28}, y.shape());
        Tensor pooled = new MaxPool2d(2).forward(y);
        assertArrayEquals(new int[] {2, 32, 14, 14}, pooled.shape());
        assertArrayEquals(new int[] {2, 32, 14, 14}, new AvgPool2d(2).forward(y).shape());
        assertArrayEquals(new int[] {2, 32, 1, 1}, new AdaptiveAvgPool2d(1).forward(y).shape());
        assertEquals("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)", new MaxPool2d(2).toString());
        assertEquals("MaxPool2d(kernel_size=(3, 2), stride=(2, 1), padding=1, dilation=1, ceil_mode=True)",
                new MaxPool2d(new int[] {3, 2}, new int[] {2, 1}, new int[] {1}, new int[] {1}, true).toString());
        assertEquals("AvgPool2d(kernel_size=2, stride=2, padding=0)", new AvgPool2d(2).toString());
        assertEquals("AvgPool2d(kernel_size=3, stride=1, padding=1)", new AvgPool2d(3, 1, 1).toString());
        assertEquals("AdaptiveAvgPool2d(output_size=1)", new AdaptiveAvgPool2d(1).toString());
        assertEquals("AdaptiveAvgPool2d(output_size=(5, 7))", new AdaptiveAvgPool2d(5, 7).toString());
        assertTrue(new MaxPool2d(2).parameters().isEmpty());
    }

    private static void assertInBound(Tensor t, float bound) {
        float max = 0;
        for (float v : t.toArray()) {
            assertTrue(v >= -bound && v < bound, "value " + v + " outside +-" + bound);
            max = Math.max(max, Math.abs(v));
        }
        assertTrue(max > 0.9f * bound, "values should fill the range, max |v| = " + max);
    }

    /** Forward and all gradients have the same bits with 1, 2 and 3 Lanes threads. */
    @Test
    void sameBitsWhateverTheThreadCount() {
        Generator gen = new Generator(21);
        Tensor x = Tensor.randn(gen, 19, 4, 9, 9).requiresGrad(true);
        Tensor w = Tensor.randn(gen, 6, 2, 3, 3).requiresGrad(true);
        Tensor b = Tensor.randn(gen, 6).requiresGrad(true);
        Tensor gy = Tensor.randn(gen, 19, 6, 9, 9);
        float[][] reference = null;
        int before = dev.lanes.kernels.Threads.count();
        try {
            for (int threads : new int[] {1, 2, 3}) {
                dev.lanes.kernels.Threads.setCount(threads);
                x.zeroGrad();
                w.zeroGrad();
                b.zeroGrad();
                Tensor y = ConvOps.conv2d(x, w, b, new int[] {1}, new int[] {1}, new int[] {1}, 2, 2 * 18 * 81);
                y.backward(gy);
                float[][] got = {y.toArray(), x.grad().toArray(), w.grad().toArray(), b.grad().toArray()};
                if (reference == null) {
                    reference = got;
                } else {
                    for (int i = 0; i < got.length; i++) {
                        assertArrayEquals(reference[i], got[i], "tensor " + i + " with " + threads + " threads");
                    }
                }
            }
        } finally {
            dev.lanes.kernels.Threads.setCount(before);
        }
    }

    @Test
    void inferenceFromManyThreadsAgrees() throws Exception {
        Conv2d conv = new Conv2d(3, 8, 3, 1, 1);
        conv.eval();
        Tensor x = Tensor.randn(new Generator(9), 4, 3, 12, 12);
        float[] expected;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            expected = ConvOps.maxPool2d(conv.forward(x), 2).toArray();
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<float[]>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                results.add(pool.submit(() -> {
                    try (GradMode.Scope ignored = GradMode.noGrad()) {
                        return ConvOps.maxPool2d(conv.forward(x), 2).toArray();
                    }
                }));
            }
            for (Future<float[]> f : results) {
                assertArrayEquals(expected, f.get());
            }
        } finally {
            pool.shutdown();
        }
    }
}
