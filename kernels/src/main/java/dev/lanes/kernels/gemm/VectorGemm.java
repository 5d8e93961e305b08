package dev.lanes.kernels.gemm;

import dev.lanes.kernels.Activation;
import dev.lanes.kernels.Threads;
import dev.lanes.kernels.internal.VectorMath;
import dev.lanes.kernels.ops.VectorActivations;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API GEMM engine: the BLIS anatomy with the roles of A and B swapped, because vectors run along
 * the rows of C (row-major), so B supplies the vectors and A the broadcasts. Loops from outside in:
 *
 * <pre>
 *   tasks: column chunks of C (and row chunks when C is narrow), one thread each, no shared buffers
 *   for jc in the chunk, step nc          block of B: kc x nc floats, packed, stays in L2
 *     for pc in k, step kc                depth of one block
 *       pack B[pc:pc+kc, jc:jc+nc] into nr-wide micro-panels (zero-padded)
 *       for ir in the rows, step mr       micro-panel of A (in place, or a copy), stays in L1
 *         for jr in the block, step nr    micro-panel of B streamed from L2
 *           micro-kernel: tile = A panel * B panel, stored into C, added to C, or merged (alpha, beta)
 * </pre>
 *
 * A is read through strides: small A in place, larger A from a copy (row-major A one micro-panel at a time,
 * rows copied whole, which costs about as little as a memcpy; transposed A sixteen panels at a time,
 * interleaved by step, a whole vector per step and panel), so small products pay almost nothing for packing
 * and column tasks duplicate nothing expensive. Depth blocks after the first add their tiles to C inside the
 * micro-kernel. On the last {@code kc} step, bias and activation are applied to each row of a row
 * panel across the block once its tiles are done, while it is in cache. Every
 * element's sum runs over {@code p} in the same order whatever the split into tasks, so the bits never
 * depend on the thread count.
 *
 * <p>Only loaded when {@code jdk.incubator.vector} is present; see {@code KernelProvider}.
 */
public final class VectorGemm implements GemmBackend {
    private static final VectorSpecies<Float> S = MicroKernels.S;
    private static final int V = MicroKernels.V;
    private static final int NR = MicroKernels.NR;
    /** Below this many multiply-adds a product runs on the calling thread: forking would cost more. */
    private static final long PARALLEL_MIN_WORK = 1L << 20;
    /** Below this many multiply-adds (256^3) parallel products are split finely, above it coarsely. */
    private static final long FINE_SPLIT_MAX_WORK = 1L << 24;
    /** Up to this many floats of A (256 KB, about L2) the micro-kernel reads A in place. */
    private static final long A_IN_PLACE_MAX_FLOATS = 1L << 16;
    /** Outputs per task of the parallel GEMV paths (and the size of the per-thread row of sums). */
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
        return "vector (" + S.vectorBitSize() + "-bit, " + S.length() + " floats per vector, micro-kernel " + config.mr() + "x" + NR + ")";
    }

    /** Buffers each thread reuses from call to call; they grow to the largest size asked for. */
    private static final class Scratch {
        float[] packedB = new float[0];
        float[] panelA = new float[0];
        final float[] tile = new float[GemmConfig.MAX_MR * NR];
        final float[] tail = new float[V];
        final float[] sums = new float[GEMV_TILE];
        final float[] rowSums = new float[4 * V];

        float[] packedB(int size) {
            if (packedB.length < size) {
                packedB = new float[size];
            }
            return packedB;
        }

        float[] panelA(int size) {
            if (panelA.length < size) {
                panelA = new float[size];
            }
            return panelA;
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
        multiply(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, null, beta, c, cOff, ldc, bias, biasOff, act);
    }

    /**
     * The blocked product behind {@link #gemm} and {@link #gemmPacked}: B is packed block by block from
     * {@code b} into per-thread scratch, or, when {@code prepacked} is given, read from that whole-matrix pack
     * (see {@link #packB(boolean, int, int, float[], int, int, float[])}). Both run the same tasks, blocks and
     * micro-kernel calls, so they give the same bits.
     */
    private void multiply(boolean transA, boolean transB, int m, int n, int k,
                          float alpha, float[] a, int aOff, int lda,
                          float[] b, int bOff, int ldb, float[] prepacked,
                          float beta, float[] c, int cOff, int ldc,
                          float[] bias, int biasOff, Activation act) {
        final int mr = config.mr();
        final int rowPanels = (m + mr - 1) / mr;
        final int colPanels = (n + NR - 1) / NR;
        final int blockPanels = Math.max(1, config.nc() / NR);
        final boolean parallel = Threads.count() > 1 && !Threads.inTask() && (long) m * n * k >= PARALLEL_MIN_WORK;
        final int threads = parallel ? Threads.count() : 1;

        // Column chunks, and row chunks when C is narrow: see colTasks.
        int perThread = parallel && (long) m * n * k < FINE_SPLIT_MAX_WORK ? 4 * threads : threads;
        final int colTasks = colTasks(parallel, m, n, k, colPanels, blockPanels, perThread);
        final int rowTasks = parallel ? Math.min(rowPanels, Math.max(1, perThread / colTasks)) : 1;
        final boolean epilogue = bias != null || act != Activation.IDENTITY;
        // Small A (up to 256 KB) is read in place: copying it would cost more than it saves. Larger A is
        // copied (see block): read in place, rows whose length is a multiple of 4 KB share L1 sets and
        // evict each other, and transposed A touches a new cache line per step (about 10 % lost at 1024).
        final boolean readAInPlace = (long) m * k <= A_IN_PLACE_MAX_FLOATS;

        forEach(parallel, rowTasks * colTasks, task -> {
            int rowTask = task / colTasks, colTask = task % colTasks;
            // long: colTask * colPanels overflows int for C with millions of columns
            int i0 = (int) ((long) rowTask * rowPanels / rowTasks) * mr;
            int i1 = (int) Math.min(m, (long) ((rowTask + 1L) * rowPanels / rowTasks) * mr);
            int firstPanel = (int) ((long) colTask * colPanels / colTasks);
            int lastPanel = (int) ((colTask + 1L) * colPanels / colTasks);
            Scratch scratch = SCRATCH.get();
            for (int panel = firstPanel; panel < lastPanel; panel += blockPanels) {
                int j0 = panel * NR;
                int nc = Math.min(Math.min(lastPanel - panel, blockPanels) * NR, n - j0);
                for (int pc = 0; pc < k; pc += config.kc()) {
                    int kc = Math.min(config.kc(), k - pc);
                    float[] packedB = prepacked;
                    int packedOff = pc * colPanels * NR + panel * kc * NR;
                    if (prepacked == null) {
                        packedB = scratch.packedB(((nc + NR - 1) / NR) * kc * NR);
                        packedOff = 0;
                        for (int p = 0; p * NR < nc; p++) {
                            packB(transB, b, bOff, ldb, pc, kc, j0, nc, p, packedB, 0);
                        }
                    }
                    block(transA, readAInPlace, a, aOff, lda, i0, i1, pc, kc, packedB, packedOff, nc, alpha,
                            pc == 0 ? beta : 1f, c, cOff + j0, ldc, epilogue && pc + kc == k,
                            bias, biasOff + j0, act, scratch);
                }
            }
        });
    }

    /**
     * The packed form of op(B) for {@link #gemmPacked}: for each depth block {@code pc} (step {@code kc}),
     * every {@code NR}-wide micro-panel of all {@code n} columns in order, as {@link #packB} writes them, at
     * {@code pc * panels * NR + panel * kcCur * NR}. So a product over any column range finds its panels
     * without repacking.
     */
    @Override
    public float[] packB(boolean transB, int k, int n, float[] b, int bOff, int ldb, float[] into) {
        int panels = (n + NR - 1) / NR;
        int size = Math.multiplyExact(k, panels * NR);
        float[] packed = into != null && into.length == size ? into : new float[size];
        for (int pc = 0; pc < k; pc += config.kc()) {
            int kc = Math.min(config.kc(), k - pc);
            for (int p = 0; p < panels; p++) {
                packB(transB, b, bOff, ldb, pc, kc, 0, n, p, packed, pc * panels * NR);
            }
        }
        return packed;
    }

    /**
     * {@link #gemmPacked} for one row of A: a matrix-vector product in the "axpy form", which the packed
     * layout (k-major micro-panels) makes a contiguous stream. Four micro-panels at a time, their
     * {@code 2 * 4} accumulators held in registers over the whole depth; each depth step is one broadcast of
     * {@code x[p]} and eight loads and fused multiply-adds. Unlike the dot form ({@link #dotRows}) nothing
     * is reduced across lanes, and unlike the micro-kernel no padding rows are computed (it would do
     * {@code mr} times the work for one row). Measured on GPT generation (Zen 5, 512-bit, rows of 256 and
     * 1024): see docs/sequence-models.md. One thread: a batch-1 layer is too small to fork for (see
     * {@link #gemv}). Each output is one fused multiply-add per depth step in depth order, then the merge
     * and bias of the general path.
     */
    private void gemvPacked(int n, int k, float alpha, float[] x, int xOff, float[] packed,
                            float beta, float[] y, int yOff, float[] bias, int biasOff, Scratch scratch) {
        final int colPanels = (n + NR - 1) / NR;
        final int kcMax = config.kc();
        final float[] tile = scratch.tile;
        int panel = 0;
        for (; panel + 4 <= colPanels; panel += 4) {
            FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00;
            FloatVector c20 = c00, c21 = c00, c30 = c00, c31 = c00;
            for (int pc = 0; pc < k; pc += kcMax) {
                int kc = Math.min(kcMax, k - pc);
                int b0 = pc * colPanels * NR + panel * kc * NR;
                int b1 = b0 + kc * NR, b2 = b1 + kc * NR, b3 = b2 + kc * NR;
                int xi = xOff + pc;
                for (int p = 0, o = 0; p < kc; p++, o += NR) {
                    FloatVector xp = FloatVector.broadcast(S, x[xi + p]);
                    c00 = FloatVector.fromArray(S, packed, b0 + o).fma(xp, c00);
                    c01 = FloatVector.fromArray(S, packed, b0 + o + V).fma(xp, c01);
                    c10 = FloatVector.fromArray(S, packed, b1 + o).fma(xp, c10);
                    c11 = FloatVector.fromArray(S, packed, b1 + o + V).fma(xp, c11);
                    c20 = FloatVector.fromArray(S, packed, b2 + o).fma(xp, c20);
                    c21 = FloatVector.fromArray(S, packed, b2 + o + V).fma(xp, c21);
                    c30 = FloatVector.fromArray(S, packed, b3 + o).fma(xp, c30);
                    c31 = FloatVector.fromArray(S, packed, b3 + o + V).fma(xp, c31);
                }
            }
            c00.intoArray(tile, 0);
            c01.intoArray(tile, V);
            c10.intoArray(tile, 2 * V);
            c11.intoArray(tile, 3 * V);
            c20.intoArray(tile, 4 * V);
            c21.intoArray(tile, 5 * V);
            c30.intoArray(tile, 6 * V);
            c31.intoArray(tile, 7 * V);
            mergeOutputs(tile, panel * NR, Math.min(4 * NR, n - panel * NR), alpha, beta, y, yOff, bias, biasOff,
                    scratch);
        }
        for (; panel < colPanels; panel++) {
            FloatVector c0 = FloatVector.zero(S), c1 = c0;
            for (int pc = 0; pc < k; pc += kcMax) {
                int kc = Math.min(kcMax, k - pc);
                int b0 = pc * colPanels * NR + panel * kc * NR;
                int xi = xOff + pc;
                for (int p = 0, o = 0; p < kc; p++, o += NR) {
                    FloatVector xp = FloatVector.broadcast(S, x[xi + p]);
                    c0 = FloatVector.fromArray(S, packed, b0 + o).fma(xp, c0);
                    c1 = FloatVector.fromArray(S, packed, b0 + o + V).fma(xp, c1);
                }
            }
            c0.intoArray(tile, 0);
            c1.intoArray(tile, V);
            mergeOutputs(tile, panel * NR, Math.min(NR, n - panel * NR), alpha, beta, y, yOff, bias, biasOff,
                    scratch);
        }
    }

    /** {@code y[j0 + j] = alpha * sums[j] + beta * y[j0 + j] (+ bias)} for {@code j < width}: the general path's merge. */
    private static void mergeOutputs(float[] sums, int j0, int width, float alpha, float beta, float[] y, int yOff,
                                     float[] bias, int biasOff, Scratch scratch) {
        mergeTile(sums, 1, width, alpha, beta, y, yOff + j0, width);
        if (bias != null) {
            biasActivation(y, yOff + j0, width, bias, biasOff + j0, Activation.IDENTITY, scratch.tail);
        }
    }

    /**
     * {@link #gemm} for row-major A, with B already packed by {@link #packB}: the same tasks, blocks and
     * micro-kernel calls, so the same bits, without packing B on every call.
     */
    @Override
    public void gemmPacked(int m, int n, int k, float alpha, float[] a, int aOff, int lda, float[] packed,
                           float beta, float[] c, int cOff, int ldc, float[] bias, int biasOff) {
        if (m == 1) {
            gemvPacked(n, k, alpha, a, aOff, packed, beta, c, cOff, bias, biasOff, SCRATCH.get());
            return;
        }
        multiply(false, false, m, n, k, alpha, a, aOff, lda, null, 0, 0, packed, beta, c, cOff, ldc, bias, biasOff,
                Activation.IDENTITY);
    }

    /** Fewest columns a column task of a large product gets: narrower ones re-copy A for too few B panels. */
    private static final int MIN_TASK_COLUMNS = 256;

    /**
     * Column chunks of at most nc columns, at least one per thread. Small products get about four per thread,
     * so the caller starts at once and the threads even out; large ones keep chunks wide, because each chunk
     * copies its own micro-panels of A. A large product whose columns would give chunks narrower than
     * {@link #MIN_TASK_COLUMNS} (tall and narrow C, as {@code x W^T} with few outputs: GPT's 2048 x 256
     * projections) is split by rows instead, so each thread sweeps every A panel it copies across all columns.
     */
    private static int colTasks(boolean parallel, int m, int n, int k, int colPanels, int blockPanels, int perThread) {
        int tasks = Math.min(colPanels, Math.max((colPanels + blockPanels - 1) / blockPanels, perThread));
        if (parallel && (long) m * n * k >= FINE_SPLIT_MAX_WORK) {
            int minPanels = Math.max(1, Math.min(blockPanels, MIN_TASK_COLUMNS / NR));
            int narrowed = Math.max((colPanels + blockPanels - 1) / blockPanels, Math.min(tasks, colPanels / minPanels));
            if (narrowed >= 1 && perThread % narrowed == 0) { // the row split then still gives every thread a task
                tasks = narrowed;
            }
        }
        return tasks;
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

    /**
     * Micro-panels of a transposed A copied together by {@link #packPanelsA}: 16 panels of 8 rows (AVX-512)
     * read 512 contiguous bytes of A per depth step. One panel at a time read 32 bytes from each of {@code kc}
     * rows of A, which are far apart (as long as C is tall), so nearly every step touched a new cache line and
     * page, and weight gradients {@code dY^T X} ran 8-30 % slower than the same products with row-major A
     * (docs/gemm.md has the figures). 4 to 32 panels measured alike.
     */
    private static final int PANELS_PER_A_COPY = 16;

    /**
     * Rows {@code [i0, i1)} of C times one packed block of B ({@code kc x nc}, columns from {@code c[cCol]}):
     * each micro-panel of A is read in place (or copied, see {@link #packPanelA} and {@link #packPanelsA}) and
     * swept across the block.
     */
    private void block(boolean transA, boolean readAInPlace, float[] a, int aOff, int lda,
                       int i0, int i1, int pc, int kc, float[] packedB, int pbOff, int nc,
                       float alpha, float beta, float[] c, int cCol, int ldc,
                       boolean epilogue, float[] bias, int biasCol, Activation act, Scratch scratch) {
        final int mr = config.mr();
        final int panelStride = mr * kc + V; // V of slack: see packPanelsA
        // A read in place copies only a short last panel: room for one, not 16 (130-200 KB per thread)
        final int copiedPanels = transA && !readAInPlace ? PANELS_PER_A_COPY : 1;
        final float[] copyOfA = scratch.panelA(copiedPanels * panelStride);
        for (int i = i0; i < i1; i += mr) {
            int mrCur = Math.min(mr, i1 - i);
            float[] panelA;
            int ai, rs, ks;
            if (readAInPlace && mrCur == mr) {
                panelA = a;
                ai = transA ? aOff + pc * lda + i : aOff + i * lda + pc;
                rs = transA ? 1 : lda;
                ks = transA ? lda : 1;
            } else if (transA) { // runs of mr: the panels of a copied A come in groups, a short last panel alone
                int copied = ((i - i0) / mr) % copiedPanels;
                if (copied == 0) {
                    packPanelsA(a, aOff, lda, i, Math.min(copiedPanels * mr, i1 - i), pc, kc, mr, panelStride, copyOfA);
                }
                panelA = copyOfA;
                ai = copied * panelStride;
                rs = 1;
                ks = mr;
            } else { // whole rows
                packPanelA(a, aOff, lda, i, mrCur, pc, kc, mr, copyOfA);
                panelA = copyOfA;
                ai = 0;
                rs = kc;
                ks = 1;
            }
            for (int j = 0; j < nc; j += NR) {
                int nrCur = Math.min(NR, nc - j);
                int ci = cCol + i * ldc + j;
                boolean full = mrCur == mr && nrCur == NR;
                if (alpha == 1f && beta == 0f && full) { // nothing to merge
                    MicroKernels.run(mr, kc, panelA, ai, rs, ks, packedB, pbOff + j * kc, c, ci, ldc);
                } else if (alpha == 1f && beta == 1f && full) { // C += A*B (every depth block after the first):
                    // the merge's bits, without the pass through the tile (a tenth of a weight gradient 1024 x 320 x 1600)
                    MicroKernels.runAdd(mr, kc, panelA, ai, rs, ks, packedB, pbOff + j * kc, c, ci, ldc);
                } else {
                    MicroKernels.run(mr, kc, panelA, ai, rs, ks, packedB, pbOff + j * kc, scratch.tile, 0, NR);
                    mergeTile(scratch.tile, mrCur, nrCur, alpha, beta, c, ci, ldc);
                }
            }
            if (epilogue) { // once per row of the panel across the block, while it is in cache; per tile row, the
                // calls cost about a tenth of a 16-row product (an LSTM step: 512 calls of 32 floats each)
                for (int r = 0; r < mrCur; r++) {
                    biasActivation(c, cCol + (i + r) * ldc, nc, bias, biasCol, act, scratch.tail);
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
                              int jc, int nc, int panel, float[] dst, int dstOff) {
        int j0 = panel * NR;
        int width = Math.min(NR, nc - j0);
        int d = dstOff + panel * kc * NR;
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
        } else if (width == NR && TransposeKernels.SUPPORTED) {
            // op(B)(p, j) = b[j * ldb + p]: transpose V x V blocks in registers, two per V steps
            int src = bOff + (jc + j0) * ldb + pc;
            int p = 0;
            for (; p + V <= kc; p += V) {
                transposeBlock(b, src + p, ldb, dst, d + p * NR);
                transposeBlock(b, src + V * ldb + p, ldb, dst, d + p * NR + V);
            }
            for (; p < kc; p++) {
                for (int jj = 0; jj < NR; jj++) {
                    dst[d + p * NR + jj] = b[src + jj * ldb + p];
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

    /** One V x V transpose for the preferred vector length (8 or 16 lanes; see TransposeKernels). */
    private static void transposeBlock(float[] b, int src, int ldb, float[] dst, int d) {
        if (V == 16) {
            TransposeKernels.transpose16(b, src, ldb, dst, d);
        } else {
            TransposeKernels.transpose8(b, src, ldb, dst, d);
        }
    }

    /**
     * Copies the micro-panel of row-major A with rows {@code i .. i+height} and depth {@code pc .. pc+kc} into
     * {@code dst} as whole rows of {@code kc} floats (one block copy per row, nearly free), zero-padded to
     * {@code mr} rows.
     */
    private static void packPanelA(float[] a, int aOff, int lda, int i, int height, int pc, int kc, int mr,
                                   float[] dst) {
        for (int r = 0; r < mr; r++) {
            if (r < height) {
                System.arraycopy(a, aOff + (i + r) * lda + pc, dst, r * kc, kc);
            } else {
                java.util.Arrays.fill(dst, r * kc, (r + 1) * kc, 0f);
            }
        }
    }

    /**
     * Copies the micro-panels of transposed A with rows {@code i .. i+height} (several panels, the last one
     * possibly short and zero-padded to {@code mr} rows) and depth {@code pc .. pc+kc} into {@code dst}, panel
     * after panel {@code stride} floats apart, each as {@code kc} runs of {@code mr} floats. Depth step by depth
     * step, so each step reads one contiguous run of {@code height} floats of A. Full panels copy each run as
     * one whole vector, in increasing depth order: the lanes past {@code mr} land where the panel's next run
     * goes (or, after its last, in the slack between {@code mr * kc} and {@code stride}) and are overwritten.
     * Whole vectors are only read while they stay inside {@code a}; a call of {@code System.arraycopy} per run
     * of 8 floats cost as much as the products on a weight gradient {@code dY^T X} with 64 columns.
     */
    private static void packPanelsA(float[] a, int aOff, int lda, int i, int height, int pc, int kc, int mr,
                                    int stride, float[] dst) {
        int full = mr <= V ? height / mr : 0; // panels copied by whole vectors
        int src = aOff + pc * lda + i;
        int vectorSteps = 0;
        if (full > 0) {
            long room = (long) a.length - V - (src + (full - 1) * mr); // the step's last whole vector fits up to here
            vectorSteps = room < 0 ? 0 : (int) Math.min(kc, room / Math.max(1, lda) + 1);
        }
        for (int p = 0; p < kc; p++, src += lda) {
            int q = 0, d = p * mr;
            if (p < vectorSteps) {
                for (; q < full; q++, d += stride) {
                    FloatVector.fromArray(S, a, src + q * mr).intoArray(dst, d);
                }
            }
            for (; q * mr < height; q++, d += stride) {
                int rows = Math.min(mr, height - q * mr);
                System.arraycopy(a, src + q * mr, dst, d, rows);
                if (rows < mr) {
                    java.util.Arrays.fill(dst, d + rows, d + mr, 0f);
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
     *
     * <p>No epilogue passes a vector to a call: a vector handed to a method that C2 does not inline is boxed.
     * With the activation as a variable, a JVM that has run many shapes and activations compiles
     * {@code VectorMath.activate} on its own, into code too big to inline later, and a loop calling it then
     * boxed every vector (9.6 KB per call of a batch-1 MLP, found by an allocation test that ran after other
     * tests). So identity and ReLU have loops of their own, and the other activations run the array kernels.
     */
    private static void biasActivation(float[] v, int off, int len, float[] bias, int biasOff,
                                       Activation act, float[] tail) {
        switch (act) {
            case IDENTITY -> addBias(v, off, len, bias, biasOff);
            case RELU -> addBiasRelu(v, off, len, bias, biasOff, tail);
            default -> addBiasActivate(v, off, len, bias, biasOff, act);
        }
    }

    private static void addBias(float[] v, int off, int len, float[] bias, int biasOff) {
        if (bias == null) {
            return;
        }
        int i = 0;
        for (int bound = S.loopBound(len); i < bound; i += V) {
            FloatVector.fromArray(S, v, off + i).add(FloatVector.fromArray(S, bias, biasOff + i)).intoArray(v, off + i);
        }
        for (; i < len; i++) {
            v[off + i] += bias[biasOff + i]; // one rounding, as the vector add
        }
    }

    private static void addBiasRelu(float[] v, int off, int len, float[] bias, int biasOff, float[] tail) {
        int i = 0;
        for (int bound = S.loopBound(len); i < bound; i += V) {
            FloatVector x = FloatVector.fromArray(S, v, off + i);
            if (bias != null) {
                x = x.add(FloatVector.fromArray(S, bias, biasOff + i));
            }
            x.max(0f).intoArray(v, off + i);
        }
        int rest = len - i;
        if (rest > 0) {
            padTail(v, off + i, rest, bias, biasOff + i, tail);
            FloatVector.fromArray(S, tail, 0).max(0f).intoArray(tail, 0); // VectorMath.relu, NaN kept
            System.arraycopy(tail, 0, v, off + i, rest);
        }
    }

    /**
     * The bias, then the activation in place through the array kernels of {@link VectorActivations}, each a
     * small loop of its own activation that C2 compiles with the math inlined: no vector crosses a call here.
     * Those kernels treat the tail with a masked vector, lane for lane the arithmetic of the padded tail.
     */
    private static void addBiasActivate(float[] v, int off, int len, float[] bias, int biasOff, Activation act) {
        addBias(v, off, len, bias, biasOff);
        switch (act) {
            case GELU -> VectorActivations.gelu(len, false, v, off, v, off);
            case SILU -> VectorActivations.silu(len, v, off, v, off);
            case TANH -> VectorActivations.tanh(len, v, off, v, off);
            case SIGMOID -> VectorActivations.sigmoid(len, v, off, v, off);
            default -> throw new IllegalStateException("epilogue for " + act + " has a loop of its own");
        }
    }

    /** {@code tail = v + bias} over {@code rest < V} floats, zero-padded to a whole vector. */
    private static void padTail(float[] v, int at, int rest, float[] bias, int biasAt, float[] tail) {
        for (int t = 0; t < V; t++) {
            tail[t] = t < rest ? (bias == null ? v[at + t] : v[at + t] + bias[biasAt + t]) : 0f;
        }
    }

    // ----------------------------------------------------------------------------------------------- GEMV

    @Override
    public void gemv(boolean trans, int rows, int cols, float alpha, float[] a, int aOff, int lda,
                     float[] x, int xOff, float beta, float[] y, int yOff) {
        boolean parallel = Threads.count() > 1 && !Threads.inTask() && (long) rows * cols >= PARALLEL_MIN_WORK / 4;
        int outputs = trans ? cols : rows;
        // Tiles of GEMV_TILE outputs (the trans path's L1 scratch row). Splitting a 512-output layer between two
        // threads was measured slower at batch 1 (69 vs 45 us for a 784-512-256-10 MLP): the fork and join
        // cost more than half a layer's streaming, and the tasks allocate.
        int tiles = (outputs + GEMV_TILE - 1) / GEMV_TILE;
        if (!trans) {
            forEach(parallel, tiles, tile -> {
                int from = tile * GEMV_TILE;
                dotRows(from, Math.min(rows, from + GEMV_TILE), cols, alpha, a, aOff, lda, x, xOff, beta, y, yOff,
                        SCRATCH.get().rowSums);
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
                                float[] x, int xOff, float beta, float[] y, int yOff, float[] rowSums) {
        int i = from;
        for (; i + 4 <= to; i += 4) {
            dot4(cols, alpha, a, aOff + i * lda, lda, x, xOff, beta, y, yOff + i, rowSums);
        }
        for (; i < to; i++) {
            y[yOff + i] = ScalarGemm.combine(alpha, dot(cols, a, aOff + i * lda, x, xOff, rowSums), beta, y[yOff + i]);
        }
    }

    /**
     * One dot product with two accumulators (even and odd vector steps) and a scalar tail; {@link #dot4}
     * does exactly the same arithmetic for four rows at once, so a row's result does not depend on grouping.
     */
    private static float dot(int len, float[] a, int ai, float[] x, int xi, float[] rowSums) {
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
        s0.add(s1).intoArray(rowSums, 0);
        float sum = VectorMath.sumLanes(rowSums, 0);
        for (; p < len; p++) {
            sum = Math.fma(a[ai + p], x[xi + p], sum);
        }
        return sum;
    }

    private static void dot4(int len, float alpha, float[] a, int ai, int lda, float[] x, int xi,
                             float beta, float[] y, int yi, float[] rowSums) {
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
        // The four lane sums go through memory: see VectorMath.sumLanes(float[], int) for why.
        s00.add(s01).intoArray(rowSums, 0);
        s10.add(s11).intoArray(rowSums, V);
        s20.add(s21).intoArray(rowSums, 2 * V);
        s30.add(s31).intoArray(rowSums, 3 * V);
        float t0 = VectorMath.sumLanes(rowSums, 0);
        float t1 = VectorMath.sumLanes(rowSums, V);
        float t2 = VectorMath.sumLanes(rowSums, 2 * V);
        float t3 = VectorMath.sumLanes(rowSums, 3 * V);
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
