package dev.lanes.kernels.gemm;

import dev.lanes.kernels.Activation;
import dev.lanes.kernels.Threads;
import dev.lanes.kernels.internal.VectorMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API GEMM engine, BLIS anatomy (loops from outside in):
 *
 * <pre>
 *   for jc in n, step nc            (panel of B, shared by all threads, L3)
 *     for pc in k, step kc          (depth of the packed panels)
 *       pack B[pc:pc+kc, jc:jc+nc]  into nr-wide micro-panels        (in parallel)
 *       for ic in m, step mc        (block of A, one thread each, L2)   \  tasks of the
 *         pack A[ic:ic+mc, pc:pc+kc] into mr-tall micro-panels          |  parallel loop
 *         for jr in nc, step nr     (micro-panel of B, L1)              |
 *           for ir in mc, step mr   micro-kernel: C tile += A panel * B panel  /
 * </pre>
 *
 * Edges are handled by zero padding in the packed panels; a partial tile is computed into a scratch tile
 * and copied out with the same arithmetic. On the last {@code kc} step, bias and activation are applied
 * to each tile right after it is stored, while it is still in L1. Every element's sum runs over {@code p}
 * in the same order whatever the split between threads, so the bits never depend on the thread count.
 *
 * <p>Only loaded when {@code jdk.incubator.vector} is present; see {@code KernelProvider}.
 */
public final class VectorGemm implements GemmBackend {
    private static final VectorSpecies<Float> S = MicroKernels.S;
    private static final int V = MicroKernels.V;
    private static final int NR = MicroKernels.NR;
    /** Below this many multiply-adds a product runs on the calling thread: forking would cost more. */
    private static final long PARALLEL_MIN_WORK = 1L << 20;
    /** Output tile for the parallel GEMV paths, fixed so that the split does not depend on the thread count. */
    private static final int GEMV_TILE = 1024;

    private final GemmConfig config;

    public VectorGemm() {
        this(GemmConfig.forLanes(V));
    }

    public VectorGemm(GemmConfig config) {
        this.config = config;
    }

    public GemmConfig config() {
        return config;
    }

    @Override
    public String name() {
        return "vector (" + S.vectorBitSize() + "-bit, micro-kernel " + config.mr() + "x" + NR + ")";
    }

    /** Buffers each thread reuses from call to call; they grow to the largest size asked for. */
    private static final class Scratch {
        float[] packedA = new float[0];
        float[] packedB = new float[0];
        final float[] tile = new float[12 * NR];
        final float[] tail = new float[V];
        float[] sums = new float[GEMV_TILE];

        float[] packedA(int size) {
            if (packedA.length < size) {
                packedA = new float[size];
            }
            return packedA;
        }

        float[] packedB(int size) {
            if (packedB.length < size) {
                packedB = new float[size];
            }
            return packedB;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    // ------------------------------------------------------------------------------------------------ GEMM

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float alpha, float[] a, int aOff, int lda,
                     float[] b, int bOff, int ldb,
                     float beta, float[] c, int cOff, int ldc,
                     float[] bias, int biasOff, Activation act) {
        final int mr = config.mr();
        final boolean epilogue = bias != null || act != Activation.IDENTITY;
        final boolean parallel = Threads.count() > 1 && (long) m * n * k >= PARALLEL_MIN_WORK;
        final int threads = parallel ? Threads.count() : 1;
        final Scratch callerScratch = SCRATCH.get();

        for (int jc = 0; jc < n; jc += config.nc()) {
            final int jcF = jc;
            final int ncCur = Math.min(config.nc(), n - jc);
            final int panels = (ncCur + NR - 1) / NR;
            for (int pc = 0; pc < k; pc += config.kc()) {
                final int pcF = pc;
                final int kcCur = Math.min(config.kc(), k - pc);
                final float betaStep = pc == 0 ? beta : 1f;
                final boolean lastStep = pc + kcCur == k;
                final float[] packedB = callerScratch.packedB(panels * kcCur * NR);

                // Pack B once for this (jc, pc); all tasks below share it read-only.
                int packChunks = parallel ? Math.min(panels, 4 * threads) : 1;
                forEach(parallel, packChunks, chunk -> {
                    int from = chunk * panels / packChunks;
                    int to = (chunk + 1) * panels / packChunks;
                    for (int panel = from; panel < to; panel++) {
                        packB(transB, b, bOff, ldb, pcF, kcCur, jcF, ncCur, panel, packedB);
                    }
                });

                // Tasks: row blocks of mc, each split into column chunks when there are too few blocks
                // to keep every thread busy. Either way each C tile is computed whole by one task.
                int rowBlocks = (m + config.mc() - 1) / config.mc();
                int colChunks = parallel ? Math.min(panels, Math.max(1, (2 * threads + rowBlocks - 1) / rowBlocks)) : 1;
                forEach(parallel, rowBlocks * colChunks, task -> {
                    int block = task / colChunks;
                    int chunk = task % colChunks;
                    int ic = block * config.mc();
                    int mcCur = Math.min(config.mc(), m - ic);
                    Scratch scratch = SCRATCH.get();
                    float[] packedA = scratch.packedA(((mcCur + mr - 1) / mr) * mr * kcCur);
                    packA(transA, a, aOff, lda, ic, mcCur, pcF, kcCur, mr, packedA);
                    macroKernel(packedA, packedB, mcCur, ncCur, kcCur,
                            chunk * panels / colChunks, (chunk + 1) * panels / colChunks,
                            alpha, betaStep, c, cOff + ic * ldc + jcF, ldc,
                            lastStep && epilogue, bias, biasOff + jcF, act, scratch);
                });
            }
        }
    }

    /** Runs {@code body} for each task, on the library's threads when {@code parallel}, else in order here. */
    private static void forEach(boolean parallel, int tasks, java.util.function.IntConsumer body) {
        if (parallel) {
            Threads.parallelFor(tasks, body);
        } else {
            for (int t = 0; t < tasks; t++) {
                body.accept(t);
            }
        }
    }

    /** Runs the micro-kernel over B micro-panels {@code [panelFrom, panelTo)} and all row panels of A. */
    private void macroKernel(float[] packedA, float[] packedB, int mcCur, int ncCur, int kcCur,
                             int panelFrom, int panelTo, float alpha, float beta,
                             float[] c, int cBlock, int ldc,
                             boolean epilogue, float[] bias, int biasBlock, Activation act, Scratch scratch) {
        final int mr = config.mr();
        for (int panel = panelFrom; panel < panelTo; panel++) {
            int j = panel * NR;
            int nrCur = Math.min(NR, ncCur - j);
            int bi = panel * kcCur * NR;
            for (int ir = 0; ir < mcCur; ir += mr) {
                int mrCur = Math.min(mr, mcCur - ir);
                int ai = ir * kcCur; // (ir / mr) panels of mr * kcCur floats each
                int ci = cBlock + ir * ldc + j;
                MicroKernels.run(mr, kcCur, packedA, ai, packedB, bi, scratch.tile);
                mergeTile(scratch.tile, mrCur, nrCur, alpha, beta, c, ci, ldc);
                if (epilogue) {
                    for (int r = 0; r < mrCur; r++) {
                        biasActivation(c, ci + r * ldc, nrCur, bias, biasBlock + j, act, scratch.tail);
                    }
                }
            }
        }
    }

    /**
     * {@code C = alpha * tile + beta * C} for the top-left {@code mr x nr} of a tile; C is not read when
     * {@code beta == 0}. Vector and scalar lanes do the same arithmetic (one product, one fused multiply-add),
     * so partial tiles get the same bits full ones would.
     */
    private static void mergeTile(float[] tile, int mr, int nr, float alpha, float beta,
                                  float[] c, int ci, int ldc) {
        FloatVector alphas = FloatVector.broadcast(S, alpha);
        for (int r = 0; r < mr; r++) {
            int t = r * NR;
            int row = ci + r * ldc;
            int j = 0;
            for (; j + V <= nr; j += V) {
                FloatVector acc = FloatVector.fromArray(S, tile, t + j);
                FloatVector out = beta == 0f
                        ? acc.mul(alphas)
                        : acc.fma(alphas, FloatVector.fromArray(S, c, row + j).mul(beta));
                out.intoArray(c, row + j);
            }
            for (; j < nr; j++) {
                c[row + j] = ScalarGemm.combine(alpha, tile[t + j], beta, c[row + j]);
            }
        }
    }

    /**
     * Packs one {@code kc x NR} micro-panel of op(B): rows {@code pc ..}, columns {@code jc + panel * NR ..},
     * stored as {@code kc} runs of {@code NR} floats, zero-padded past column {@code nc}.
     */
    private static void packB(boolean transB, float[] b, int bOff, int ldb, int pc, int kc,
                              int jc, int nc, int panel, float[] dst) {
        int j0 = panel * NR;
        int width = Math.min(NR, nc - j0);
        int d = panel * kc * NR;
        if (!transB) { // op(B)(p, j) = b[p * ldb + j]: rows of the panel are contiguous
            int src = bOff + pc * ldb + jc + j0;
            if (width == NR) {
                for (int p = 0; p < kc; p++, src += ldb, d += NR) {
                    FloatVector.fromArray(S, b, src).intoArray(dst, d);
                    FloatVector.fromArray(S, b, src + V).intoArray(dst, d + V);
                }
            } else {
                for (int p = 0; p < kc; p++, src += ldb, d += NR) {
                    System.arraycopy(b, src, dst, d, width);
                    java.util.Arrays.fill(dst, d + width, d + NR, 0f);
                }
            }
        } else { // op(B)(p, j) = b[j * ldb + p]: each column of the panel is a contiguous run of b
            for (int jj = 0; jj < NR; jj++) {
                if (jj < width) {
                    int src = bOff + (jc + j0 + jj) * ldb + pc;
                    for (int p = 0; p < kc; p++) {
                        dst[d + p * NR + jj] = b[src + p];
                    }
                } else {
                    for (int p = 0; p < kc; p++) {
                        dst[d + p * NR + jj] = 0f;
                    }
                }
            }
        }
    }

    /**
     * Packs rows {@code ic .. ic+mc} of op(A), depth {@code pc .. pc+kc}, into micro-panels of {@code mr}
     * rows, each stored as {@code kc} runs of {@code mr} floats, zero-padded past row {@code mc}.
     */
    private static void packA(boolean transA, float[] a, int aOff, int lda, int ic, int mc,
                              int pc, int kc, int mr, float[] dst) {
        for (int i0 = 0; i0 < mc; i0 += mr) {
            int height = Math.min(mr, mc - i0);
            int d = i0 * kc;
            if (!transA) { // op(A)(i, p) = a[i * lda + p]: each row of the panel is contiguous
                for (int r = 0; r < mr; r++) {
                    if (r < height) {
                        int src = aOff + (ic + i0 + r) * lda + pc;
                        for (int p = 0; p < kc; p++) {
                            dst[d + p * mr + r] = a[src + p];
                        }
                    } else {
                        for (int p = 0; p < kc; p++) {
                            dst[d + p * mr + r] = 0f;
                        }
                    }
                }
            } else { // op(A)(i, p) = a[p * lda + i]: each step of the panel is contiguous
                int src = aOff + pc * lda + ic + i0;
                for (int p = 0; p < kc; p++, src += lda, d += mr) {
                    System.arraycopy(a, src, dst, d, height);
                    if (height < mr) {
                        java.util.Arrays.fill(dst, d + height, d + mr, 0f);
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------- epilogue

    @Override
    public void biasActivation(float[] v, int off, int len, float[] bias, int biasOff, Activation act) {
        if (bias == null && act == Activation.IDENTITY) {
            return;
        }
        biasActivation(v, off, len, bias, biasOff, act, SCRATCH.get().tail);
    }

    /**
     * {@code v = act(v + bias)} over {@code len} floats. The tail shorter than a vector goes through the same
     * vector code via a padded scratch copy, so every element gets bit-identical treatment wherever it sits.
     */
    private static void biasActivation(float[] v, int off, int len, float[] bias, int biasOff,
                                       Activation act, float[] tail) {
        int i = 0;
        for (int bound = S.loopBound(len); i < bound; i += V) {
            FloatVector x = FloatVector.fromArray(S, v, off + i);
            if (bias != null) {
                x = x.add(FloatVector.fromArray(S, bias, biasOff + i));
            }
            VectorMath.activate(x, act).intoArray(v, off + i);
        }
        int rest = len - i;
        if (rest > 0) {
            for (int t = 0; t < V; t++) {
                tail[t] = t < rest ? (bias == null ? v[off + i + t] : v[off + i + t] + bias[biasOff + i + t]) : 0f;
            }
            VectorMath.activate(FloatVector.fromArray(S, tail, 0), act).intoArray(tail, 0);
            System.arraycopy(tail, 0, v, off + i, rest);
        }
    }

    // ----------------------------------------------------------------------------------------------- GEMV

    @Override
    public void gemv(boolean trans, int rows, int cols, float alpha, float[] a, int aOff, int lda,
                     float[] x, int xOff, float beta, float[] y, int yOff) {
        boolean parallel = Threads.count() > 1 && (long) rows * cols >= PARALLEL_MIN_WORK / 4;
        int outputs = trans ? cols : rows;
        int tiles = (outputs + GEMV_TILE - 1) / GEMV_TILE;
        if (!trans) {
            forEach(parallel, tiles, tile -> {
                int from = tile * GEMV_TILE;
                dotRows(from, Math.min(rows, from + GEMV_TILE), cols, alpha, a, aOff, lda, x, xOff, beta, y, yOff);
            });
        } else {
            forEach(parallel, tiles, tile -> {
                int from = tile * GEMV_TILE;
                int width = Math.min(GEMV_TILE, cols - from);
                axpyRows(rows, from, width, alpha, a, aOff, lda, x, xOff, beta, y, yOff, SCRATCH.get().sums);
            });
        }
    }

    /** {@code y[i] = alpha * dot(A[i, :], x) + beta * y[i]} for rows {@code [from, to)}. */
    private static void dotRows(int from, int to, int cols, float alpha, float[] a, int aOff, int lda,
                                float[] x, int xOff, float beta, float[] y, int yOff) {
        int i = from;
        for (; i + 4 <= to; i += 4) {
            dot4(cols, alpha, a, aOff + i * lda, lda, x, xOff, beta, y, yOff + i);
        }
        for (; i < to; i++) {
            y[yOff + i] = ScalarGemm.combine(alpha, dot(cols, a, aOff + i * lda, x, xOff), beta, y[yOff + i]);
        }
    }

    /**
     * One dot product with two accumulators (even and odd vector steps) and a scalar tail; {@link #dot4}
     * does exactly the same arithmetic for four rows at once, so a row's result does not depend on grouping.
     */
    private static float dot(int len, float[] a, int ai, float[] x, int xi) {
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = FloatVector.zero(S);
        int p = 0;
        for (int bound = len - 2 * V; p <= bound; p += 2 * V) {
            s0 = FloatVector.fromArray(S, a, ai + p).fma(FloatVector.fromArray(S, x, xi + p), s0);
            s1 = FloatVector.fromArray(S, a, ai + p + V).fma(FloatVector.fromArray(S, x, xi + p + V), s1);
        }
        if (p <= len - V) {
            s0 = FloatVector.fromArray(S, a, ai + p).fma(FloatVector.fromArray(S, x, xi + p), s0);
            p += V;
        }
        float sum = s0.add(s1).reduceLanes(VectorOperators.ADD);
        for (; p < len; p++) {
            sum = Math.fma(a[ai + p], x[xi + p], sum);
        }
        return sum;
    }

    private static void dot4(int len, float alpha, float[] a, int ai, int lda, float[] x, int xi,
                             float beta, float[] y, int yi) {
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s10 = s00, s11 = s00;
        FloatVector s20 = s00, s21 = s00, s30 = s00, s31 = s00;
        int a1 = ai + lda, a2 = ai + 2 * lda, a3 = ai + 3 * lda;
        int p = 0;
        for (int bound = len - 2 * V; p <= bound; p += 2 * V) {
            FloatVector x0 = FloatVector.fromArray(S, x, xi + p);
            FloatVector x1 = FloatVector.fromArray(S, x, xi + p + V);
            s00 = FloatVector.fromArray(S, a, ai + p).fma(x0, s00);
            s01 = FloatVector.fromArray(S, a, ai + p + V).fma(x1, s01);
            s10 = FloatVector.fromArray(S, a, a1 + p).fma(x0, s10);
            s11 = FloatVector.fromArray(S, a, a1 + p + V).fma(x1, s11);
            s20 = FloatVector.fromArray(S, a, a2 + p).fma(x0, s20);
            s21 = FloatVector.fromArray(S, a, a2 + p + V).fma(x1, s21);
            s30 = FloatVector.fromArray(S, a, a3 + p).fma(x0, s30);
            s31 = FloatVector.fromArray(S, a, a3 + p + V).fma(x1, s31);
        }
        if (p <= len - V) {
            FloatVector x0 = FloatVector.fromArray(S, x, xi + p);
            s00 = FloatVector.fromArray(S, a, ai + p).fma(x0, s00);
            s10 = FloatVector.fromArray(S, a, a1 + p).fma(x0, s10);
            s20 = FloatVector.fromArray(S, a, a2 + p).fma(x0, s20);
            s30 = FloatVector.fromArray(S, a, a3 + p).fma(x0, s30);
            p += V;
        }
        float t0 = s00.add(s01).reduceLanes(VectorOperators.ADD);
        float t1 = s10.add(s11).reduceLanes(VectorOperators.ADD);
        float t2 = s20.add(s21).reduceLanes(VectorOperators.ADD);
        float t3 = s30.add(s31).reduceLanes(VectorOperators.ADD);
        for (; p < len; p++) {
            float xp = x[xi + p];
            t0 = Math.fma(a[ai + p], xp, t0);
            t1 = Math.fma(a[a1 + p], xp, t1);
            t2 = Math.fma(a[a2 + p], xp, t2);
            t3 = Math.fma(a[a3 + p], xp, t3);
        }
        y[yi] = ScalarGemm.combine(alpha, t0, beta, y[yi]);
        y[yi + 1] = ScalarGemm.combine(alpha, t1, beta, y[yi + 1]);
        y[yi + 2] = ScalarGemm.combine(alpha, t2, beta, y[yi + 2]);
        y[yi + 3] = ScalarGemm.combine(alpha, t3, beta, y[yi + 3]);
    }

    /**
     * {@code y[j] = alpha * sum_i x[i] A[i, j] + beta * y[j]} for columns {@code [from, from + width)}: the
     * sums stay in an L1 scratch row while rows of A stream through four at a time. Each sum is one fused
     * multiply-add per row in row order, in the vector body and the scalar tail alike.
     */
    private static void axpyRows(int rows, int from, int width, float alpha, float[] a, int aOff, int lda,
                                 float[] x, int xOff, float beta, float[] y, int yOff, float[] sums) {
        java.util.Arrays.fill(sums, 0, width, 0f);
        int body = S.loopBound(width);
        int i = 0;
        for (; i + 4 <= rows; i += 4) {
            int r0 = aOff + i * lda + from;
            int r1 = r0 + lda, r2 = r1 + lda, r3 = r2 + lda;
            FloatVector x0 = FloatVector.broadcast(S, x[xOff + i]);
            FloatVector x1 = FloatVector.broadcast(S, x[xOff + i + 1]);
            FloatVector x2 = FloatVector.broadcast(S, x[xOff + i + 2]);
            FloatVector x3 = FloatVector.broadcast(S, x[xOff + i + 3]);
            int j = 0;
            for (; j < body; j += V) {
                FloatVector s = FloatVector.fromArray(S, sums, j);
                s = FloatVector.fromArray(S, a, r0 + j).fma(x0, s);
                s = FloatVector.fromArray(S, a, r1 + j).fma(x1, s);
                s = FloatVector.fromArray(S, a, r2 + j).fma(x2, s);
                s = FloatVector.fromArray(S, a, r3 + j).fma(x3, s);
                s.intoArray(sums, j);
            }
            for (; j < width; j++) {
                float s = sums[j];
                s = Math.fma(a[r0 + j], x[xOff + i], s);
                s = Math.fma(a[r1 + j], x[xOff + i + 1], s);
                s = Math.fma(a[r2 + j], x[xOff + i + 2], s);
                s = Math.fma(a[r3 + j], x[xOff + i + 3], s);
                sums[j] = s;
            }
        }
        for (; i < rows; i++) {
            int r0 = aOff + i * lda + from;
            FloatVector x0 = FloatVector.broadcast(S, x[xOff + i]);
            int j = 0;
            for (; j < body; j += V) {
                FloatVector.fromArray(S, a, r0 + j).fma(x0, FloatVector.fromArray(S, sums, j)).intoArray(sums, j);
            }
            for (; j < width; j++) {
                sums[j] = Math.fma(a[r0 + j], x[xOff + i], sums[j]);
            }
        }
        for (int j = 0; j < width; j++) {
            y[yOff + from + j] = ScalarGemm.combine(alpha, sums[j], beta, y[yOff + from + j]);
        }
    }
}
