package dev.lanes.nn;

import dev.lanes.kernels.Elementwise;
import dev.lanes.kernels.Gemm;
import dev.lanes.kernels.Threads;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * 2-D convolution and pooling with the definitions of {@code torch.nn.functional}: {@link #conv2d},
 * {@link #maxPool2d}, {@link #avgPool2d} and {@link #adaptiveAvgPool2d}, each with its backward. Inputs are
 * {@code (N, C, H, W)} or unbatched {@code (C, H, W)} (the result then has no batch dimension either), as in
 * PyTorch.
 *
 * <p>Convolution runs as im2col + GEMM. The batch is cut into chunks of whole samples whose column matrix
 * {@code (C_in/groups * kH * kW, samples * H_out * W_out)} stays within {@value #DEFAULT_COL_BUDGET} floats
 * (about one core's L2; {@code -Dlanes.conv.colBudget=FLOATS} changes it) and into at least eight chunks
 * when the batch is that large; per chunk and group, im2col writes the column matrix and one GEMM
 * multiplies it by the group's weights (the bias rides along as an extra column of ones). Chunks run in
 * parallel, one per thread, each GEMM on its thread; a single chunk (batch 1) runs its GEMM on all
 * threads instead. The backward rebuilds the columns (they are not kept between the passes) and computes
 * {@code dW = dOut x col^T} and {@code dCol = W^T x dOut} with GEMM, then scatters {@code dCol} back into
 * the input's gradient (col2im); the weight gradients of the chunks are summed in a fixed order, so results
 * have the same bits whatever the thread count. A 1x1 convolution with stride 1 and no padding needs no
 * column matrix: one batched GEMM reads and writes NCHW directly. For stride 1 with {@code W_out == W}
 * ("same" padding), a row of the column matrix is the input plane shifted by a constant, so im2col and
 * col2im move whole planes at once.
 *
 * <p>Measured at batch 64, 3x3 kernels with padding 1, AVX-512: one GEMM per group over the whole batch,
 * as first written, took 25 ms (thread CPU time, one thread) for the forward of {@code Conv2d(32, 64)} on
 * 28x28 and 81 ms for forward + backward, against 15.8 and 53 ms with L2-sized chunks; the other fast paths
 * then brought them to 14 and 44 ms. In the JMH {@code ConvBenchmark}, a direct convolution in plain Java
 * loops was 7x ({@code Conv2d(1, 32)} on 28x28) to 23x ({@code Conv2d(32, 64)} on 14x14) slower than
 * im2col + GEMM.
 *
 * <p>Everything is allocated per call: no operation here mutates shared state, so inference in a no-grad
 * scope may run on many threads.
 */
public final class ConvOps {
    /**
     * The default cap, in floats, on the column matrix of one GEMM: 1 MiB, about one core's L2, so that the
     * GEMM reads the columns im2col has just written from cache (measured: see the class comment).
     */
    public static final int DEFAULT_COL_BUDGET = 1 << 18;

    private static final int COL_BUDGET = Math.max(1, Integer.getInteger("lanes.conv.colBudget", DEFAULT_COL_BUDGET));

    /**
     * Chunks of a batch are handed to at most this many lanes, each with its own buffers (and, in the
     * backward, its own weight-gradient partial). A constant, not the thread count, so the summation order
     * and therefore the bits are the same whatever {@link Threads#count()} is.
     */
    static final int LANES = 8;

    /** The cap, in floats, on the backward's weight-gradient partials ({@code lanes * |W|}). */
    private static final int PARTIALS_BUDGET = 1 << 24;

    private ConvOps() {}

    // ------------------------------------------------------------------------------------------ conv2d

    /** {@code F.conv2d(input, weight, bias)}: stride 1, no padding, dilation 1, one group. */
    public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias) {
        return conv2d(input, weight, bias, new int[] {1}, new int[] {0}, new int[] {1}, 1);
    }

    /** {@code F.conv2d(input, weight, bias, stride, padding)} with the same stride and padding for H and W. */
    public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias, int stride, int padding) {
        return conv2d(input, weight, bias, new int[] {stride}, new int[] {padding}, new int[] {1}, 1);
    }

    /**
     * {@code F.conv2d(input, weight, bias, stride, padding, dilation, groups)} with zero padding.
     *
     * @param input    {@code (N, C_in, H, W)} or {@code (C_in, H, W)}
     * @param weight   {@code (C_out, C_in / groups, kH, kW)}
     * @param bias     {@code (C_out)}, or null
     * @param stride   {@code {s}} or {@code {sH, sW}}, positive
     * @param padding  {@code {p}} or {@code {pH, pW}}, non-negative (zeros on both sides)
     * @param dilation {@code {d}} or {@code {dH, dW}}, positive
     * @param groups   divides both {@code C_in} and {@code C_out}
     * @return {@code (N, C_out, H_out, W_out)} (or {@code (C_out, H_out, W_out)}), with
     *         {@code H_out = floor((H + 2 pH - dH (kH - 1) - 1) / sH) + 1} and likewise for W
     */
    public static Tensor conv2d(Tensor input, Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation,
                                int groups) {
        return conv2d(input, weight, bias, stride, padding, dilation, groups, COL_BUDGET);
    }

    /** {@link #conv2d} with the column-matrix budget given (tests use small ones to exercise chunking). */
    static Tensor conv2d(Tensor input, Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation,
                         int groups, int colBudget) {
        ConvGeom g = ConvGeom.of(input, weight, bias, stride, padding, dilation, groups, colBudget);
        Tensor xc = input.contiguous().detach(), wc = weight.contiguous().detach();
        Tensor bc = bias == null ? null : bias.contiguous().detach();
        int[] outShape = g.batched ? new int[] {g.n, g.cout, g.ho, g.wo} : new int[] {g.cout, g.ho, g.wo};
        Tensor out = Tensor.zeros(outShape);
        if (g.n > 0 && g.cout > 0 && g.l() > 0) {
            if (g.cin > 0 && !g.pointwise()) {
                im2colForward(g, xc, wc, bc, out.data); // the bias rides along in the GEMM
            } else {
                if (g.cin > 0) {
                    pointwiseForward(g, xc, wc, out.data);
                }
                if (bc != null) {
                    addBias(g, bc.data, bc.offset, out.data);
                }
            }
        }
        return Tensor.result(out, "ConvolutionBackward", grad -> {
            Tensor gc = grad.contiguous();
            boolean needX = input.requiresGrad(), needW = weight.requiresGrad();
            boolean needB = bias != null && bias.requiresGrad();
            Tensor dx = needX ? Tensor.zeros(input.shape()) : null;
            Tensor dw = needW ? Tensor.zeros(weight.shape()) : null;
            Tensor db = needB ? Tensor.zeros(g.cout) : null;
            if (g.n > 0 && g.l() > 0 && g.cin > 0 && g.cout > 0 && (needX || needW)) {
                if (g.pointwise()) {
                    pointwiseBackward(g, xc, wc, gc.data, gc.offset, dx == null ? null : dx.data, dw == null ? null : dw.data);
                } else {
                    im2colBackward(g, xc, wc, gc.data, gc.offset, dx == null ? null : dx.data, dw == null ? null : dw.data);
                }
            }
            if (needB && g.n > 0) {
                biasGrad(g, gc.data, gc.offset, db.data);
            }
            return bias == null ? new Tensor[] {dx, dw} : new Tensor[] {dx, dw, db};
        }, bias == null ? new Tensor[] {input, weight} : new Tensor[] {input, weight, bias});
    }

    /** The output size of one spatial dimension of a convolution: {@code floor((in + 2p - d (k - 1) - 1) / s) + 1}. */
    public static int convOutputSize(int in, int kernel, int stride, int padding, int dilation) {
        return Math.floorDiv(in + 2 * padding - dilation * (kernel - 1) - 1, stride) + 1;
    }

    /** Shapes and hyper-parameters of one convolution, checked. */
    private record ConvGeom(boolean batched, int n, int cin, int h, int w, int cout, int kh, int kw, int sh, int sw,
                            int ph, int pw, int dh, int dw, int groups, int ho, int wo, int budget) {
        static ConvGeom of(Tensor input, Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation,
                           int groups, int budget) {
            String op = "conv2d";
            int[] xs = input.shape(), ws = weight.shape();
            if (xs.length != 3 && xs.length != 4) {
                throw new IllegalArgumentException(op + ": expected 3D (unbatched) or 4D (batched) input, but got input of size "
                        + Shapes.str(xs));
            }
            if (ws.length != 4) {
                throw new IllegalArgumentException(op + ": weight must be 4-D (out_channels, in_channels / groups, kH, kW), got "
                        + "shape " + Shapes.str(ws));
            }
            int[] s = pair(op, "stride", stride, null);
            int[] p = pair(op, "padding", padding, null);
            int[] d = pair(op, "dilation", dilation, null);
            if (s[0] <= 0 || s[1] <= 0) {
                throw new IllegalArgumentException(op + ": non-positive stride is not supported, got stride "
                        + Arrays.toString(stride));
            }
            if (p[0] < 0 || p[1] < 0) {
                throw new IllegalArgumentException(op + ": negative padding is not supported, got padding "
                        + Arrays.toString(padding));
            }
            if (d[0] <= 0 || d[1] <= 0) {
                throw new IllegalArgumentException(op + ": dilation should be greater than zero, got dilation "
                        + Arrays.toString(dilation));
            }
            if (groups <= 0) {
                throw new IllegalArgumentException(op + ": non-positive groups is not supported, got groups = " + groups);
            }
            boolean batched = xs.length == 4;
            int n = batched ? xs[0] : 1, c = xs[xs.length - 3], h = xs[xs.length - 2], w = xs[xs.length - 1];
            int cout = ws[0], kh = ws[2], kw = ws[3];
            if (cout % groups != 0) {
                throw new IllegalArgumentException(op + ": given groups=" + groups + ", expected weight to be divisible by "
                        + groups + " at dimension 0, but got weight of size " + Shapes.str(ws) + " instead");
            }
            if (ws[1] * groups != c) {
                throw new IllegalArgumentException(op + ": given groups=" + groups + ", weight of size " + Shapes.str(ws)
                        + ", expected input" + Shapes.str(xs) + " to have " + ws[1] * groups + " channels, but got " + c
                        + " channels instead");
            }
            if (bias != null && (bias.dim() != 1 || bias.size(0) != cout)) {
                throw new IllegalArgumentException(op + ": given weight of size " + Shapes.str(ws)
                        + ", expected bias to be 1-dimensional with " + cout + " elements, but got bias of size "
                        + Shapes.str(bias.shape()) + " instead");
            }
            if (kh == 0 || kw == 0) {
                throw new IllegalArgumentException(op + ": weight of size " + Shapes.str(ws) + " has an empty kernel");
            }
            long padH = (long) h + 2L * p[0], padW = (long) w + 2L * p[1];
            long effH = (long) d[0] * (kh - 1) + 1, effW = (long) d[1] * (kw - 1) + 1;
            if (padH < effH || padW < effW) {
                throw new IllegalArgumentException(op + ": input of size " + Shapes.str(xs) + ": calculated padded input size "
                        + "per channel: (" + padH + " x " + padW + "). Kernel size: (" + effH + " x " + effW
                        + ") (dilated, weight of size " + Shapes.str(ws) + "). Kernel size can't be greater than actual "
                        + "input size");
            }
            int ho = convOutputSize(h, kh, s[0], p[0], d[0]), wo = convOutputSize(w, kw, s[1], p[1], d[1]);
            if (ho <= 0 || wo <= 0) {
                throw new IllegalArgumentException(op + ": input of size " + Shapes.str(xs) + " and weight of size "
                        + Shapes.str(ws) + " give an output of size (" + ho + " x " + wo + "), which is too small");
            }
            Shapes.numel(new int[] {n, cout, ho, wo});
            return new ConvGeom(batched, n, c, h, w, cout, kh, kw, s[0], s[1], p[0], p[1], d[0], d[1], groups, ho, wo,
                    Math.max(1, budget));
        }

        int cg() {
            return cin / groups;
        }

        int og() {
            return cout / groups;
        }

        /** Rows of the column matrix: {@code C_in/groups * kH * kW}. */
        int k() {
            return cg() * kh * kw;
        }

        /** Output positions per sample. */
        int l() {
            return ho * wo;
        }

        /** A 1x1 kernel, stride 1, no padding: the input planes already are the column matrix. */
        boolean pointwise() {
            return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0;
        }

        /**
         * Samples per chunk: as many as keep the column matrix within the budget, but no more than
         * {@code ceil(N / LANES)} so that a batch splits into at least {@link #LANES} chunks when it can. It
         * depends only on the shapes (never on the thread count), so results have the same bits on any
         * machine.
         */
        int chunk() {
            long perSample = Math.max(1L, (long) k() * l());
            int nb = (int) Math.max(1, Math.min((n + LANES - 1) / LANES, budget / perSample));
            int chunks = (n + nb - 1) / nb;
            return (n + chunks - 1) / chunks;
        }
    }

    // ---- 1x1 convolution: x_n (C_in, H*W) is already a GEMM operand.

    private static void pointwiseForward(ConvGeom g, Tensor x, Tensor w, float[] out) {
        int og = g.og(), cg = g.cg(), l = g.l();
        for (int gr = 0; gr < g.groups; gr++) {
            // out_n[group rows] (og x L) = W_g (og x cg) * x_n[group rows] (cg x L), for every n
            Gemm.sgemmStridedBatched(false, false, og, l, cg, 1f, w.data, w.offset + gr * og * cg, Math.max(1, cg), 0,
                    x.data, x.offset + gr * cg * l, l, g.cin * l, 0f, out, gr * og * l, l, g.cout * l, g.n);
        }
    }

    private static void pointwiseBackward(ConvGeom g, Tensor x, Tensor w, float[] dy, int dyOff, float[] dx, float[] dw) {
        int og = g.og(), cg = g.cg(), l = g.l();
        for (int gr = 0; gr < g.groups; gr++) {
            if (dx != null && cg > 0) {
                // dx_n (cg x L) = W_g^T (cg x og) * dy_n (og x L)
                Gemm.sgemmStridedBatched(true, false, cg, l, og, 1f, w.data, w.offset + gr * og * cg, Math.max(1, cg), 0,
                        dy, dyOff + gr * og * l, l, g.cout * l, 0f, dx, gr * cg * l, l, g.cin * l, g.n);
            }
            if (dw != null && cg > 0) {
                // dW_g (og x cg) = sum over n of dy_n (og x L) * x_n^T (L x cg)
                for (int s = 0; s < g.n; s++) {
                    Gemm.sgemm(false, true, og, cg, l, 1f, dy, dyOff + s * g.cout * l + gr * og * l, l,
                            x.data, x.offset + s * g.cin * l + gr * cg * l, l, s == 0 ? 0f : 1f, dw, gr * og * cg, cg);
                }
            }
        }
    }

    // ---- general convolution: im2col + one GEMM per group (and chunk of samples).

    /**
     * The forward of the im2col path. Chunks of samples are claimed by up to {@link Threads#count()}
     * workers, each with buffers of its own; with a single worker (one chunk, or one thread) it runs on the
     * calling thread, where the GEMM and im2col split their own work among the threads instead. With a
     * bias, the weights get it as an extra column and the column matrix an extra row of ones, so the GEMM
     * adds it (rounded once, as a separate addition would be).
     */
    private static void im2colForward(ConvGeom g, Tensor x, Tensor w, Tensor bias, float[] out) {
        int og = g.og(), k = g.k(), l = g.l();
        int kb = bias == null ? k : k + 1;
        float[] wm;
        int wOff;
        if (bias == null) {
            wm = w.data;
            wOff = w.offset;
        } else {
            wm = new float[g.cout * kb];
            wOff = 0;
            for (int co = 0; co < g.cout; co++) {
                System.arraycopy(w.data, w.offset + co * k, wm, co * kb, k);
                wm[co * kb + k] = bias.data[bias.offset + co];
            }
        }
        int nb = g.chunk(), chunks = (g.n + nb - 1) / nb;
        AtomicInteger next = new AtomicInteger();
        Threads.parallelFor(Math.min(Threads.count(), chunks), worker -> {
            float[] col = null, tmp = null;
            for (int c = next.getAndIncrement(); c < chunks; c = next.getAndIncrement()) {
                if (col == null) {
                    col = new float[kb * nb * l];
                    tmp = nb > 1 && l < 512 ? new float[og * nb * l] : null;
                }
                int n0 = c * nb, cnt = Math.min(nb, g.n - n0), ld = cnt * l;
                for (int gr = 0; gr < g.groups; gr++) {
                    im2col(g, x.data, x.offset, gr, n0, cnt, col);
                    if (kb > k) {
                        Arrays.fill(col, k * ld, (k + 1) * ld, 1f);
                    }
                    if (cnt == 1 || l >= 512) {
                        // One product per sample, written straight into its NCHW block (og x L). For small
                        // planes one wide product and a copy into NCHW is faster (measured: 14x14 vs 28x28).
                        Gemm.sgemmStridedBatched(false, false, og, l, kb, 1f, wm, wOff + gr * og * kb, kb, 0,
                                col, 0, ld, l, 0f, out, (n0 * g.cout + gr * og) * l, l, g.cout * l, cnt);
                    } else {
                        Gemm.sgemm(false, false, og, ld, kb, 1f, wm, wOff + gr * og * kb, kb, col, 0, ld, 0f,
                                tmp, 0, ld);
                        // (og, cnt*L) -> NCHW: each (channel, sample) is a contiguous run of L.
                        for (int co = 0; co < og; co++) {
                            for (int s = 0; s < cnt; s++) {
                                System.arraycopy(tmp, co * ld + s * l, out, ((n0 + s) * g.cout + gr * og + co) * l, l);
                            }
                        }
                    }
                }
            }
        });
    }

    /**
     * The backward of the im2col path. Lane {@code j} of a fixed number of lanes takes chunks
     * {@code j, j + lanes, ...} in order and accumulates their weight gradients in a partial of its own;
     * workers (up to {@link Threads#count()}) claim whole lanes, and the partials are added in lane order at
     * the end, so the bits do not depend on the thread count. When {@code K < C_out/groups} the partials
     * hold {@code dW^T = col x dY^T} instead, the orientation the GEMM runs faster (a wide result).
     */
    private static void im2colBackward(ConvGeom g, Tensor x, Tensor w, float[] dy, int dyOff, float[] dx, float[] dw) {
        int og = g.og(), k = g.k(), l = g.l();
        int nb = g.chunk(), chunks = (g.n + nb - 1) / nb;
        int wSize = g.cout * k;
        boolean transposed = dw != null && k < og;
        // Weight-gradient partials cost lanes * |W|: fewer lanes for huge weights.
        int lanes = dw == null ? Math.min(LANES, chunks)
                : (int) Math.max(1, Math.min(Math.min(LANES, chunks), (long) PARTIALS_BUDGET / Math.max(1, wSize)));
        float[] partials = dw != null && (lanes > 1 || transposed) ? new float[lanes * wSize] : null;
        AtomicInteger nextLane = new AtomicInteger();
        Threads.parallelFor(Math.min(Threads.count(), lanes), worker -> {
            float[] col = null, dcol = null, dyg = null;
            for (int lane = nextLane.getAndIncrement(); lane < lanes; lane = nextLane.getAndIncrement()) {
                if (col == null && dcol == null && dyg == null) {
                    col = dw != null ? new float[k * nb * l] : null;
                    dcol = dx != null ? new float[k * nb * l] : null;
                    dyg = nb > 1 ? new float[og * nb * l] : null;
                }
                float[] dwAcc = partials == null ? dw : partials;
                int dwBase = partials == null ? 0 : lane * wSize;
                for (int c = lane; c < chunks; c += lanes) {
                    int n0 = c * nb, cnt = Math.min(nb, g.n - n0), ld = cnt * l;
                    float beta = c == lane ? 0f : 1f;
                    for (int gr = 0; gr < g.groups; gr++) {
                        float[] dyA;
                        int dyA0, lda;
                        if (cnt == 1) {
                            dyA = dy;
                            dyA0 = dyOff + (n0 * g.cout + gr * og) * l;
                            lda = l;
                        } else {
                            // NCHW -> (og, cnt*L) for this group
                            for (int co = 0; co < og; co++) {
                                for (int s = 0; s < cnt; s++) {
                                    System.arraycopy(dy, dyOff + ((n0 + s) * g.cout + gr * og + co) * l, dyg,
                                            co * ld + s * l, l);
                                }
                            }
                            dyA = dyg;
                            dyA0 = 0;
                            lda = ld;
                        }
                        if (dw != null) {
                            im2col(g, x.data, x.offset, gr, n0, cnt, col);
                            if (transposed) {
                                // dW_g^T (K x og) += col (K x cnt*L) * dY_g^T (cnt*L x og)
                                Gemm.sgemm(false, true, k, og, ld, 1f, col, 0, ld, dyA, dyA0, lda, beta,
                                        dwAcc, dwBase + gr * og * k, og);
                            } else {
                                // dW_g (og x K) += dY_g (og x cnt*L) * col^T (cnt*L x K)
                                Gemm.sgemm(false, true, og, k, ld, 1f, dyA, dyA0, lda, col, 0, ld, beta,
                                        dwAcc, dwBase + gr * og * k, k);
                            }
                        }
                        if (dx != null) {
                            // dCol (K x cnt*L) = W_g^T (K x og) * dY_g (og x cnt*L), then scattered back (col2im)
                            Gemm.sgemm(true, false, k, ld, og, 1f, w.data, w.offset + gr * og * k, k, dyA, dyA0, lda, 0f,
                                    dcol, 0, ld);
                            col2im(g, dcol, gr, n0, cnt, dx);
                        }
                    }
                }
            }
        });
        if (partials != null) {
            int grain = 4096, tasks = (wSize + grain - 1) / grain;
            Threads.parallelFor(tasks, t -> {
                for (int i = t * grain, end = Math.min(wSize, i + grain); i < end; i++) {
                    int src = i;
                    if (transposed) { // dw index (group, co, kk) <- partial index (group, kk, co)
                        int gr = i / (og * k), rest = i % (og * k);
                        src = gr * og * k + (rest % k) * og + rest / k;
                    }
                    float sum = partials[src];
                    for (int j = 1; j < lanes; j++) {
                        sum += partials[j * wSize + src];
                    }
                    dw[i] = sum;
                }
            });
        }
    }

    /**
     * Writes the patches of samples {@code n0 .. n0+cnt-1}, group {@code gr}, as the columns of
     * {@code col (K, cnt*L)}: row {@code (c, ki, kj)}, column {@code (sample, oh, ow)} holds
     * {@code x[n][c][oh*sH - pH + ki*dH][ow*sW - pW + kj*dW]}, zero outside the image. Each task fills the
     * rows of one (sample, channel).
     *
     * <p>With stride 1 and {@code W_out == W} (a "same" convolution such as 3x3 with padding 1), a whole
     * row of {@code col} is the input plane shifted by a constant: one copy, then the few entries that
     * wrapped around a row edge are zeroed. Otherwise each output row is one copy (stride 1) or a strided
     * read.
     */
    private static void im2col(ConvGeom g, float[] x, int xOff, int gr, int n0, int cnt, float[] col) {
        int cg = g.cg(), kh = g.kh, kw = g.kw, h = g.h, w = g.w, ho = g.ho, wo = g.wo, l = g.l();
        int sh = g.sh, sw = g.sw, ph = g.ph, pw = g.pw, dh = g.dh, dwl = g.dw;
        int ld = cnt * l, hw = h * w;
        boolean linear = sh == 1 && sw == 1 && wo == w;
        Threads.parallelFor(cnt * cg, t -> {
            int s = t / cg, c = t % cg;
            int plane = xOff + ((n0 + s) * g.cin + gr * cg + c) * hw;
            for (int ki = 0; ki < kh; ki++) {
                int offH = ki * dh - ph;
                int ohLo = validLo(offH, sh, ho), ohHi = validHi(offH, sh, h, ho, ohLo);
                for (int kj = 0; kj < kw; kj++) {
                    int offW = kj * dwl - pw;
                    int owLo = validLo(offW, sw, wo), owHi = validHi(offW, sw, w, wo, owLo);
                    int dst = ((c * kh + ki) * kw + kj) * ld + s * l;
                    if (ohLo >= ohHi || owLo >= owHi) {
                        Arrays.fill(col, dst, dst + l, 0f);
                        continue;
                    }
                    if (linear) {
                        int from = ohLo * wo + owLo, to = (ohHi - 1) * wo + owHi;
                        Arrays.fill(col, dst, dst + from, 0f);
                        System.arraycopy(x, plane + from + offH * w + offW, col, dst + from, to - from);
                        Arrays.fill(col, dst + to, dst + l, 0f);
                        if (owLo > 0 || owHi < wo) { // entries that wrapped around a row edge
                            for (int oh = ohLo; oh < ohHi; oh++) {
                                int r = dst + oh * wo;
                                for (int ow = oh == ohLo ? owLo : 0; ow < owLo; ow++) {
                                    col[r + ow] = 0f;
                                }
                                for (int ow = owHi, end = oh == ohHi - 1 ? owHi : wo; ow < end; ow++) {
                                    col[r + ow] = 0f;
                                }
                            }
                        }
                        continue;
                    }
                    if (ohLo > 0) {
                        Arrays.fill(col, dst, dst + ohLo * wo, 0f);
                    }
                    for (int oh = ohLo; oh < ohHi; oh++) {
                        int d = dst + oh * wo;
                        int src = plane + (oh * sh + offH) * w + offW;
                        if (owLo > 0) {
                            Arrays.fill(col, d, d + owLo, 0f);
                        }
                        if (sw == 1) {
                            System.arraycopy(x, src + owLo, col, d + owLo, owHi - owLo);
                        } else {
                            for (int ow = owLo; ow < owHi; ow++) {
                                col[d + ow] = x[src + ow * sw];
                            }
                        }
                        if (owHi < wo) {
                            Arrays.fill(col, d + owHi, d + wo, 0f);
                        }
                    }
                    if (ohHi < ho) {
                        Arrays.fill(col, dst + ohHi * wo, dst + l, 0f);
                    }
                }
            }
        });
    }

    /**
     * The reverse of {@link #im2col}: adds {@code dcol (K, cnt*L)} into the planes of {@code dx} it was read
     * from. One task per (sample, channel) plane, so no two tasks write one element. In the linear case
     * (see {@link #im2col}) the wrapped entries of {@code dcol} (a scratch buffer) are zeroed first, then a
     * whole row is one vector add into the plane; the wrapped entries land inside the same plane, adding 0.
     */
    private static void col2im(ConvGeom g, float[] dcol, int gr, int n0, int cnt, float[] dx) {
        int cg = g.cg(), kh = g.kh, kw = g.kw, h = g.h, w = g.w, ho = g.ho, wo = g.wo, l = g.l();
        int sh = g.sh, sw = g.sw, ph = g.ph, pw = g.pw, dh = g.dh, dwl = g.dw;
        int ld = cnt * l, hw = h * w;
        boolean linear = sh == 1 && sw == 1 && wo == w;
        Threads.parallelFor(cnt * cg, t -> {
            int s = t / cg, c = t % cg;
            int plane = ((n0 + s) * g.cin + gr * cg + c) * hw;
            for (int ki = 0; ki < kh; ki++) {
                int offH = ki * dh - ph;
                int ohLo = validLo(offH, sh, ho), ohHi = validHi(offH, sh, h, ho, ohLo);
                for (int kj = 0; kj < kw; kj++) {
                    int offW = kj * dwl - pw;
                    int owLo = validLo(offW, sw, wo), owHi = validHi(offW, sw, w, wo, owLo);
                    int src0 = ((c * kh + ki) * kw + kj) * ld + s * l;
                    if (ohLo >= ohHi || owLo >= owHi) {
                        continue;
                    }
                    if (linear) {
                        if (owLo > 0 || owHi < wo) {
                            for (int oh = ohLo; oh < ohHi; oh++) {
                                int r = src0 + oh * wo;
                                for (int ow = oh == ohLo ? owLo : 0; ow < owLo; ow++) {
                                    dcol[r + ow] = 0f;
                                }
                                for (int ow = owHi, end = oh == ohHi - 1 ? owHi : wo; ow < end; ow++) {
                                    dcol[r + ow] = 0f;
                                }
                            }
                        }
                        int from = ohLo * wo + owLo, to = (ohHi - 1) * wo + owHi;
                        addInto(to - from, dcol, src0 + from, dx, plane + from + offH * w + offW);
                        continue;
                    }
                    for (int oh = ohLo; oh < ohHi; oh++) {
                        int src = src0 + oh * wo;
                        int dst = plane + (oh * sh + offH) * w + offW;
                        if (sw == 1) {
                            addInto(owHi - owLo, dcol, src + owLo, dx, dst + owLo);
                        } else {
                            for (int ow = owLo; ow < owHi; ow++) {
                                dx[dst + ow * sw] += dcol[src + ow];
                            }
                        }
                    }
                }
            }
        });
    }

    /** {@code y[yOff + i] += x[xOff + i]}: the vector kernel for long runs, a plain loop for short ones. */
    private static void addInto(int n, float[] x, int xOff, float[] y, int yOff) {
        if (n >= 64) {
            Elementwise.axpy(n, 1f, x, xOff, y, yOff);
        } else {
            for (int i = 0; i < n; i++) {
                y[yOff + i] += x[xOff + i];
            }
        }
    }

    /** The first output index {@code o >= 0} whose input position {@code o*stride + off} is {@code >= 0}. */
    private static int validLo(int off, int stride, int outSize) {
        return Math.min(outSize, Math.max(0, Math.ceilDiv(-off, stride)));
    }

    /** One past the last output index whose input position {@code o*stride + off} is {@code < in}. */
    private static int validHi(int off, int stride, int in, int outSize, int lo) {
        int hi = Math.floorDiv(in - 1 - off, stride) + 1;
        return Math.max(lo, Math.min(outSize, hi));
    }

    private static void addBias(ConvGeom g, float[] b, int bOff, float[] out) {
        int l = g.l(), cout = g.cout;
        Threads.parallelFor(g.n * cout, t -> {
            float v = b[bOff + t % cout];
            int o = t * l;
            for (int i = 0; i < l; i++) {
                out[o + i] += v;
            }
        });
    }

    private static void biasGrad(ConvGeom g, float[] dy, int dyOff, float[] db) {
        int l = g.l(), cout = g.cout;
        Threads.parallelFor(cout, co -> {
            float total = 0f;
            for (int s = 0; s < g.n; s++) {
                int o = dyOff + (s * cout + co) * l;
                float acc = 0f;
                for (int i = 0; i < l; i++) {
                    acc += dy[o + i];
                }
                total += acc;
            }
            db[co] = total;
        });
    }

    // ----------------------------------------------------------------------------------------- pooling

    /** {@code F.max_pool2d(input, kernel)}: stride = kernel, no padding. */
    public static Tensor maxPool2d(Tensor input, int kernel) {
        return maxPool2d(input, new int[] {kernel}, null, new int[] {0}, new int[] {1}, false);
    }

    /** {@code F.max_pool2d(input, kernel, stride, padding)}. */
    public static Tensor maxPool2d(Tensor input, int kernel, int stride, int padding) {
        return maxPool2d(input, new int[] {kernel}, new int[] {stride}, new int[] {padding}, new int[] {1}, false);
    }

    /**
     * {@code F.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode)}. Each size is {@code {v}}
     * or {@code {vH, vW}}; a null (or empty) {@code stride} means the kernel size. Padding acts as
     * {@code -inf} and may be at most half the effective kernel size. NaN propagates, as in PyTorch. The
     * backward routes each gradient to the first maximal element of its window.
     */
    public static Tensor maxPool2d(Tensor input, int[] kernel, int[] stride, int[] padding, int[] dilation,
                                   boolean ceilMode) {
        PoolGeom p = PoolGeom.of("max_pool2d", input, kernel, stride, padding, dilation, ceilMode, true);
        Tensor xc = input.contiguous();
        Tensor out = Tensor.zeros(p.outShape());
        int[] argmax = new int[out.numel()];
        float[] x = xc.data, y = out.data;
        int xOff = xc.offset, hw = p.h * p.w, ohw = p.ho * p.wo;
        Threads.parallelFor(p.planes, pl -> {
            int xp = xOff + pl * hw, yp = pl * ohw;
            for (int oh = 0; oh < p.ho; oh++) {
                int ih0 = oh * p.sh - p.ph, ih1 = Math.min(ih0 + (p.kh - 1) * p.dh + 1, p.h);
                while (ih0 < 0) {
                    ih0 += p.dh;
                }
                for (int ow = 0; ow < p.wo; ow++) {
                    int iw0 = ow * p.sw - p.pw, iw1 = Math.min(iw0 + (p.kw - 1) * p.dw + 1, p.w);
                    while (iw0 < 0) {
                        iw0 += p.dw;
                    }
                    int best = ih0 < ih1 && iw0 < iw1 ? ih0 * p.w + iw0 : -1;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int ih = ih0; ih < ih1; ih += p.dh) {
                        int row = ih * p.w;
                        for (int iw = iw0; iw < iw1; iw += p.dw) {
                            float v = x[xp + row + iw];
                            if (v > max || v != v) {
                                max = v;
                                best = row + iw;
                            }
                        }
                    }
                    y[yp + oh * p.wo + ow] = max;
                    argmax[yp + oh * p.wo + ow] = best;
                }
            }
        });
        return Tensor.result(out, "MaxPool2DWithIndicesBackward", grad -> {
            Tensor gc = grad.contiguous();
            Tensor dx = Tensor.zeros(input.shape());
            float[] gv = gc.data, d = dx.data;
            int gOff = gc.offset;
            Threads.parallelFor(p.planes, pl -> {
                int xp = pl * hw, yp = pl * ohw;
                for (int i = 0; i < ohw; i++) {
                    int at = argmax[yp + i];
                    if (at >= 0) {
                        d[xp + at] += gv[gOff + yp + i];
                    }
                }
            });
            return new Tensor[] {dx};
        }, input);
    }

    /** {@code F.avg_pool2d(input, kernel)}: stride = kernel, no padding, padding counted. */
    public static Tensor avgPool2d(Tensor input, int kernel) {
        return avgPool2d(input, new int[] {kernel}, null, new int[] {0}, false, true, 0);
    }

    /** {@code F.avg_pool2d(input, kernel, stride, padding, count_include_pad=countIncludePad)}. */
    public static Tensor avgPool2d(Tensor input, int kernel, int stride, int padding, boolean countIncludePad) {
        return avgPool2d(input, new int[] {kernel}, new int[] {stride}, new int[] {padding}, false, countIncludePad, 0);
    }

    /**
     * {@code F.avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)};
     * a null {@code stride} means the kernel size, {@code divisorOverride = 0} means none. Padding is at most
     * half the kernel. The divisor is the window clipped to the padded input when {@code countIncludePad},
     * the window clipped to the input otherwise (PyTorch's rules, including windows that ceil mode lets
     * run past the padding).
     */
    public static Tensor avgPool2d(Tensor input, int[] kernel, int[] stride, int[] padding, boolean ceilMode,
                                   boolean countIncludePad, int divisorOverride) {
        PoolGeom p = PoolGeom.of("avg_pool2d", input, kernel, stride, padding, new int[] {1}, ceilMode, false);
        if (divisorOverride < 0) {
            throw new IllegalArgumentException("avg_pool2d: divisor must be not zero, got divisorOverride = "
                    + divisorOverride + " (0 means none)");
        }
        Tensor xc = input.contiguous();
        Tensor out = Tensor.zeros(p.outShape());
        // Window bounds per output row and column, as PyTorch's CPU kernel computes them: first clipped to the
        // padded input (the count_include_pad divisor), then to the input.
        int[] r0 = new int[p.ho], r1 = new int[p.ho], rPad = new int[p.ho];
        int[] c0 = new int[p.wo], c1 = new int[p.wo], cPad = new int[p.wo];
        avgBounds(p.ho, p.sh, p.ph, p.kh, p.h, r0, r1, rPad);
        avgBounds(p.wo, p.sw, p.pw, p.kw, p.w, c0, c1, cPad);
        float[] x = xc.data, y = out.data;
        int xOff = xc.offset, hw = p.h * p.w, ohw = p.ho * p.wo;
        Threads.parallelFor(p.planes, pl -> {
            int xp = xOff + pl * hw, yp = pl * ohw;
            for (int oh = 0; oh < p.ho; oh++) {
                for (int ow = 0; ow < p.wo; ow++) {
                    int divisor = avgDivisor(r0[oh], r1[oh], rPad[oh], c0[ow], c1[ow], cPad[ow], countIncludePad,
                            divisorOverride);
                    float sum = 0f;
                    for (int ih = r0[oh]; ih < r1[oh]; ih++) {
                        for (int iw = c0[ow]; iw < c1[ow]; iw++) {
                            sum += x[xp + ih * p.w + iw];
                        }
                    }
                    y[yp + oh * p.wo + ow] = divisor == 0 ? 0f : sum / divisor;
                }
            }
        });
        return Tensor.result(out, "AvgPool2DBackward", grad -> {
            Tensor gc = grad.contiguous();
            Tensor dx = Tensor.zeros(input.shape());
            float[] gv = gc.data, d = dx.data;
            int gOff = gc.offset;
            Threads.parallelFor(p.planes, pl -> {
                int xp = pl * hw, yp = gOff + pl * ohw;
                for (int oh = 0; oh < p.ho; oh++) {
                    for (int ow = 0; ow < p.wo; ow++) {
                        int divisor = avgDivisor(r0[oh], r1[oh], rPad[oh], c0[ow], c1[ow], cPad[ow], countIncludePad,
                                divisorOverride);
                        if (divisor == 0) {
                            continue;
                        }
                        float v = gv[yp + oh * p.wo + ow] / divisor;
                        for (int ih = r0[oh]; ih < r1[oh]; ih++) {
                            for (int iw = c0[ow]; iw < c1[ow]; iw++) {
                                d[xp + ih * p.w + iw] += v;
                            }
                        }
                    }
                }
            });
            return new Tensor[] {dx};
        }, input);
    }

    /** Per output index: the window {@code [lo, hi)} clipped to the input, and its extent clipped to the padded input. */
    private static void avgBounds(int outSize, int stride, int pad, int kernel, int in, int[] lo, int[] hi, int[] padded) {
        for (int o = 0; o < outSize; o++) {
            int start = o * stride - pad, end = Math.min(start + kernel, in + pad);
            padded[o] = end - start;
            lo[o] = Math.max(start, 0);
            hi[o] = Math.min(end, in);
        }
    }

    private static int avgDivisor(int r0, int r1, int rPad, int c0, int c1, int cPad, boolean countIncludePad,
                                  int divisorOverride) {
        if (r0 >= r1 || c0 >= c1) {
            return 0; // a window entirely in the padding: PyTorch writes 0
        }
        if (divisorOverride != 0) {
            return divisorOverride;
        }
        return countIncludePad ? rPad * cPad : (r1 - r0) * (c1 - c0);
    }

    /**
     * {@code F.adaptive_avg_pool2d(input, (outH, outW))}: output cell {@code (i, j)} averages rows
     * {@code floor(i*H/outH) .. ceil((i+1)*H/outH) - 1} and the columns likewise.
     */
    public static Tensor adaptiveAvgPool2d(Tensor input, int outH, int outW) {
        String op = "adaptive_avg_pool2d";
        int[] xs = input.shape();
        if (xs.length != 3 && xs.length != 4) {
            throw new IllegalArgumentException(op + ": expected 3D or 4D input, but got input of size " + Shapes.str(xs));
        }
        for (int d = xs.length - 3; d < xs.length; d++) {
            if (xs[d] == 0) {
                throw new IllegalArgumentException(op + ": expected input to have non-zero size for non-batch dimensions, "
                        + "but input has sizes " + Shapes.str(xs) + " with dimension " + d + " being empty");
            }
        }
        if (outH < 0 || outW < 0) {
            throw new IllegalArgumentException(op + ": elements of output_size must be greater than or equal to 0 but "
                    + "received (" + outH + ", " + outW + ") for input of size " + Shapes.str(xs));
        }
        int h = xs[xs.length - 2], w = xs[xs.length - 1];
        int planes = Shapes.numel(xs) / (h * w);
        int[] outShape = xs.clone();
        outShape[xs.length - 2] = outH;
        outShape[xs.length - 1] = outW;
        Tensor xc = input.contiguous();
        Tensor out = Tensor.zeros(outShape);
        int[] rs = new int[outH], re = new int[outH], cs = new int[outW], ce = new int[outW];
        for (int i = 0; i < outH; i++) {
            rs[i] = (int) ((long) i * h / outH);
            re[i] = (int) (((long) (i + 1) * h + outH - 1) / outH);
        }
        for (int j = 0; j < outW; j++) {
            cs[j] = (int) ((long) j * w / outW);
            ce[j] = (int) (((long) (j + 1) * w + outW - 1) / outW);
        }
        float[] x = xc.data, y = out.data;
        int xOff = xc.offset, hw = h * w, ohw = outH * outW;
        Threads.parallelFor(ohw == 0 ? 0 : planes, pl -> {
            int xp = xOff + pl * hw, yp = pl * ohw;
            for (int i = 0; i < outH; i++) {
                for (int j = 0; j < outW; j++) {
                    float sum = 0f;
                    for (int ih = rs[i]; ih < re[i]; ih++) {
                        for (int iw = cs[j]; iw < ce[j]; iw++) {
                            sum += x[xp + ih * w + iw];
                        }
                    }
                    y[yp + i * outW + j] = sum / ((re[i] - rs[i]) * (ce[j] - cs[j]));
                }
            }
        });
        return Tensor.result(out, "AdaptiveAvgPool2DBackward", grad -> {
            Tensor gc = grad.contiguous();
            Tensor dx = Tensor.zeros(input.shape());
            float[] gv = gc.data, d = dx.data;
            int gOff = gc.offset;
            Threads.parallelFor(ohw == 0 ? 0 : planes, pl -> {
                int xp = pl * hw, yp = gOff + pl * ohw;
                for (int i = 0; i < outH; i++) {
                    for (int j = 0; j < outW; j++) {
                        float v = gv[yp + i * outW + j] / ((re[i] - rs[i]) * (ce[j] - cs[j]));
                        for (int ih = rs[i]; ih < re[i]; ih++) {
                            for (int iw = cs[j]; iw < ce[j]; iw++) {
                                d[xp + ih * w + iw] += v;
                            }
                        }
                    }
                }
            });
            return new Tensor[] {dx};
        }, input);
    }

    /** Shapes and hyper-parameters of one pooling, checked like PyTorch's {@code pool2d_shape_check}. */
    private record PoolGeom(int[] inShape, int planes, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw,
                            int dh, int dw, int ho, int wo) {
        static PoolGeom of(String op, Tensor input, int[] kernel, int[] stride, int[] padding, int[] dilation,
                           boolean ceilMode, boolean dilatedHalf) {
            int[] xs = input.shape();
            int[] k = pair(op, "kernel_size", kernel, null);
            int[] s = pair(op, "stride", stride, k);
            int[] p = pair(op, "padding", padding, null);
            int[] d = pair(op, "dilation", dilation, null);
            if (k[0] <= 0 || k[1] <= 0) {
                throw new IllegalArgumentException(op + ": kernel size should be greater than zero, but got kH: " + k[0]
                        + " kW: " + k[1]);
            }
            if (s[0] <= 0 || s[1] <= 0) {
                throw new IllegalArgumentException(op + ": stride should be greater than zero, but got dH: " + s[0]
                        + " dW: " + s[1]);
            }
            if (d[0] <= 0 || d[1] <= 0) {
                throw new IllegalArgumentException(op + ": dilation should be greater than zero, but got dilationH: " + d[0]
                        + " dilationW: " + d[1]);
            }
            if (p[0] < 0 || p[1] < 0) {
                throw new IllegalArgumentException(op + ": padding must be non-negative, but got padH: " + p[0]
                        + " padW: " + p[1]);
            }
            for (int i = 0; i < 2; i++) {
                int limit = dilatedHalf ? ((k[i] - 1) * d[i] + 1) / 2 : k[i] / 2;
                if (p[i] > limit) {
                    throw new IllegalArgumentException(op + ": pad should be at most half of " + (dilatedHalf ? "effective " : "")
                            + "kernel size, but got pad=" + p[i] + ", kernel_size=" + k[i]
                            + (dilatedHalf ? " and dilation=" + d[i] : ""));
                }
            }
            if (xs.length != 3 && xs.length != 4) {
                throw new IllegalArgumentException(op + ": expected 3D or 4D (batch mode) tensor for input, but got input of "
                        + "size " + Shapes.str(xs));
            }
            for (int i = xs.length - 3; i < xs.length; i++) {
                if (xs[i] == 0) {
                    throw new IllegalArgumentException(op + ": expected input with non-zero channel, height and width, but "
                            + "got input of size " + Shapes.str(xs));
                }
            }
            int h = xs[xs.length - 2], w = xs[xs.length - 1];
            int ho = poolOutputSize(h, k[0], p[0], s[0], d[0], ceilMode);
            int wo = poolOutputSize(w, k[1], p[1], s[1], d[1], ceilMode);
            if (ho < 1 || wo < 1) {
                throw new IllegalArgumentException(op + ": given input size " + Shapes.str(xs) + ", calculated output size ("
                        + ho + " x " + wo + ") for kernel_size=" + Arrays.toString(k) + ", stride=" + Arrays.toString(s)
                        + ", padding=" + Arrays.toString(p) + ": output size is too small");
            }
            int planes = Shapes.numel(xs) / (h * w);
            return new PoolGeom(xs, planes, h, w, k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1], ho, wo);
        }

        int[] outShape() {
            int[] o = inShape.clone();
            o[o.length - 2] = ho;
            o[o.length - 1] = wo;
            return o;
        }
    }

    /** PyTorch's {@code pooling_output_shape}. */
    public static int poolOutputSize(int in, int kernel, int pad, int stride, int dilation, boolean ceilMode) {
        int out = Math.floorDiv(in + 2 * pad - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0), stride) + 1;
        if (ceilMode && (long) (out - 1) * stride >= (long) in + pad) {
            out--;
        }
        return out;
    }

    /** {@code {v}} or {@code {vH, vW}} as a pair; null or empty gives {@code dflt} (an error when there is none). */
    private static int[] pair(String op, String what, int[] v, int[] dflt) {
        if (v == null || v.length == 0) {
            if (dflt != null) {
                return dflt;
            }
            throw new IllegalArgumentException(op + ": " + what + " must be a single int or a pair of ints, got "
                    + (v == null ? "null" : "[]"));
        }
        if (v.length == 1) {
            return new int[] {v[0], v[0]};
        }
        if (v.length == 2) {
            return v.clone();
        }
        throw new IllegalArgumentException(op + ": " + what + " must be a single int or a pair of ints, got "
                + Arrays.toString(v));
    }
}
