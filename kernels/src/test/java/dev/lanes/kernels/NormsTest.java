package dev.lanes.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.lanes.kernels.ops.ScalarNorms;
import dev.lanes.kernels.ops.VectorNorms;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * {@link Norms}: the vector kernels against their scalar twins, the front end against a double-precision
 * reference written here, every backward against finite differences, PyTorch fixtures, thread-count
 * independence and argument checks.
 *
 * <p>Error measure: for an output {@code got} and a reference {@code want} (arrays), each element must satisfy
 * {@code |got - want| <= tol * (|want| + rms(want))}, {@code rms} over the whole array, so that elements
 * near zero are judged against the array's scale. Two additions: input gradients use
 * {@code max(rms(want), rms(rstd * gamma * dy))} as the scale, since their terms cancel completely for a row
 * of one value or a channel of two; normalized outputs may also be off by {@code 4 u |mean| rstd |gamma|},
 * the inherent effect of the mean being a float (large only when {@code |mean|} dwarfs the spread; PyTorch's
 * kernels share it). Tolerances, with {@code u = 2^-24} (float's unit roundoff) and {@code n} the length of
 * the sums involved:
 * <ul>
 *   <li>vector kernel vs scalar twin, and front end vs double reference:
 *       {@code tol = 16 u (1 + sqrt(n))}, {@code n} the row length (plus {@code sqrt(rows)} for parameter
 *       gradients) or the values per channel (float sums in vector accumulators have errors growing like
 *       {@code sqrt(n) u} for random data; the scalar twin and the reference are double-accurate). The
 *       reference backward uses the kernel's saved statistics, as PyTorch's backward does;</li>
 *   <li>PyTorch fixtures: {@code tol = 1e-6} (both sides are float32 kernels; the sizes are small);</li>
 *   <li>finite differences: the central difference of {@code f = sum(y * w)} along a random direction,
 *       step 1e-2 of the data's scale, must match the analytic directional derivative to 1e-3 relative
 *       (the truncation error is about 1e-4, the float rounding noise about 1e-5; a 1% error in one term
 *       of a gradient fails it).</li>
 * </ul>
 * The worst errors seen are printed after the tests.
 */
class NormsTest {
    private static final double U = 0x1p-24;
    private static final int[] SIZES = {0, 1, 3, 15, 16, 17, 33, 100, 1024};
    private static final Map<String, Double> WORST = new TreeMap<>();

    @AfterAll
    static void report() {
        StringBuilder b = new StringBuilder("NormsTest worst relative error |got - want| / (|want| + rms(want)) by check:\n");
        WORST.forEach((k, v) -> b.append(String.format("  %-40s %.3e%n", k, v)));
        System.out.print(b);
    }

    // ======================================================================= vector vs scalar twin

    @Test
    void rowNormsVectorMatchesScalar() {
        SplittableRandom rnd = new SplittableRandom(11);
        // Each row count meets three column counts and vice versa, all of SIZES on both sides (26 shapes:
        // 1024 x 1024 is left out for time).
        int shapes = 0;
        for (int ri = 0; ri < SIZES.length; ri++) {
            for (int ci = ri % 3; ci < SIZES.length; ci += 3) {
                int rows = SIZES[ri], cols = SIZES[ci];
                if (rows * cols > 110_000) {
                    continue;
                }
                shapes++;
                RowCase c = new RowCase(rnd, rows, cols, 3.0);
                boolean hasGamma = rnd.nextInt(4) != 0, hasBeta = rnd.nextInt(4) != 0;
                float[] g = hasGamma ? c.gamma : null, b = hasBeta ? c.beta : null;
                double tolCols = 16 * U * (1 + Math.sqrt(cols));
                double tolRows = 16 * U * (1 + Math.sqrt(rows) + Math.sqrt(cols));
                String shape = " " + rows + "x" + cols;
                float eps = 1e-5f;

                // LayerNorm forward
                RowOut v = c.out(), s = c.out();
                VectorNorms.layerNorm(rows, cols, c.x, c.xo, g, c.go, b, c.bo, eps, v.y, v.yo, v.mean, v.so, v.rstd, v.so);
                ScalarNorms.layerNorm(rows, cols, c.x, c.xo, g, c.go, b, c.bo, eps, s.y, s.yo, s.mean, s.so, s.rstd, s.so);
                check("twin layerNorm y" + shape, v.y, v.yo, toDouble(s.y, s.yo, rows * cols), tolCols, 0,
                        meanSlack(true, rows, cols, 1, s.mean, s.so, s.rstd, s.so, g, c.go));
                check("twin layerNorm mean" + shape, v.mean, v.so, s.mean, s.so, rows, tolCols);
                check("twin layerNorm rstd" + shape, v.rstd, v.so, s.rstd, s.so, rows, tolCols);
                assertUntouchedOutside(v.y, v.yo, rows * cols);

                // addLayerNorm: the sum is exact, the rest as layerNorm
                RowOut va = c.out(), sa = c.out();
                VectorNorms.addLayerNorm(rows, cols, c.x, c.xo, c.res, c.ro, va.sum, va.yo, g, c.go, b, c.bo, eps,
                        va.y, va.yo, va.mean, va.so, va.rstd, va.so);
                ScalarNorms.addLayerNorm(rows, cols, c.x, c.xo, c.res, c.ro, sa.sum, sa.yo, g, c.go, b, c.bo, eps,
                        sa.y, sa.yo, sa.mean, sa.so, sa.rstd, sa.so);
                assertArrayEquals(Arrays.copyOfRange(sa.sum, sa.yo, sa.yo + rows * cols),
                        Arrays.copyOfRange(va.sum, va.yo, va.yo + rows * cols), "addLayerNorm sum" + shape);
                check("twin addLayerNorm y" + shape, va.y, va.yo, toDouble(sa.y, sa.yo, rows * cols), tolCols, 0,
                        meanSlack(true, rows, cols, 1, sa.mean, sa.so, sa.rstd, sa.so, g, c.go));
                check("twin addLayerNorm rstd" + shape, va.rstd, va.so, sa.rstd, sa.so, rows, tolCols);

                // LayerNorm backward from the scalar forward's statistics; every null pattern of the outputs
                // All outputs, and two of the other seven null patterns in turn (each is met several times).
                for (int pattern : new int[] {7, shapes % 7, (shapes + 3) % 7}) {
                    boolean wantDx = (pattern & 1) != 0, wantDg = (pattern & 2) != 0, wantDb = (pattern & 4) != 0;
                    Grads gv = c.grads(rnd), gs = c.grads(rnd);
                    VectorNorms.layerNormBackward(rows, cols, c.x, c.xo, g, c.go, s.mean, s.so, s.rstd, s.so, c.dy, c.dyo,
                            wantDx ? gv.dx : null, gv.dxo, wantDg ? gv.dg : null, gv.po, wantDb ? gv.db : null, gv.po);
                    ScalarNorms.layerNormBackward(rows, cols, c.x, c.xo, g, c.go, s.mean, s.so, s.rstd, s.so, c.dy, c.dyo,
                            wantDx ? gs.dx : null, gs.dxo, wantDg ? gs.dg : null, gs.po, wantDb ? gs.db : null, gs.po);
                    if (wantDx) {
                        check("twin layerNormBackward dx" + shape, gv.dx, gv.dxo, gs.dx, gs.dxo, rows * cols, tolCols,
                                gradScale(true, rows, cols, 1, s.rstd, s.so, g, c.go, c.dy, c.dyo));
                    }
                    if (wantDg) {
                        check("twin layerNormBackward dgamma" + shape, gv.dg, gv.po, gs.dg, gs.po, cols, tolRows);
                    }
                    if (wantDb) {
                        check("twin layerNormBackward dbeta" + shape, gv.db, gv.po, gs.db, gs.po, cols, tolRows);
                    }
                }

                // RMSNorm forward, fused add, backward
                RowOut rv = c.out(), rs = c.out();
                VectorNorms.rmsNorm(rows, cols, c.x, c.xo, g, c.go, eps, rv.y, rv.yo, rv.rstd, rv.so);
                ScalarNorms.rmsNorm(rows, cols, c.x, c.xo, g, c.go, eps, rs.y, rs.yo, rs.rstd, rs.so);
                check("twin rmsNorm y" + shape, rv.y, rv.yo, rs.y, rs.yo, rows * cols, tolCols);
                check("twin rmsNorm rstd" + shape, rv.rstd, rv.so, rs.rstd, rs.so, rows, tolCols);
                RowOut rva = c.out(), rsa = c.out();
                VectorNorms.addRmsNorm(rows, cols, c.x, c.xo, c.res, c.ro, rva.sum, rva.yo, g, c.go, eps,
                        rva.y, rva.yo, rva.rstd, rva.so);
                ScalarNorms.addRmsNorm(rows, cols, c.x, c.xo, c.res, c.ro, rsa.sum, rsa.yo, g, c.go, eps,
                        rsa.y, rsa.yo, rsa.rstd, rsa.so);
                assertArrayEquals(Arrays.copyOfRange(rsa.sum, rsa.yo, rsa.yo + rows * cols),
                        Arrays.copyOfRange(rva.sum, rva.yo, rva.yo + rows * cols), "addRmsNorm sum" + shape);
                check("twin addRmsNorm y" + shape, rva.y, rva.yo, rsa.y, rsa.yo, rows * cols, tolCols);
                for (int pattern : new int[] {3, shapes % 3}) {
                    boolean wantDx = (pattern & 1) != 0, wantDg = (pattern & 2) != 0;
                    Grads gv = c.grads(rnd), gs = c.grads(rnd);
                    VectorNorms.rmsNormBackward(rows, cols, c.x, c.xo, g, c.go, rs.rstd, rs.so, c.dy, c.dyo,
                            wantDx ? gv.dx : null, gv.dxo, wantDg ? gv.dg : null, gv.po);
                    ScalarNorms.rmsNormBackward(rows, cols, c.x, c.xo, g, c.go, rs.rstd, rs.so, c.dy, c.dyo,
                            wantDx ? gs.dx : null, gs.dxo, wantDg ? gs.dg : null, gs.po);
                    if (wantDx) {
                        check("twin rmsNormBackward dx" + shape, gv.dx, gv.dxo, gs.dx, gs.dxo, rows * cols, tolCols,
                                gradScale(true, rows, cols, 1, rs.rstd, rs.so, g, c.go, c.dy, c.dyo));
                    }
                    if (wantDg) {
                        check("twin rmsNormBackward dgamma" + shape, gv.dg, gv.po, gs.dg, gs.po, cols, tolRows);
                    }
                }
            }
        }
    }

    private static final int[][] BATCH_SHAPES = {
        {2, 1, 1}, {3, 5, 1}, {16, 17, 1}, {100, 33, 1}, {64, 100, 1}, {17, 2, 1}, {1024, 3, 1}, {5, 0, 1},
        {1, 3, 16}, {7, 3, 5}, {4, 16, 17}, {2, 33, 49}, {5, 4, 3}, {8, 16, 196}, {3, 2, 1024}, {4, 0, 3}, {2, 5, 2},
    };

    @Test
    void batchNormVectorMatchesScalar() {
        SplittableRandom rnd = new SplittableRandom(12);
        for (int[] shape : BATCH_SHAPES) {
            int batch = shape[0], channels = shape[1], spatial = shape[2];
            BatchCase c = new BatchCase(rnd, batch, channels, spatial, 2.0);
            int n = batch * channels * spatial, count = batch * spatial;
            String name = " " + batch + "x" + channels + "x" + spatial;
            double tol = 16 * U * (1 + Math.sqrt(count));
            boolean affine = rnd.nextBoolean();
            float[] g = affine ? c.gamma : null, b = affine ? c.beta : null;
            float eps = 1e-5f, momentum = 0.1f;

            BatchOut v = c.out(), s = c.out();
            VectorNorms.batchNormTraining(batch, channels, spatial, 0, channels, c.x, c.xo, g, c.po, b, c.po, eps, momentum,
                    v.rm, v.po, v.rv, v.po, v.y, v.yo, v.sm, v.po, v.sr, v.po);
            ScalarNorms.batchNormTraining(batch, channels, spatial, 0, channels, c.x, c.xo, g, c.po, b, c.po, eps, momentum,
                    s.rm, s.po, s.rv, s.po, s.y, s.yo, s.sm, s.po, s.sr, s.po);
            check("twin batchNormTraining y" + name, v.y, v.yo, toDouble(s.y, s.yo, n), tol, 0,
                    meanSlack(false, batch, channels, spatial, s.sm, s.po, s.sr, s.po, g, c.po));
            check("twin batchNormTraining saveMean" + name, v.sm, v.po, s.sm, s.po, channels, tol);
            check("twin batchNormTraining saveRstd" + name, v.sr, v.po, s.sr, s.po, channels, tol);
            check("twin batchNormTraining runningMean" + name, v.rm, v.po, s.rm, s.po, channels, tol);
            check("twin batchNormTraining runningVar" + name, v.rv, v.po, s.rv, s.po, channels, tol);
            assertUntouchedOutside(v.y, v.yo, n);

            BatchOut vi = c.out(), si = c.out();
            VectorNorms.batchNormInference(batch, channels, spatial, c.x, c.xo, g, c.po, b, c.po, c.rm, c.po, c.rv, c.po,
                    eps, vi.y, vi.yo);
            ScalarNorms.batchNormInference(batch, channels, spatial, c.x, c.xo, g, c.po, b, c.po, c.rm, c.po, c.rv, c.po,
                    eps, si.y, si.yo);
            check("twin batchNormInference y" + name, vi.y, vi.yo, si.y, si.yo, n, 16 * U);

            for (int pattern = 0; pattern < 8; pattern++) {
                boolean wantDx = (pattern & 1) != 0, wantDg = (pattern & 2) != 0, wantDb = (pattern & 4) != 0;
                BatchOut gv = c.out(), gs = c.out();
                VectorNorms.batchNormBackward(batch, channels, spatial, 0, channels, c.x, c.xo, g, c.po, s.sm, s.po, s.sr, s.po,
                        c.dy, c.xo, wantDx ? gv.y : null, gv.yo, wantDg ? gv.rm : null, gv.po, wantDb ? gv.rv : null, gv.po);
                ScalarNorms.batchNormBackward(batch, channels, spatial, 0, channels, c.x, c.xo, g, c.po, s.sm, s.po, s.sr, s.po,
                        c.dy, c.xo, wantDx ? gs.y : null, gs.yo, wantDg ? gs.rm : null, gs.po, wantDb ? gs.rv : null, gs.po);
                check("twin batchNormBackward dx" + name, gv.y, gv.yo, gs.y, gs.yo, n, tol,
                        gradScale(false, batch, channels, spatial, s.sr, s.po, g, c.po, c.dy, c.xo));
                check("twin batchNormBackward dgamma" + name, gv.rm, gv.po, gs.rm, gs.po, channels, tol);
                check("twin batchNormBackward dbeta" + name, gv.rv, gv.po, gs.rv, gs.po, channels, tol);
            }
        }
    }

    // ======================================================================= double reference

    @Test
    void rowNormsMatchDoubleReference() {
        SplittableRandom rnd = new SplittableRandom(21);
        int[][] shapes = {{1, 1}, {3, 17}, {15, 33}, {16, 100}, {5, 1024}, {100, 16}, {7, 3}};
        for (int[] sh : shapes) {
            int rows = sh[0], cols = sh[1];
            for (double shift : new double[] {0.0, 50.0}) { // a large mean checks the two-pass variance
                RowCase c = new RowCase(rnd, rows, cols, shift);
                String name = " " + rows + "x" + cols + " shift " + shift;
                double tol = 16 * U * (1 + Math.sqrt(cols));
                double tolSum = 16 * U * (1 + Math.sqrt(rows) + Math.sqrt(cols));
                float eps = 1e-5f;
                float[] x = c.xs(), gamma = c.gammas(), beta = c.betas(), dy = c.dys(), res = c.ress();

                // LayerNorm: forward, backward (from the kernel's saved statistics), all in one front-end pass
                RowOut o = c.out();
                Norms.layerNorm(rows, cols, c.x, c.xo, c.gamma, c.go, c.beta, c.bo, eps, o.y, o.yo, o.mean, o.so, o.rstd, o.so);
                RefRows ref = refLayerNorm(rows, cols, x, gamma, beta, eps, dy,
                        Arrays.copyOfRange(o.mean, o.so, o.so + rows), Arrays.copyOfRange(o.rstd, o.so, o.so + rows));
                check("ref layerNorm y", o.y, o.yo, ref.y, tol, 0,
                        meanSlack(true, rows, cols, 1, o.mean, o.so, o.rstd, o.so, c.gamma, c.go));
                check("ref layerNorm mean", o.mean, o.so, ref.mean, tol);
                check("ref layerNorm rstd", o.rstd, o.so, ref.rstd, tol);
                Grads gr = c.grads(rnd);
                Norms.layerNormBackward(rows, cols, c.x, c.xo, c.gamma, c.go, o.mean, o.so, o.rstd, o.so, c.dy, c.dyo,
                        gr.dx, gr.dxo, gr.dg, gr.po, gr.db, gr.po);
                check("ref layerNormBackward dx" + name, gr.dx, gr.dxo, ref.dx, tol,
                        gradScale(true, rows, cols, 1, o.rstd, o.so, c.gamma, c.go, c.dy, c.dyo));
                check("ref layerNormBackward dgamma" + name, gr.dg, gr.po, ref.dgamma, tolSum);
                check("ref layerNormBackward dbeta" + name, gr.db, gr.po, ref.dbeta, tolSum);

                // addLayerNorm = layerNorm(x + residual), the same bits
                float[] sum = new float[rows * cols];
                for (int i = 0; i < sum.length; i++) {
                    sum[i] = x[i] + res[i];
                }
                RowOut a = c.out(), l = c.out();
                Norms.addLayerNorm(rows, cols, c.x, c.xo, c.res, c.ro, a.sum, a.yo, c.gamma, c.go, c.beta, c.bo, eps,
                        a.y, a.yo, a.mean, a.so, a.rstd, a.so);
                Norms.layerNorm(rows, cols, sum, 0, c.gamma, c.go, c.beta, c.bo, eps, l.y, l.yo, l.mean, l.so, l.rstd, l.so);
                assertArrayEquals(sum, Arrays.copyOfRange(a.sum, a.yo, a.yo + sum.length));
                assertArrayEquals(Arrays.copyOfRange(l.y, l.yo, l.yo + sum.length),
                        Arrays.copyOfRange(a.y, a.yo, a.yo + sum.length), "addLayerNorm == layerNorm(x + residual)" + name);
                assertArrayEquals(Arrays.copyOfRange(l.rstd, l.so, l.so + rows), Arrays.copyOfRange(a.rstd, a.so, a.so + rows));
                assertArrayEquals(Arrays.copyOfRange(l.mean, l.so, l.so + rows), Arrays.copyOfRange(a.mean, a.so, a.so + rows));

                // RMSNorm
                RowOut r = c.out();
                Norms.rmsNorm(rows, cols, c.x, c.xo, c.gamma, c.go, eps, r.y, r.yo, r.rstd, r.so);
                RefRows rref = refRmsNorm(rows, cols, x, gamma, eps, dy, Arrays.copyOfRange(r.rstd, r.so, r.so + rows));
                check("ref rmsNorm y", r.y, r.yo, rref.y, tol);
                check("ref rmsNorm rstd", r.rstd, r.so, rref.rstd, tol);
                Grads rg = c.grads(rnd);
                Norms.rmsNormBackward(rows, cols, c.x, c.xo, c.gamma, c.go, r.rstd, r.so, c.dy, c.dyo,
                        rg.dx, rg.dxo, rg.dg, rg.po);
                check("ref rmsNormBackward dx" + name, rg.dx, rg.dxo, rref.dx, tol,
                        gradScale(true, rows, cols, 1, r.rstd, r.so, c.gamma, c.go, c.dy, c.dyo));
                check("ref rmsNormBackward dgamma" + name, rg.dg, rg.po, rref.dgamma, tolSum);
                RowOut ra = c.out(), rl = c.out();
                Norms.addRmsNorm(rows, cols, c.x, c.xo, c.res, c.ro, ra.sum, ra.yo, c.gamma, c.go, eps,
                        ra.y, ra.yo, ra.rstd, ra.so);
                Norms.rmsNorm(rows, cols, sum, 0, c.gamma, c.go, eps, rl.y, rl.yo, rl.rstd, rl.so);
                assertArrayEquals(Arrays.copyOfRange(rl.y, rl.yo, rl.yo + sum.length),
                        Arrays.copyOfRange(ra.y, ra.yo, ra.yo + sum.length), "addRmsNorm == rmsNorm(x + residual)" + name);
                assertArrayEquals(Arrays.copyOfRange(rl.rstd, rl.so, rl.so + rows), Arrays.copyOfRange(ra.rstd, ra.so, ra.so + rows));
            }
        }
    }

    @Test
    void batchNormMatchesDoubleReference() {
        SplittableRandom rnd = new SplittableRandom(22);
        int[][] shapes = {{6, 5, 1}, {64, 70, 1}, {3, 4, 15}, {8, 16, 49}, {2, 3, 1}, {1, 2, 2}};
        for (int[] sh : shapes) {
            int batch = sh[0], channels = sh[1], spatial = sh[2];
            for (double shift : new double[] {0.5, 40.0}) {
                BatchCase c = new BatchCase(rnd, batch, channels, spatial, shift);
                String name = " " + batch + "x" + channels + "x" + spatial + " shift " + shift;
                int count = batch * spatial;
                double tol = 16 * U * (1 + Math.sqrt(count));
                float eps = 1e-5f, momentum = 0.25f;
                BatchOut o = c.out();
                Norms.batchNormTraining(batch, channels, spatial, c.x, c.xo, c.gamma, c.po, c.beta, c.po, eps, momentum,
                        o.rm, o.po, o.rv, o.po, o.y, o.yo, o.sm, o.po, o.sr, o.po);
                RefBatch ref = refBatchNorm(batch, channels, spatial, c.xs(), c.slice(c.gamma), c.slice(c.beta),
                        c.slice(c.rm), c.slice(c.rv), eps, momentum, c.dys(),
                        Arrays.copyOfRange(o.sm, o.po, o.po + channels), Arrays.copyOfRange(o.sr, o.po, o.po + channels));
                check("ref batchNormTraining y" + name, o.y, o.yo, ref.y, tol, 0,
                        meanSlack(false, batch, channels, spatial, o.sm, o.po, o.sr, o.po, c.gamma, c.po));
                check("ref batchNormTraining saveMean" + name, o.sm, o.po, ref.mean, tol);
                check("ref batchNormTraining saveRstd" + name, o.sr, o.po, ref.rstd, tol);
                check("ref batchNormTraining runningMean" + name, o.rm, o.po, ref.runningMean, tol);
                check("ref batchNormTraining runningVar" + name, o.rv, o.po, ref.runningVar, tol);

                BatchOut g = c.out();
                Norms.batchNormBackward(batch, channels, spatial, c.x, c.xo, c.gamma, c.po, o.sm, o.po, o.sr, o.po,
                        c.dy, c.xo, g.y, g.yo, g.rm, g.po, g.rv, g.po);
                check("ref batchNormBackward dx" + name, g.y, g.yo, ref.dx, tol,
                        gradScale(false, batch, channels, spatial, o.sr, o.po, c.gamma, c.po, c.dy, c.xo));
                check("ref batchNormBackward dgamma" + name, g.rm, g.po, ref.dgamma, tol);
                check("ref batchNormBackward dbeta" + name, g.rv, g.po, ref.dbeta, tol);

                BatchOut e = c.out();
                Norms.batchNormInference(batch, channels, spatial, c.x, c.xo, c.gamma, c.po, c.beta, c.po,
                        c.rm, c.po, c.rv, c.po, eps, e.y, e.yo);
                check("ref batchNormInference y" + name, e.y, e.yo,
                        refBatchNormEval(batch, channels, spatial, c.xs(), c.slice(c.gamma), c.slice(c.beta),
                                c.slice(c.rm), c.slice(c.rv), eps), 16 * U);
            }
        }
    }

    // ======================================================================= finite differences

    @Test
    void layerNormGradientsMatchFiniteDifferences() {
        SplittableRandom rnd = new SplittableRandom(31);
        int rows = 4, cols = 7;
        for (int variant = 0; variant < 3; variant++) {
            float[] x = gaussian(rnd, rows * cols, 1.5, 0.7);
            // 0: gamma and beta; 1: neither (elementwise_affine=False); 2: gamma only (bias=False)
            float[] gamma = variant == 1 ? null : gaussian(rnd, cols, 0.5, 1.0);
            float[] beta = variant == 0 ? gaussian(rnd, cols, 0.3, 0.0) : null;
            double[] w = gaussianDouble(rnd, rows * cols);
            float eps = 1e-5f;
            float[][] at = {x, gamma, beta};
            ToDoubleFunction<float[][]> f = p -> {
                float[] y = new float[rows * cols];
                Norms.layerNorm(rows, cols, p[0], 0, p[1], 0, p[2], 0, eps, y, 0, null, 0, null, 0);
                return dot(y, w);
            };
            float[] mean = new float[rows], rstd = new float[rows], y = new float[rows * cols];
            Norms.layerNorm(rows, cols, x, 0, gamma, 0, beta, 0, eps, y, 0, mean, 0, rstd, 0);
            float[] dy = toFloat(w);
            float[] dx = new float[rows * cols], dg = new float[cols], db = new float[cols];
            Norms.layerNormBackward(rows, cols, x, 0, gamma, 0, mean, 0, rstd, 0, dy, 0, dx, 0,
                    gamma == null ? null : dg, 0, beta == null ? null : db, 0);
            gradientCheck("layerNorm variant " + variant, rnd, f, at, new float[][] {dx, dg, db});

            // addLayerNorm: the layerNorm backward on the written sum is the gradient of x and of residual
            float[] res = gaussian(rnd, rows * cols, 1.0, -0.3);
            float[] sum = new float[rows * cols];
            float[][] at2 = {x, res, gamma, beta};
            ToDoubleFunction<float[][]> f2 = p -> {
                float[] yy = new float[rows * cols], ss = new float[rows * cols];
                Norms.addLayerNorm(rows, cols, p[0], 0, p[1], 0, ss, 0, p[2], 0, p[3], 0, eps, yy, 0, null, 0, null, 0);
                return dot(yy, w);
            };
            Norms.addLayerNorm(rows, cols, x, 0, res, 0, sum, 0, gamma, 0, beta, 0, eps, y, 0, mean, 0, rstd, 0);
            Norms.layerNormBackward(rows, cols, sum, 0, gamma, 0, mean, 0, rstd, 0, dy, 0, dx, 0,
                    gamma == null ? null : dg, 0, beta == null ? null : db, 0);
            gradientCheck("addLayerNorm variant " + variant, rnd, f2, at2, new float[][] {dx, dx, dg, db});
        }
    }

    @Test
    void rmsNormGradientsMatchFiniteDifferences() {
        SplittableRandom rnd = new SplittableRandom(32);
        int rows = 4, cols = 9;
        for (int variant = 0; variant < 2; variant++) {
            float[] x = gaussian(rnd, rows * cols, 1.5, 0.4);
            float[] gamma = variant == 1 ? null : gaussian(rnd, cols, 0.5, 1.0);
            double[] w = gaussianDouble(rnd, rows * cols);
            float eps = 1e-6f;
            ToDoubleFunction<float[][]> f = p -> {
                float[] y = new float[rows * cols];
                Norms.rmsNorm(rows, cols, p[0], 0, p[1], 0, eps, y, 0, null, 0);
                return dot(y, w);
            };
            float[] rstd = new float[rows], y = new float[rows * cols];
            Norms.rmsNorm(rows, cols, x, 0, gamma, 0, eps, y, 0, rstd, 0);
            float[] dx = new float[rows * cols], dg = new float[cols];
            Norms.rmsNormBackward(rows, cols, x, 0, gamma, 0, rstd, 0, toFloat(w), 0, dx, 0, gamma == null ? null : dg, 0);
            gradientCheck("rmsNorm variant " + variant, rnd, f, new float[][] {x, gamma}, new float[][] {dx, dg});

            float[] res = gaussian(rnd, rows * cols, 1.0, 0.2);
            float[] sum = new float[rows * cols];
            ToDoubleFunction<float[][]> f2 = p -> {
                float[] yy = new float[rows * cols], ss = new float[rows * cols];
                Norms.addRmsNorm(rows, cols, p[0], 0, p[1], 0, ss, 0, p[2], 0, eps, yy, 0, null, 0);
                return dot(yy, w);
            };
            Norms.addRmsNorm(rows, cols, x, 0, res, 0, sum, 0, gamma, 0, eps, y, 0, rstd, 0);
            Norms.rmsNormBackward(rows, cols, sum, 0, gamma, 0, rstd, 0, toFloat(w), 0, dx, 0, gamma == null ? null : dg, 0);
            gradientCheck("addRmsNorm variant " + variant, rnd, f2, new float[][] {x, res, gamma}, new float[][] {dx, dx, dg});
        }
    }

    @Test
    void batchNormGradientsMatchFiniteDifferences() {
        SplittableRandom rnd = new SplittableRandom(33);
        int[][] shapes = {{6, 5, 1}, {3, 4, 5}, {4, 3, 1}};
        for (int[] sh : shapes) {
            int batch = sh[0], channels = sh[1], spatial = sh[2], n = batch * channels * spatial;
            for (boolean affine : new boolean[] {true, false}) {
                float[] x = gaussian(rnd, n, 1.5, 0.5);
                float[] gamma = affine ? gaussian(rnd, channels, 0.5, 1.0) : null;
                float[] beta = affine ? gaussian(rnd, channels, 0.3, 0.0) : null;
                double[] w = gaussianDouble(rnd, n);
                float eps = 1e-5f;
                ToDoubleFunction<float[][]> f = p -> {
                    float[] y = new float[n];
                    Norms.batchNormTraining(batch, channels, spatial, p[0], 0, p[1], 0, p[2], 0, eps, 0.1f,
                            null, 0, null, 0, y, 0, null, 0, null, 0);
                    return dot(y, w);
                };
                float[] y = new float[n], sm = new float[channels], sr = new float[channels];
                Norms.batchNormTraining(batch, channels, spatial, x, 0, gamma, 0, beta, 0, eps, 0.1f,
                        null, 0, null, 0, y, 0, sm, 0, sr, 0);
                float[] dx = new float[n], dg = new float[channels], db = new float[channels];
                Norms.batchNormBackward(batch, channels, spatial, x, 0, gamma, 0, sm, 0, sr, 0, toFloat(w), 0,
                        dx, 0, dg, 0, db, 0);
                String name = "batchNorm " + Arrays.toString(sh) + (affine ? " affine" : "");
                gradientCheck(name, rnd, f, new float[][] {x, gamma, beta}, new float[][] {dx, dg, db});
                if (!affine) {
                    // dgamma, dbeta are still the gradients of a (unit) scale and (zero) shift
                    float[] ones = new float[channels], zeros = new float[channels];
                    Arrays.fill(ones, 1f);
                    gradientCheck(name + " (unit gamma)", rnd, f, new float[][] {x, ones, zeros},
                            new float[][] {dx, dg, db});
                }
            }
        }
    }

    /**
     * For each non-null input {@code at[p]}, compares {@code f(at + h v) - f(at - h v)} along a random
     * direction {@code v} with {@code sum(grad[p] * ((at + h v) - (at - h v)))}, using the perturbed inputs
     * as actually rounded to float.
     */
    private static void gradientCheck(String name, SplittableRandom rnd, ToDoubleFunction<float[][]> f,
                                      float[][] at, float[][] grads) {
        for (int p = 0; p < at.length; p++) {
            if (at[p] == null) {
                continue;
            }
            float[] base = at[p];
            double scale = 0;
            for (float v : base) {
                scale = Math.max(scale, Math.abs(v));
            }
            double h = 1e-2 * Math.max(scale, 0.1);
            float[] plus = base.clone(), minus = base.clone();
            for (int i = 0; i < base.length; i++) {
                double v = rnd.nextDouble(-1, 1);
                plus[i] = (float) (base[i] + h * v);
                minus[i] = (float) (base[i] - h * v);
            }
            float[][] ap = at.clone(), am = at.clone();
            ap[p] = plus;
            am[p] = minus;
            double fd = f.applyAsDouble(ap) - f.applyAsDouble(am);
            double predicted = 0, magnitude = 0;
            for (int i = 0; i < base.length; i++) {
                double step = (double) plus[i] - minus[i];
                predicted += grads[p][i] * step;
                magnitude += Math.abs(grads[p][i] * step);
            }
            double err = Math.abs(fd - predicted) / magnitude;
            note("finite differences (rel.)", err);
            assertTrue(err <= 1e-3, name + " input " + p + ": finite difference " + fd + " vs gradient " + predicted
                    + " (relative error " + err + ")");
        }
    }

    // ======================================================================= PyTorch fixtures

    private static final double FIXTURE_TOL = 1e-6;

    @Test
    void layerNormMatchesPyTorch() {
        Fixtures fx = Fixtures.load("norms/layer_norm.txt");
        int rows = 5, cols = 13;
        for (String c : new String[] {"affine", "plain", "weight_only"}) {
            float[] x = fx.floats(c + ".x"), dy = fx.floats(c + ".dy");
            float[] gamma = fx.has(c + ".gamma") ? fx.floats(c + ".gamma") : null;
            float[] beta = fx.has(c + ".beta") ? fx.floats(c + ".beta") : null;
            float eps = fx.scalar(c + ".eps");
            float[] y = new float[rows * cols], mean = new float[rows], rstd = new float[rows];
            Norms.layerNorm(rows, cols, x, 0, gamma, 0, beta, 0, eps, y, 0, mean, 0, rstd, 0);
            fixture("torch layerNorm y", y, fx.floats(c + ".y"));
            fixture("torch layerNorm mean", mean, fx.floats(c + ".mean"));
            fixture("torch layerNorm rstd", rstd, fx.floats(c + ".rstd"));
            float[] dx = new float[rows * cols], dg = new float[cols], db = new float[cols];
            Norms.layerNormBackward(rows, cols, x, 0, gamma, 0, mean, 0, rstd, 0, dy, 0, dx, 0,
                    gamma == null ? null : dg, 0, beta == null ? null : db, 0);
            fixture("torch layerNorm dx", dx, fx.floats(c + ".dx"));
            if (gamma != null) {
                fixture("torch layerNorm dgamma", dg, fx.floats(c + ".dgamma"));
            }
            if (beta != null) {
                fixture("torch layerNorm dbeta", db, fx.floats(c + ".dbeta"));
            }
        }
    }

    @Test
    void rmsNormMatchesPyTorch() {
        Fixtures fx = Fixtures.load("norms/rms_norm.txt");
        int rows = 5, cols = 13;
        for (String c : new String[] {"weight", "plain", "default_eps"}) {
            float[] x = fx.floats(c + ".x"), dy = fx.floats(c + ".dy");
            float[] gamma = fx.has(c + ".gamma") ? fx.floats(c + ".gamma") : null;
            float eps = fx.scalar(c + ".eps");
            if (c.equals("default_eps")) {
                assertEquals(Math.ulp(1f), eps, "nn.RMSNorm's eps=None is finfo(float32).eps");
            }
            float[] y = new float[rows * cols], rstd = new float[rows];
            Norms.rmsNorm(rows, cols, x, 0, gamma, 0, eps, y, 0, rstd, 0);
            fixture("torch rmsNorm y", y, fx.floats(c + ".y"));
            fixture("torch rmsNorm rstd", rstd, fx.floats(c + ".rstd"));
            float[] dx = new float[rows * cols], dg = new float[cols];
            Norms.rmsNormBackward(rows, cols, x, 0, gamma, 0, rstd, 0, dy, 0, dx, 0, gamma == null ? null : dg, 0);
            fixture("torch rmsNorm dx", dx, fx.floats(c + ".dx"));
            if (gamma != null) {
                fixture("torch rmsNorm dgamma", dg, fx.floats(c + ".dgamma"));
            }
        }
    }

    @Test
    void batchNormMatchesPyTorch() {
        Fixtures fx = Fixtures.load("norms/batch_norm.txt");
        for (String c : new String[] {"bn1d", "bn1d_seq", "bn2d", "bn1d_noaffine"}) {
            int[] shape = fx.get(c + ".x").shape();
            int batch = shape[0], channels = shape[1], spatial = 1;
            for (int d = 2; d < shape.length; d++) {
                spatial *= shape[d];
            }
            int n = batch * channels * spatial;
            float[] x = fx.floats(c + ".x"), dy = fx.floats(c + ".dy");
            float[] gamma = fx.has(c + ".gamma") ? fx.floats(c + ".gamma") : null;
            float[] beta = fx.has(c + ".beta") ? fx.floats(c + ".beta") : null;
            float eps = fx.scalar(c + ".eps"), momentum = fx.scalar(c + ".momentum");
            float[] rm = fx.floats(c + ".running_mean_before"), rv = fx.floats(c + ".running_var_before");
            float[] y = new float[n], sm = new float[channels], sr = new float[channels];
            Norms.batchNormTraining(batch, channels, spatial, x, 0, gamma, 0, beta, 0, eps, momentum, rm, 0, rv, 0,
                    y, 0, sm, 0, sr, 0);
            fixture("torch batchNorm y", y, fx.floats(c + ".y"));
            fixture("torch batchNorm saveMean", sm, fx.floats(c + ".save_mean"));
            fixture("torch batchNorm saveRstd", sr, fx.floats(c + ".save_rstd"));
            fixture("torch batchNorm runningMean", rm, fx.floats(c + ".running_mean"));
            fixture("torch batchNorm runningVar", rv, fx.floats(c + ".running_var"));
            float[] dx = new float[n], dg = new float[channels], db = new float[channels];
            Norms.batchNormBackward(batch, channels, spatial, x, 0, gamma, 0, sm, 0, sr, 0, dy, 0, dx, 0,
                    gamma == null ? null : dg, 0, gamma == null ? null : db, 0);
            fixture("torch batchNorm dx", dx, fx.floats(c + ".dx"));
            if (gamma != null) {
                fixture("torch batchNorm dgamma", dg, fx.floats(c + ".dgamma"));
                fixture("torch batchNorm dbeta", db, fx.floats(c + ".dbeta"));
            }
            float[] yEval = new float[n];
            Norms.batchNormInference(batch, channels, spatial, fx.floats(c + ".x_eval"), 0, gamma, 0, beta, 0,
                    rm, 0, rv, 0, eps, yEval, 0);
            fixture("torch batchNorm eval y", yEval, fx.floats(c + ".y_eval"));
        }
    }

    private static void fixture(String what, float[] got, float[] want) {
        assertEquals(want.length, got.length, what);
        check(what, got, 0, toDouble(want), FIXTURE_TOL);
    }

    // ======================================================================= threads

    @Test
    void resultsDoNotDependOnTheThreadCount() {
        int before = Threads.count();
        SplittableRandom rnd = new SplittableRandom(41);
        int n = LARGE_ROWS * LARGE_COLS, m = LARGE_BATCH * LARGE_CHANNELS * LARGE_SPATIAL;
        float[][] in = {gaussian(rnd, n, 2, 1), gaussian(rnd, n, 1, 0), gaussian(rnd, n, 1, 0),
            gaussian(rnd, LARGE_COLS, 0.5, 1), gaussian(rnd, LARGE_COLS, 0.5, 0), gaussian(rnd, m, 2, 1),
            gaussian(rnd, m, 1, 0), gaussian(rnd, LARGE_CHANNELS, 0.5, 1), gaussian(rnd, LARGE_CHANNELS, 0.5, 0)};
        try {
            float[][] reference = null;
            for (int threads = 1; threads <= 3; threads++) {
                Threads.setCount(threads);
                float[][] got = largeRun(in);
                if (reference == null) {
                    reference = got;
                } else {
                    for (int i = 0; i < got.length; i++) {
                        assertArrayEquals(reference[i], got[i], "output " + i + " with " + threads + " threads");
                    }
                }
            }
        } finally {
            Threads.setCount(before);
        }
    }

    // Large enough that every kernel runs in parallel pieces: 512 x 160 gives 6 row blocks of 102 rows for the
    // parameter gradients (the last of 2 rows), BatchNorm1d 3 groups of channels, BatchNorm2d 7 channel ranges.
    private static final int LARGE_ROWS = 512, LARGE_COLS = 160;
    private static final int LARGE_BATCH = 16, LARGE_CHANNELS = 32, LARGE_SPATIAL = 196;

    /** Every kernel on large shapes (parallel, and the parameter gradients in several row blocks). */
    private static float[][] largeRun(float[][] in) {
        int rows = LARGE_ROWS, cols = LARGE_COLS, n = rows * cols;
        float[] x = in[0], res = in[1], dy = in[2], gamma = in[3], beta = in[4];
        float[] y = new float[n], sum = new float[n], mean = new float[rows], rstd = new float[rows];
        Norms.addLayerNorm(rows, cols, x, 0, res, 0, sum, 0, gamma, 0, beta, 0, 1e-5f, y, 0, mean, 0, rstd, 0);
        float[] dx = new float[n], dg = new float[cols], db = new float[cols];
        Norms.layerNormBackward(rows, cols, sum, 0, gamma, 0, mean, 0, rstd, 0, dy, 0, dx, 0, dg, 0, db, 0);
        float[] ry = new float[n], rr = new float[rows], rdx = new float[n], rdg = new float[cols];
        Norms.rmsNorm(rows, cols, x, 0, gamma, 0, 1e-6f, ry, 0, rr, 0);
        Norms.rmsNormBackward(rows, cols, x, 0, gamma, 0, rr, 0, dy, 0, rdx, 0, rdg, 0);
        float[] dbOnly = new float[cols], dxOnly = new float[n];
        Norms.layerNormBackward(rows, cols, sum, 0, null, 0, mean, 0, rstd, 0, dy, 0, null, 0, null, 0, dbOnly, 0);
        Norms.layerNormBackward(rows, cols, sum, 0, gamma, 0, mean, 0, rstd, 0, dy, 0, dxOnly, 0, null, 0, null, 0);
        // dx must not depend on which parameter gradients were asked for.
        for (int i = 0; i < n; i++) {
            if (Float.floatToRawIntBits(dx[i]) != Float.floatToRawIntBits(dxOnly[i])) {
                throw new AssertionError("layerNormBackward dx[" + i + "] = " + dxOnly[i] + " alone, " + dx[i]
                        + " with dgamma and dbeta");
            }
        }

        int batch = LARGE_BATCH, channels = LARGE_CHANNELS, spatial = LARGE_SPATIAL, m = batch * channels * spatial;
        float[] bx = in[5], bdy = in[6], bg = in[7], bb = in[8];
        float[] rm = new float[channels], rv = new float[channels], sm = new float[channels], sr = new float[channels];
        Arrays.fill(rv, 1f);
        float[] by = new float[m], bdx = new float[m], bdg = new float[channels], bdb = new float[channels];
        Norms.batchNormTraining(batch, channels, spatial, bx, 0, bg, 0, bb, 0, 1e-5f, 0.1f, rm, 0, rv, 0, by, 0, sm, 0, sr, 0);
        Norms.batchNormBackward(batch, channels, spatial, bx, 0, bg, 0, sm, 0, sr, 0, bdy, 0, bdx, 0, bdg, 0, bdb, 0);
        float[] bey = new float[m];
        Norms.batchNormInference(batch, channels, spatial, bx, 0, bg, 0, bb, 0, rm, 0, rv, 0, 1e-5f, bey, 0);

        // BatchNorm1d on (N, C): the across-channel kernels
        float[] cy = new float[n], cdx = new float[n], cg = gamma, cb = beta;
        float[] crm = new float[cols], crv = new float[cols], csm = new float[cols], csr = new float[cols];
        float[] cdg = new float[cols], cdb = new float[cols], cey = new float[n];
        Norms.batchNormTraining(rows, cols, 1, x, 0, cg, 0, cb, 0, 1e-5f, 0.1f, crm, 0, crv, 0, cy, 0, csm, 0, csr, 0);
        Norms.batchNormBackward(rows, cols, 1, x, 0, cg, 0, csm, 0, csr, 0, dy, 0, cdx, 0, cdg, 0, cdb, 0);
        Norms.batchNormInference(rows, cols, 1, x, 0, cg, 0, cb, 0, crm, 0, crv, 0, 1e-5f, cey, 0);
        return new float[][] {y, sum, mean, rstd, dx, dg, db, ry, rr, rdx, rdg, dbOnly, dxOnly,
            by, rm, rv, sm, sr, bdx, bdg, bdb, bey, cy, crm, crv, csm, csr, cdx, cdg, cdb, cey};
    }

    // ======================================================================= edge cases

    @Test
    void emptyRowsFollowPyTorch() {
        float[] mean = {7, 7}, rstd = {7, 7}, y = {};
        Norms.layerNorm(2, 0, new float[0], 0, null, 0, null, 0, 1e-5f, y, 0, mean, 0, rstd, 0);
        assertArrayEquals(new float[] {0, 0}, mean);
        assertTrue(Float.isNaN(rstd[0]) && Float.isNaN(rstd[1]), "PyTorch's rstd of an empty row is NaN");
        // No rows: the parameter gradients are zero sums, and are written.
        float[] dg = {5, 5, 5}, db = {5, 5, 5};
        Norms.layerNormBackward(0, 3, new float[0], 0, null, 0, new float[0], 0, new float[0], 0, new float[0], 0,
                new float[0], 0, dg, 0, db, 0);
        assertArrayEquals(new float[3], dg);
        assertArrayEquals(new float[3], db);
        float[] rg = {5, 5};
        Norms.rmsNormBackward(0, 2, new float[0], 0, null, 0, new float[0], 0, new float[0], 0, null, 0, rg, 0);
        assertArrayEquals(new float[2], rg);
        // BatchNorm with no channels does nothing; with an empty batch its backward sums are zero.
        Norms.batchNormTraining(4, 0, 3, new float[0], 0, null, 0, null, 0, 1e-5f, 0.1f, null, 0, null, 0,
                new float[0], 0, null, 0, null, 0);
        float[] bdg = {5, 5}, bdb = {5, 5};
        Norms.batchNormBackward(0, 2, 3, new float[0], 0, null, 0, new float[2], 0, new float[] {1, 1}, 0,
                new float[0], 0, new float[0], 0, bdg, 0, bdb, 0);
        assertArrayEquals(new float[2], bdg);
        assertArrayEquals(new float[2], bdb);
    }

    @Test
    void gradientsAreWrittenNotAccumulated() {
        SplittableRandom rnd = new SplittableRandom(51);
        int rows = 260, cols = 70; // two row blocks
        float[] x = gaussian(rnd, rows * cols, 1, 0), dy = gaussian(rnd, rows * cols, 1, 0), g = gaussian(rnd, cols, 1, 1);
        float[] mean = new float[rows], rstd = new float[rows], y = new float[rows * cols];
        Norms.layerNorm(rows, cols, x, 0, g, 0, null, 0, 1e-5f, y, 0, mean, 0, rstd, 0);
        float[] dg1 = new float[cols], db1 = new float[cols], dg2 = new float[cols], db2 = new float[cols];
        Arrays.fill(dg2, 123f);
        Arrays.fill(db2, Float.NaN);
        Norms.layerNormBackward(rows, cols, x, 0, g, 0, mean, 0, rstd, 0, dy, 0, null, 0, dg1, 0, db1, 0);
        Norms.layerNormBackward(rows, cols, x, 0, g, 0, mean, 0, rstd, 0, dy, 0, null, 0, dg2, 0, db2, 0);
        assertArrayEquals(dg1, dg2);
        assertArrayEquals(db1, db2);
    }

    @Test
    void inPlaceOutputsAreAllowed() {
        SplittableRandom rnd = new SplittableRandom(52);
        int rows = 9, cols = 37;
        float[] x = gaussian(rnd, rows * cols, 2, 1), g = gaussian(rnd, cols, 1, 1), b = gaussian(rnd, cols, 1, 0);
        float[] y = new float[rows * cols];
        Norms.layerNorm(rows, cols, x, 0, g, 0, b, 0, 1e-5f, y, 0, null, 0, null, 0);
        float[] inPlace = x.clone();
        Norms.layerNorm(rows, cols, inPlace, 0, g, 0, b, 0, 1e-5f, inPlace, 0, null, 0, null, 0);
        assertArrayEquals(y, inPlace);
        float[] bx = gaussian(rnd, 6 * 40, 2, 1), by = new float[bx.length], bInPlace = bx.clone();
        float[] bg = gaussian(rnd, 40, 1, 1);
        Norms.batchNormTraining(6, 40, 1, bx, 0, bg, 0, null, 0, 1e-5f, 0.1f, null, 0, null, 0, by, 0, null, 0, null, 0);
        Norms.batchNormTraining(6, 40, 1, bInPlace, 0, bg, 0, null, 0, 1e-5f, 0.1f, null, 0, null, 0, bInPlace, 0,
                null, 0, null, 0);
        assertArrayEquals(by, bInPlace);
    }

    // ======================================================================= argument checks

    @Test
    void badArgumentsThrowAndWriteNothing() {
        float[] x = new float[12], g = new float[4], y = filled(12), m = filled(3), r = filled(3);
        float[] dx = filled(12), dg = filled(4), db = filled(4), sum = filled(12);
        String ln = "Norms.layerNorm";
        rejects(ln, "rows", () -> Norms.layerNorm(-1, 4, x, 0, g, 0, g, 0, 1e-5f, y, 0, m, 0, r, 0));
        rejects(ln, "x", () -> Norms.layerNorm(3, 4, x, 1, g, 0, g, 0, 1e-5f, y, 0, m, 0, r, 0));
        rejects(ln, "x", () -> Norms.layerNorm(3, 4, null, 0, g, 0, g, 0, 1e-5f, y, 0, m, 0, r, 0));
        rejects(ln, "gamma", () -> Norms.layerNorm(3, 4, x, 0, new float[3], 0, g, 0, 1e-5f, y, 0, m, 0, r, 0));
        rejects(ln, "beta", () -> Norms.layerNorm(3, 4, x, 0, g, 0, g, -1, 1e-5f, y, 0, m, 0, r, 0));
        rejects(ln, "eps", () -> Norms.layerNorm(3, 4, x, 0, g, 0, g, 0, 0f, y, 0, m, 0, r, 0));
        rejects(ln, "eps", () -> Norms.layerNorm(3, 4, x, 0, g, 0, g, 0, Float.NaN, y, 0, m, 0, r, 0));
        rejects(ln, "eps", () -> Norms.layerNorm(3, 4, x, 0, g, 0, g, 0, Float.POSITIVE_INFINITY, y, 0, m, 0, r, 0));
        rejects(ln, "y", () -> Norms.layerNorm(3, 4, x, 0, g, 0, g, 0, 1e-5f, new float[11], 0, m, 0, r, 0));
        rejects(ln, "mean", () -> Norms.layerNorm(3, 4, x, 0, g, 0, g, 0, 1e-5f, y, 0, m, 1, r, 0));
        rejects(ln, "rstd", () -> Norms.layerNorm(3, 4, x, 0, g, 0, g, 0, 1e-5f, y, 0, m, 0, new float[2], 0));
        String lnb = "Norms.layerNormBackward";
        float[] ms = new float[3], rs = new float[3], dy = new float[12];
        rejects(lnb, "mean", () -> Norms.layerNormBackward(3, 4, x, 0, g, 0, null, 0, rs, 0, dy, 0, dx, 0, dg, 0, db, 0));
        rejects(lnb, "rstd", () -> Norms.layerNormBackward(3, 4, x, 0, g, 0, ms, 0, rs, 1, dy, 0, dx, 0, dg, 0, db, 0));
        rejects(lnb, "dy", () -> Norms.layerNormBackward(3, 4, x, 0, g, 0, ms, 0, rs, 0, new float[11], 0, dx, 0, dg, 0, db, 0));
        rejects(lnb, "dx", () -> Norms.layerNormBackward(3, 4, x, 0, g, 0, ms, 0, rs, 0, dy, 0, dx, 1, dg, 0, db, 0));
        rejects(lnb, "dgamma", () -> Norms.layerNormBackward(3, 4, x, 0, g, 0, ms, 0, rs, 0, dy, 0, dx, 0, new float[3], 0, db, 0));
        rejects(lnb, "dbeta", () -> Norms.layerNormBackward(3, 4, x, 0, g, 0, ms, 0, rs, 0, dy, 0, dx, 0, dg, 0, db, 2));
        rejects(lnb, "cols", () -> Norms.layerNormBackward(3, -4, x, 0, g, 0, ms, 0, rs, 0, dy, 0, dx, 0, dg, 0, db, 0));
        String aln = "Norms.addLayerNorm";
        rejects(aln, "residual", () -> Norms.addLayerNorm(3, 4, x, 0, new float[4], 0, sum, 0, g, 0, g, 0, 1e-5f, y, 0, m, 0, r, 0));
        rejects(aln, "sum", () -> Norms.addLayerNorm(3, 4, x, 0, x, 0, null, 0, g, 0, g, 0, 1e-5f, y, 0, m, 0, r, 0));
        rejects(aln, "eps", () -> Norms.addLayerNorm(3, 4, x, 0, x, 0, sum, 0, g, 0, g, 0, -1f, y, 0, m, 0, r, 0));
        String rms = "Norms.rmsNorm";
        rejects(rms, "eps", () -> Norms.rmsNorm(3, 4, x, 0, g, 0, 0f, y, 0, r, 0));
        rejects(rms, "gamma", () -> Norms.rmsNorm(3, 4, x, 0, g, 1, 1e-6f, y, 0, r, 0));
        rejects(rms, "rstd", () -> Norms.rmsNorm(3, 4, x, 0, g, 0, 1e-6f, y, 0, r, 1));
        rejects("Norms.addRmsNorm", "y", () -> Norms.addRmsNorm(3, 4, x, 0, x, 0, sum, 0, g, 0, 1e-6f, new float[1], 0, r, 0));
        rejects("Norms.rmsNormBackward", "rstd",
                () -> Norms.rmsNormBackward(3, 4, x, 0, g, 0, null, 0, dy, 0, dx, 0, dg, 0));
        rejects("Norms.rmsNormBackward", "dgamma",
                () -> Norms.rmsNormBackward(3, 4, x, 0, g, 0, rs, 0, dy, 0, dx, 0, dg, 1));
        assertUnchanged(y, m, r, dx, dg, db, sum);

        // BatchNorm: (batch 2, channels 3, spatial 2)
        float[] bx = new float[12], bg = new float[3], rm = filled(3), rv = filled(3), sm = filled(3), sr = filled(3);
        float[] by = filled(12);
        String bt = "Norms.batchNormTraining";
        rejects(bt, "value per channel", () -> Norms.batchNormTraining(1, 12, 1, bx, 0, null, 0, null, 0, 1e-5f, 0.1f,
                rm, 0, rv, 0, by, 0, sm, 0, sr, 0));
        rejects(bt, "value per channel", () -> Norms.batchNormTraining(0, 3, 2, bx, 0, null, 0, null, 0, 1e-5f, 0.1f,
                rm, 0, rv, 0, by, 0, sm, 0, sr, 0));
        rejects(bt, "momentum", () -> Norms.batchNormTraining(2, 3, 2, bx, 0, bg, 0, bg, 0, 1e-5f, 1.5f,
                rm, 0, rv, 0, by, 0, sm, 0, sr, 0));
        rejects(bt, "momentum", () -> Norms.batchNormTraining(2, 3, 2, bx, 0, bg, 0, bg, 0, 1e-5f, -0.1f,
                rm, 0, rv, 0, by, 0, sm, 0, sr, 0));
        rejects(bt, "momentum", () -> Norms.batchNormTraining(2, 3, 2, bx, 0, bg, 0, bg, 0, 1e-5f, Float.NaN,
                rm, 0, rv, 0, by, 0, sm, 0, sr, 0));
        rejects(bt, "eps", () -> Norms.batchNormTraining(2, 3, 2, bx, 0, bg, 0, bg, 0, 0f, 0.1f,
                rm, 0, rv, 0, by, 0, sm, 0, sr, 0));
        rejects(bt, "spatial", () -> Norms.batchNormTraining(2, 3, -2, bx, 0, bg, 0, bg, 0, 1e-5f, 0.1f,
                rm, 0, rv, 0, by, 0, sm, 0, sr, 0));
        rejects(bt, "runningVar", () -> Norms.batchNormTraining(2, 3, 2, bx, 0, bg, 0, bg, 0, 1e-5f, 0.1f,
                rm, 0, new float[2], 0, by, 0, sm, 0, sr, 0));
        rejects(bt, "saveRstd", () -> Norms.batchNormTraining(2, 3, 2, bx, 0, bg, 0, bg, 0, 1e-5f, 0.1f,
                rm, 0, rv, 0, by, 0, sm, 0, sr, 1));
        rejects(bt, "y", () -> Norms.batchNormTraining(2, 3, 2, bx, 0, bg, 0, bg, 0, 1e-5f, 0.1f,
                rm, 0, rv, 0, by, 1, sm, 0, sr, 0));
        rejects(bt, "x", () -> Norms.batchNormTraining(2, 3, 3, bx, 0, bg, 0, bg, 0, 1e-5f, 0.1f,
                rm, 0, rv, 0, by, 0, sm, 0, sr, 0));
        String bi = "Norms.batchNormInference";
        rejects(bi, "runningMean", () -> Norms.batchNormInference(2, 3, 2, bx, 0, bg, 0, bg, 0, null, 0, rv, 0, 1e-5f, by, 0));
        rejects(bi, "runningVar", () -> Norms.batchNormInference(2, 3, 2, bx, 0, bg, 0, bg, 0, rm, 0, rv, 1, 1e-5f, by, 0));
        rejects(bi, "eps", () -> Norms.batchNormInference(2, 3, 2, bx, 0, bg, 0, bg, 0, rm, 0, rv, 0, Float.NaN, by, 0));
        String bb = "Norms.batchNormBackward";
        float[] bdx = filled(12), bdg = filled(3), bdb = filled(3);
        rejects(bb, "saveMean", () -> Norms.batchNormBackward(2, 3, 2, bx, 0, bg, 0, null, 0, sr, 0, bx, 0, bdx, 0, bdg, 0, bdb, 0));
        rejects(bb, "saveRstd", () -> Norms.batchNormBackward(2, 3, 2, bx, 0, bg, 0, sm, 0, new float[1], 0, bx, 0, bdx, 0, bdg, 0, bdb, 0));
        rejects(bb, "dy", () -> Norms.batchNormBackward(2, 3, 2, bx, 0, bg, 0, sm, 0, sr, 0, bx, 1, bdx, 0, bdg, 0, bdb, 0));
        rejects(bb, "dbeta", () -> Norms.batchNormBackward(2, 3, 2, bx, 0, bg, 0, sm, 0, sr, 0, bx, 0, bdx, 0, bdg, 0, bdb, 1));
        assertUnchanged(rm, rv, sm, sr, by, bdx, bdg, bdb);
    }

    private static float[] filled(int n) {
        float[] a = new float[n];
        Arrays.fill(a, -77f);
        return a;
    }

    private static void assertUnchanged(float[]... arrays) {
        for (float[] a : arrays) {
            for (float v : a) {
                assertEquals(-77f, v, "an output was written before the arguments were checked");
            }
        }
    }

    private static void rejects(String routine, String mention, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().startsWith(routine + ":"), e.getMessage());
        assertTrue(e.getMessage().contains(mention), "expected '" + mention + "' in: " + e.getMessage());
    }

    // ======================================================================= references (double)

    private record RefRows(double[] y, double[] mean, double[] rstd, double[] dx, double[] dgamma, double[] dbeta) {}

    /**
     * LayerNorm in double from the definitions: the forward with exact statistics, the backward (via xhat)
     * from the given saved statistics, as PyTorch's backward is a function of the saved ones.
     */
    private static RefRows refLayerNorm(int rows, int cols, float[] x, float[] gamma, float[] beta, float eps, float[] dy,
                                        float[] savedMean, float[] savedRstd) {
        double[] y = new double[rows * cols], mean = new double[rows], rstd = new double[rows];
        double[] dx = new double[rows * cols], dg = new double[cols], db = new double[cols];
        for (int r = 0; r < rows; r++) {
            double m = 0;
            for (int j = 0; j < cols; j++) {
                m += x[r * cols + j];
            }
            m /= cols;
            double var = 0;
            for (int j = 0; j < cols; j++) {
                var += sq(x[r * cols + j] - m);
            }
            var /= cols;
            double a = 1 / Math.sqrt(var + eps);
            mean[r] = m;
            rstd[r] = a;
            double[] xhat = new double[cols], gh = new double[cols];
            double sumG = 0, sumGx = 0;
            for (int j = 0; j < cols; j++) {
                y[r * cols + j] = (x[r * cols + j] - m) * a * gamma[j] + beta[j];
            }
            m = savedMean[r];
            a = savedRstd[r];
            for (int j = 0; j < cols; j++) {
                int i = r * cols + j;
                xhat[j] = (x[i] - m) * a;
                gh[j] = dy[i] * gamma[j];
                sumG += gh[j];
                sumGx += gh[j] * xhat[j];
                dg[j] += dy[i] * xhat[j];
                db[j] += dy[i];
            }
            for (int j = 0; j < cols; j++) {
                dx[r * cols + j] = a / cols * (cols * gh[j] - sumG - xhat[j] * sumGx);
            }
        }
        return new RefRows(y, mean, rstd, dx, dg, db);
    }

    private static RefRows refRmsNorm(int rows, int cols, float[] x, float[] gamma, float eps, float[] dy,
                                      float[] savedRstd) {
        double[] y = new double[rows * cols], rstd = new double[rows], dx = new double[rows * cols], dg = new double[cols];
        for (int r = 0; r < rows; r++) {
            double ms = 0;
            for (int j = 0; j < cols; j++) {
                ms += sq(x[r * cols + j]);
            }
            double a = 1 / Math.sqrt(ms / cols + eps);
            rstd[r] = a;
            for (int j = 0; j < cols; j++) {
                y[r * cols + j] = x[r * cols + j] * a * gamma[j];
            }
            a = savedRstd[r];
            double sumGx = 0;
            for (int j = 0; j < cols; j++) {
                int i = r * cols + j;
                sumGx += dy[i] * gamma[j] * x[i];
                dg[j] += dy[i] * x[i] * a;
            }
            for (int j = 0; j < cols; j++) {
                int i = r * cols + j;
                // d/dx_i of x_j a gamma_j: a gamma_j delta_ij - x_j gamma_j a^3 x_i / n
                dx[i] = a * dy[i] * gamma[j] - x[i] * a * a * a * sumGx / cols;
            }
        }
        return new RefRows(y, null, rstd, dx, dg, null);
    }

    private record RefBatch(double[] y, double[] mean, double[] rstd, double[] runningMean, double[] runningVar,
                            double[] dx, double[] dgamma, double[] dbeta) {}

    private static RefBatch refBatchNorm(int batch, int channels, int spatial, float[] x, float[] gamma, float[] beta,
                                         float[] rm, float[] rv, float eps, float momentum, float[] dy,
                                         float[] savedMean, float[] savedRstd) {
        int n = batch * channels * spatial, count = batch * spatial;
        double[] y = new double[n], dx = new double[n], mean = new double[channels], rstd = new double[channels];
        double[] nrm = new double[channels], nrv = new double[channels], dg = new double[channels], db = new double[channels];
        for (int c = 0; c < channels; c++) {
            double m = 0, var = 0;
            for (int i = 0; i < batch; i++) {
                for (int s = 0; s < spatial; s++) {
                    m += x[(i * channels + c) * spatial + s];
                }
            }
            m /= count;
            for (int i = 0; i < batch; i++) {
                for (int s = 0; s < spatial; s++) {
                    var += sq(x[(i * channels + c) * spatial + s] - m);
                }
            }
            double unbiased = var / (count - 1);
            var /= count;
            double a = 1 / Math.sqrt(var + eps);
            mean[c] = m;
            rstd[c] = a;
            nrm[c] = (1 - (double) momentum) * rm[c] + momentum * m;
            nrv[c] = (1 - (double) momentum) * rv[c] + momentum * unbiased;
            for (int i = 0; i < batch; i++) {
                for (int s = 0; s < spatial; s++) {
                    int e = (i * channels + c) * spatial + s;
                    y[e] = (x[e] - m) * a * gamma[c] + beta[c];
                }
            }
            m = savedMean[c];
            a = savedRstd[c];
            double sumDy = 0, sumDyXhat = 0;
            for (int i = 0; i < batch; i++) {
                for (int s = 0; s < spatial; s++) {
                    int e = (i * channels + c) * spatial + s;
                    double xhat = (x[e] - m) * a;
                    sumDy += dy[e];
                    sumDyXhat += dy[e] * xhat;
                }
            }
            dg[c] = sumDyXhat;
            db[c] = sumDy;
            for (int i = 0; i < batch; i++) {
                for (int s = 0; s < spatial; s++) {
                    int e = (i * channels + c) * spatial + s;
                    double xhat = (x[e] - m) * a;
                    dx[e] = gamma[c] * a / count * (count * dy[e] - sumDy - xhat * sumDyXhat);
                }
            }
        }
        return new RefBatch(y, mean, rstd, nrm, nrv, dx, dg, db);
    }

    private static double[] refBatchNormEval(int batch, int channels, int spatial, float[] x, float[] gamma,
                                             float[] beta, float[] rm, float[] rv, float eps) {
        double[] y = new double[x.length];
        for (int e = 0; e < x.length; e++) {
            int c = (e / spatial) % channels;
            y[e] = (x[e] - rm[c]) / Math.sqrt(rv[c] + (double) eps) * gamma[c] + beta[c];
        }
        return y;
    }

    // ======================================================================= cases and helpers

    /** Random row-norm operands, each in a larger array at a random offset. */
    private static final class RowCase {
        final int rows, cols, xo, go, bo, ro, dyo;
        final float[] x, gamma, beta, res, dy;
        final SplittableRandom rnd;

        RowCase(SplittableRandom rnd, int rows, int cols, double shift) {
            this.rnd = rnd;
            this.rows = rows;
            this.cols = cols;
            int n = rows * cols;
            xo = rnd.nextInt(4);
            go = rnd.nextInt(4);
            bo = rnd.nextInt(4);
            ro = rnd.nextInt(4);
            dyo = rnd.nextInt(4);
            x = padded(rnd, xo, n, 2.0, shift);
            gamma = padded(rnd, go, cols, 0.5, 1.0);
            beta = padded(rnd, bo, cols, 0.5, 0.0);
            res = padded(rnd, ro, n, 1.0, 0.0);
            dy = padded(rnd, dyo, n, 1.0, 0.0);
        }

        RowOut out() {
            return new RowOut(rnd, rows, cols);
        }

        Grads grads(SplittableRandom r) {
            return new Grads(r, rows, cols);
        }

        float[] xs() {
            return Arrays.copyOfRange(x, xo, xo + rows * cols);
        }

        float[] gammas() {
            return Arrays.copyOfRange(gamma, go, go + cols);
        }

        float[] betas() {
            return Arrays.copyOfRange(beta, bo, bo + cols);
        }

        float[] dys() {
            return Arrays.copyOfRange(dy, dyo, dyo + rows * cols);
        }

        float[] ress() {
            return Arrays.copyOfRange(res, ro, ro + rows * cols);
        }
    }

    /** Row-norm outputs at random offsets, pre-filled with a sentinel. */
    private static final class RowOut {
        final int yo, so;
        final float[] y, sum, mean, rstd;

        RowOut(SplittableRandom rnd, int rows, int cols) {
            yo = rnd.nextInt(4);
            so = rnd.nextInt(4);
            y = sentinel(yo + rows * cols + 3);
            sum = sentinel(yo + rows * cols + 3);
            mean = sentinel(so + rows + 3);
            rstd = sentinel(so + rows + 3);
        }
    }

    private static final class Grads {
        final int dxo, po;
        final float[] dx, dg, db;

        Grads(SplittableRandom rnd, int rows, int cols) {
            dxo = rnd.nextInt(4);
            po = rnd.nextInt(4);
            dx = sentinel(dxo + rows * cols + 3);
            dg = sentinel(po + cols + 3);
            db = sentinel(po + cols + 3);
        }
    }

    private static final class BatchCase {
        final int batch, channels, spatial, xo, po;
        final float[] x, dy, gamma, beta, rm, rv;
        final SplittableRandom rnd;

        BatchCase(SplittableRandom rnd, int batch, int channels, int spatial, double shift) {
            this.rnd = rnd;
            this.batch = batch;
            this.channels = channels;
            this.spatial = spatial;
            int n = batch * channels * spatial;
            xo = rnd.nextInt(4);
            po = rnd.nextInt(4);
            x = padded(rnd, xo, n, 1.5, shift);
            dy = padded(rnd, xo, n, 1.0, 0.0);
            gamma = padded(rnd, po, channels, 0.5, 1.0);
            beta = padded(rnd, po, channels, 0.5, 0.0);
            rm = padded(rnd, po, channels, 0.5, 0.0);
            rv = padded(rnd, po, channels, 0.2, 1.0);
        }

        /** Outputs whose running statistics start as this case's. */
        BatchOut out() {
            BatchOut o = new BatchOut(rnd, batch, channels, spatial, po);
            System.arraycopy(rm, 0, o.rm, 0, rm.length);
            System.arraycopy(rv, 0, o.rv, 0, rv.length);
            return o;
        }

        float[] xs() {
            return Arrays.copyOfRange(x, xo, xo + batch * channels * spatial);
        }

        float[] dys() {
            return Arrays.copyOfRange(dy, xo, xo + batch * channels * spatial);
        }

        float[] slice(float[] perChannel) {
            return Arrays.copyOfRange(perChannel, po, po + channels);
        }
    }

    private static final class BatchOut {
        final int yo, po;
        final float[] y, rm, rv, sm, sr;

        BatchOut(SplittableRandom rnd, int batch, int channels, int spatial, int po) {
            this.po = po;
            yo = rnd.nextInt(4);
            y = sentinel(yo + batch * channels * spatial + 3);
            rm = sentinel(po + channels + 3);
            rv = sentinel(po + channels + 3);
            sm = sentinel(po + channels + 3);
            sr = sentinel(po + channels + 3);
        }
    }

    private static final float SENTINEL = -1234.5f;

    private static float[] sentinel(int n) {
        float[] a = new float[n];
        Arrays.fill(a, SENTINEL);
        return a;
    }

    /** The sentinel around {@code [off, off + n)} is intact (kernels write nothing outside their span). */
    private static void assertUntouchedOutside(float[] a, int off, int n) {
        for (int i = 0; i < a.length; i++) {
            if ((i < off || i >= off + n) && a[i] != SENTINEL) {
                fail("wrote outside its span at " + i + " (span " + off + " + " + n + ")");
            }
        }
    }

    private static float[] padded(SplittableRandom rnd, int off, int n, double scale, double shift) {
        float[] a = new float[off + n + 3];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (shift + scale * gaussian(rnd));
        }
        return a;
    }

    private static float[] gaussian(SplittableRandom rnd, int n, double scale, double shift) {
        return Arrays.copyOf(padded(rnd, 0, n, scale, shift), n);
    }

    private static double[] gaussianDouble(SplittableRandom rnd, int n) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = gaussian(rnd);
        }
        return a;
    }

    private static double gaussian(SplittableRandom rnd) {
        double u = rnd.nextDouble(), v = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log1p(-u)) * Math.cos(2 * Math.PI * v);
    }

    private static double sq(double v) {
        return v * v;
    }

    private static double dot(float[] y, double[] w) {
        double s = 0;
        for (int i = 0; i < y.length; i++) {
            s += y[i] * w[i];
        }
        return s;
    }

    private static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = (float) a[i];
        }
        return f;
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    private static void check(String what, float[] got, int gOff, float[] want, int wOff, int n, double tol) {
        check(what, got, gOff, want, wOff, n, tol, 0);
    }

    private static void check(String what, float[] got, int gOff, float[] want, int wOff, int n, double tol,
                              double floor) {
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            w[i] = want[wOff + i];
        }
        check(what, got, gOff, w, tol, floor);
    }

    private static void check(String what, float[] got, int gOff, double[] want, double tol) {
        check(what, got, gOff, want, tol, 0);
    }

    private static void check(String what, float[] got, int gOff, double[] want, double tol, double floor) {
        check(what, got, gOff, want, tol, floor, null);
    }

    /**
     * {@code |got - want| <= tol * (|want| + max(rms(want), floor)) + slack} element-wise; both NaN counts as
     * equal. {@code floor} is the natural scale of a result whose terms can cancel to nearly nothing (see
     * {@link #gradScale}); {@code slack} (nullable) an absolute allowance per element (see {@link #meanSlack}).
     */
    private static void check(String what, float[] got, int gOff, double[] want, double tol, double floor,
                              double[] slack) {
        double rms = 0;
        for (double v : want) {
            if (Double.isFinite(v)) {
                rms += v * v;
            }
        }
        rms = Math.max(floor, Math.sqrt(rms / Math.max(1, want.length)));
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            double g = got[gOff + i], w = want[i];
            if (Double.isNaN(w) && Double.isNaN(g)) {
                continue;
            }
            double bound = tol * (Math.abs(w) + rms) + (slack == null ? 0 : slack[i]);
            double err = Math.abs(g - w);
            if (!(err <= bound)) {
                fail(what + ": element " + i + " is " + g + ", expected " + w + " (error " + err + " > " + bound + ")");
            }
            if (bound > 0) {
                worst = Math.max(worst, err / (Math.abs(w) + rms));
            }
        }
        String key = what.replaceAll(" [0-9]+x[0-9x]+.*$", "").replaceAll(" shift .*$", "");
        note(key, worst);
    }

    /**
     * The scale of an input gradient {@code dx = rstd * gamma * (dy - ...)}: the rms of
     * {@code rstd * gamma * dy} over the block, with per-row statistics ({@code dim0 = rows}, {@code dim1 = cols},
     * {@code inner = 1}) or per-channel ones ({@code dim0 = batch, dim1 = channels, inner = spatial}).
     * The terms of dx cancel completely when a row has one value, or a channel two, so the error of dx
     * is judged against this rather than against dx itself.
     */
    private static double gradScale(boolean perRow, int dim0, int dim1, int inner, float[] rstd, int ro,
                                    float[] gamma, int go, float[] dy, int dyo) {
        double s = 0;
        int n = dim0 * dim1 * inner;
        for (int e = 0; e < n; e++) {
            int i = e / (dim1 * inner), j = (e / inner) % dim1;
            double a = perRow ? rstd[ro + i] : rstd[ro + j];
            double g = gamma == null ? 1 : gamma[go + j];
            s += Math.pow(a * g * dy[dyo + e], 2);
        }
        return n == 0 ? 0 : Math.sqrt(s / n);
    }

    /**
     * The error a normalized output inherits from its mean being a float: {@code y = (x - mean) * rstd * gamma}
     * with {@code mean} rounded to float is off by up to {@code u |mean| rstd |gamma|} (PyTorch's float kernels
     * share this; it matters when {@code |mean|} is large compared with the spread). Allowed 4 times over.
     */
    private static double[] meanSlack(boolean perRow, int dim0, int dim1, int inner, float[] mean, int mo,
                                      float[] rstd, int ro, float[] gamma, int go) {
        int n = dim0 * dim1 * inner;
        double[] slack = new double[n];
        for (int e = 0; e < n; e++) {
            int i = e / (dim1 * inner), j = (e / inner) % dim1;
            int stat = perRow ? i : j;
            double g = gamma == null ? 1 : gamma[go + j];
            slack[e] = 4 * U * Math.abs(mean[mo + stat] * (double) rstd[ro + stat] * g);
        }
        return slack;
    }

    private static double[] toDouble(float[] a, int off, int n) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = a[off + i];
        }
        return d;
    }

    private static synchronized void note(String key, double err) {
        WORST.merge(key, err, Math::max);
    }
}
