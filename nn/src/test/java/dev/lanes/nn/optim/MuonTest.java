package dev.lanes.nn.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.nn.Fixtures;
import dev.lanes.nn.Generator;
import dev.lanes.nn.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Muon against a float32 re-implementation of torch.optim.Muon ({@code fixtures/optim/muon.txt}; PyTorch
 * itself runs Newton-Schulz in bfloat16, and the fixture script checks the reference against it to bfloat16
 * precision): wide, tall, square, row and column matrices, two groups, Nesterov off, Moonshot's lr
 * adjustment, other coefficients and step counts, a missing gradient; plus the rules for parameters.
 */
class MuonTest {
    private static final Fixtures F = Fixtures.load("optim/muon.txt");

    /*
     * The Newton-Schulz products run on Lanes' Gemm and on PyTorch's (MKL) sgemm, which add in different
     * orders: each product differs by a few ulps, and five quintic steps carry that to ~1e-6 of the update
     * (float32 against double: 1.1e-6 measured). Over six steps the parameters stay within 1.8e-7 of their
     * largest element (measured); elements near zero have no meaningful relative error, so the bound is on
     * the tensor's scale. The momentum buffers are the same float lerps on both sides (measured: identical).
     */
    private static final OptimFixtures.Tolerance PARAMS = new OptimFixtures.Tolerance(0, 1e-6);
    private static final double UPDATE_REL = 1e-5;
    private static final OptimFixtures.Tolerance BUFFERS = new OptimFixtures.Tolerance(1e-6, 1e-7);

    @Test
    void matchesFloat32ReferenceOfTorchMuon() {
        List<String> summary = new ArrayList<>();
        for (String c : OptimFixtures.cases(F)) {
            List<Tensor> params = OptimFixtures.params(F, c, "param%d");
            Optimizer opt = OptimFixtures.build(F, c, params);
            OptimFixtures.Worst wp = new OptimFixtures.Worst();
            OptimFixtures.Worst ws = new OptimFixtures.Worst();
            OptimFixtures.replay(F, c, opt, params, 1, OptimFixtures.steps(F, c), PARAMS, wp);
            OptimFixtures.compareState(c, OptimFixtures.state(F, c, "state"), opt.stateDict(), BUFFERS, ws);
            summary.add(String.format(Locale.ROOT, "%-24s param %.2g rel, %.2g of max; momentum_buffer %.2g rel, %.2g of max",
                    c, wp.rel, wp.ofMax, ws.rel, ws.ofMax));
        }
        System.out.println("Muon vs float32 torch.optim.Muon:\n  " + String.join("\n  ", summary));
    }

    /**
     * Each step's update from the reference's own starting point: {@code ||dW_lanes - dW_ref|| / ||dW_ref||}
     * (Frobenius) per parameter and step. This is the Newton-Schulz output scaled by the learning rate, plus the
     * weight decay, so it measures the orthogonalisation itself without the drift of a long run: within 1e-5
     * relative, plus one float32 rounding of the stored parameter.
     */
    @Test
    void everyUpdateMatchesToOneInAHundredThousand() {
        double worst = 0;
        for (String c : OptimFixtures.cases(F)) {
            List<Tensor> params = OptimFixtures.params(F, c, "param%d");
            Optimizer opt = OptimFixtures.build(F, c, params);
            for (int t = 1; t <= OptimFixtures.steps(F, c); t++) {
                List<float[]> before = new ArrayList<>();
                for (int i = 0; i < params.size(); i++) {
                    float[] start = F.floats(c + (t == 1 ? ".param" + i : ".step" + (t - 1) + ".param" + i));
                    Tensor p = params.get(i);
                    System.arraycopy(start, 0, p.array(), p.arrayOffset(), start.length);
                    before.add(start);
                }
                OptimFixtures.setGrads(F, c, t, params);
                opt.step();
                for (int i = 0; i < params.size(); i++) {
                    float[] want = F.floats(c + ".step" + t + ".param" + i);
                    float[] got = params.get(i).toArray();
                    double diff = 0;
                    double norm = 0;
                    double ulps = 0;
                    for (int j = 0; j < want.length; j++) {
                        double dRef = (double) want[j] - before.get(i)[j];
                        double dLanes = (double) got[j] - before.get(i)[j];
                        diff += (dLanes - dRef) * (dLanes - dRef);
                        norm += dRef * dRef;
                        ulps += (double) Math.ulp(want[j]) * Math.ulp(want[j]);
                    }
                    if (norm == 0) {
                        assertEquals(0, diff, c + " step " + t + " param " + i + ": moved without a gradient");
                        continue;
                    }
                    // Both sides store the parameter in float32: a last-bit difference in that rounding is one ulp
                    // of the parameter, which is ~1e-5 of a small update (lr 0.01 on weights of ~0.5).
                    double allowed = UPDATE_REL * Math.sqrt(norm) + Math.sqrt(ulps);
                    double rel = Math.sqrt(diff / norm);
                    worst = Math.max(worst, rel);
                    assertTrue(Math.sqrt(diff) <= allowed, c + " step " + t + " param " + i + ": update differs by " + rel
                            + " relative (" + Math.sqrt(diff) + ", allowed " + allowed + ")");
                }
            }
        }
        System.out.printf(Locale.ROOT, "Muon updates vs float32 torch.optim.Muon: %.2g relative (Frobenius)%n", worst);
    }

    /**
     * Newton-Schulz of {@code g} in double, PyTorch's iteration (transposed when tall, as PyTorch does), as a
     * row-major {@code rows x cols} array.
     */
    private static double[] newtonSchulzDouble(float[] g, int rows, int cols, int steps) {
        boolean tall = rows > cols;
        int m = Math.min(rows, cols);
        int n = Math.max(rows, cols);
        double[][] x = new double[m][n];
        double norm = 0;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                double v = g[r * cols + c];
                x[tall ? c : r][tall ? r : c] = v;
                norm += v * v;
            }
        }
        norm = Math.max(Math.sqrt(norm), 1e-7);
        for (double[] row : x) {
            for (int j = 0; j < n; j++) {
                row[j] /= norm;
            }
        }
        for (int s = 0; s < steps; s++) {
            double[][] a = new double[m][m];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < m; j++) {
                    for (int k = 0; k < n; k++) {
                        a[i][j] += x[i][k] * x[j][k];
                    }
                }
            }
            double[][] b = new double[m][m];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < m; j++) {
                    double aa = 0;
                    for (int k = 0; k < m; k++) {
                        aa += a[i][k] * a[k][j];
                    }
                    b[i][j] = -4.7750 * a[i][j] + 2.0315 * aa;
                }
            }
            double[][] next = new double[m][n];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double bx = 0;
                    for (int k = 0; k < m; k++) {
                        bx += b[i][k] * x[k][j];
                    }
                    next[i][j] = 3.4445 * x[i][j] + bx;
                }
            }
            x = next;
        }
        double[] out = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[r * cols + c] = tall ? x[c][r] : x[r][c];
            }
        }
        return out;
    }

    /** One Muon step from W = 0 with momentum 0, no decay and lr 1: W becomes -adjusted_lr * NewtonSchulz(g). */
    private static float[] orthogonalised(float[] g, int rows, int cols) {
        Tensor w = Tensor.zeros(rows, cols).requiresGrad(true);
        Muon muon = new Muon(List.of(w), 1.0).momentum(0).weightDecay(0);
        w.setGrad(Tensor.of(g, rows, cols));
        muon.step();
        float[] o = w.toArray();
        double scale = Muon.adjustedLr(1.0, Muon.AdjustLr.ORIGINAL, rows, cols);
        for (int i = 0; i < o.length; i++) {
            o[i] = (float) (-o[i] / scale);
        }
        return o;
    }

    /**
     * The float32 iteration on Gemm against the same iteration in double: 1e-5 relative (Frobenius) for wide,
     * tall and square matrices, small and large enough for Gemm's packed paths.
     */
    @Test
    void newtonSchulzMatchesDoublePrecision() {
        Generator gen = new Generator(7);
        int[][] shapes = {{3, 5}, {5, 3}, {4, 4}, {1, 6}, {6, 1}, {37, 20}, {20, 37}, {64, 48}};
        double worst = 0;
        for (int[] s : shapes) {
            float[] g = Tensor.randn(gen, s[0], s[1]).toArray();
            float[] got = orthogonalised(g, s[0], s[1]);
            double[] want = newtonSchulzDouble(g, s[0], s[1], 5);
            double diff = 0;
            double norm = 0;
            for (int i = 0; i < want.length; i++) {
                diff += (got[i] - want[i]) * (got[i] - want[i]);
                norm += want[i] * want[i];
            }
            double rel = Math.sqrt(diff / norm);
            worst = Math.max(worst, rel);
            assertTrue(rel < 1e-5, "shape " + s[0] + "x" + s[1] + ": float32 Newton-Schulz is " + rel + " from double");
        }
        System.out.printf(Locale.ROOT, "Muon Newton-Schulz float32 vs double: %.2g relative%n", worst);
    }

    /** Tall matrices are iterated transposed: the update of G^T is the transpose of the update of G. */
    @Test
    void tallAndWideAreTransposesOfEachOther() {
        Generator gen = new Generator(11);
        int rows = 9;
        int cols = 4;
        float[] g = Tensor.randn(gen, rows, cols).toArray();
        float[] gt = new float[g.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                gt[c * rows + r] = g[r * cols + c];
            }
        }
        float[] tall = orthogonalised(g, rows, cols);
        float[] wide = orthogonalised(gt, cols, rows);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                assertEquals(tall[r * cols + c], wide[c * rows + r], 1e-6, "element " + r + ", " + c);
            }
        }
    }

    /** PyTorch's _adjust_lr: sqrt(max(1, rows / cols)), or 0.2 sqrt(max(rows, cols)). */
    @Test
    void adjustsTheLearningRateByShape() {
        assertEquals(0.1 * Math.sqrt(9.0 / 4), Muon.adjustedLr(0.1, Muon.AdjustLr.ORIGINAL, 9, 4), 0);
        assertEquals(0.1, Muon.adjustedLr(0.1, Muon.AdjustLr.ORIGINAL, 4, 9), 0);
        assertEquals(0.1 * (0.2 * 3), Muon.adjustedLr(0.1, Muon.AdjustLr.MATCH_RMS_ADAMW, 4, 9), 0);
        assertEquals(0.1 * (0.2 * 3), Muon.adjustedLr(0.1, Muon.AdjustLr.MATCH_RMS_ADAMW, 9, 4), 0);
    }

    @Test
    void acceptsOnlyMatrices() {
        Tensor bias = Tensor.zeros(4).requiresGrad(true);
        Tensor kernel = Tensor.zeros(2, 3, 3, 3).requiresGrad(true);
        Tensor w = Tensor.zeros(3, 4).requiresGrad(true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Muon(List.of(w, bias)));
        assertTrue(e.getMessage().contains("[4]") && e.getMessage().contains("AdamW"), e.getMessage());
        Muon muon = new Muon(List.of(w));
        e = assertThrows(IllegalArgumentException.class, () -> muon.addParamGroup(ParamGroup.of(List.of(kernel))));
        assertTrue(e.getMessage().contains("2-D") && e.getMessage().contains("AdamW"), e.getMessage());
        assertEquals(1, muon.paramGroups().size());
    }

    @Test
    void checksItsOptions() {
        List<Tensor> p = List.of(Tensor.zeros(2, 2).requiresGrad(true));
        assertThrows(IllegalArgumentException.class, () -> new Muon(p, -0.1));
        assertThrows(IllegalArgumentException.class, () -> new Muon(p).momentum(-0.5));
        assertThrows(IllegalArgumentException.class, () -> new Muon(p).weightDecay(-1));
        assertThrows(IllegalArgumentException.class, () -> new Muon(p).eps(-1e-7));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Muon(p).nsSteps(100));
        assertTrue(e.getMessage().contains("ns_steps") && e.getMessage().contains("100"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Muon(p).paramGroups().get(0).set("ns_steps", 2.5));
        assertTrue(e.getMessage().contains("whole number"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Muon(p).paramGroups().get(0).set("adjust_lr_fn", 2));
        assertThrows(IllegalArgumentException.class, () -> new Muon(p).adjustLrFn(null));
        // Options are checked before any is set.
        Muon muon = new Muon(p);
        assertThrows(IllegalArgumentException.class, () -> muon.nsCoefficients(3, -4, Double.NaN));
        assertEquals(3.4445, muon.defaultOption("ns_a"));
    }

    @Test
    void resumesFromReferenceStateDict() {
        for (String c : OptimFixtures.cases(F)) {
            int mid = OptimFixtures.mid(F, c);
            List<Tensor> params = OptimFixtures.params(F, c, "step" + mid + ".param%d");
            Optimizer opt = OptimFixtures.build(F, c, params);
            opt.loadStateDict(OptimFixtures.state(F, c, "midstate"));
            OptimFixtures.replay(F, c, opt, params, mid + 1, OptimFixtures.steps(F, c), PARAMS, new OptimFixtures.Worst());
        }
    }
}
