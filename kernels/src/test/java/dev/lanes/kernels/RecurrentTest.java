package dev.lanes.kernels;

import static dev.lanes.kernels.KernelTesting.OFFSET;
import static dev.lanes.kernels.KernelTesting.assertClose;
import static dev.lanes.kernels.KernelTesting.assertSameBits;
import static dev.lanes.kernels.KernelTesting.output;
import static dev.lanes.kernels.KernelTesting.span;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.kernels.ops.ScalarRecurrent;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link Recurrent} (whichever implementation runs: vector, or the scalar twin under {@code -Dlanes.scalar})
 * and {@link ScalarRecurrent} against a double-precision reference written from PyTorch's definitions, on
 * batches 0, 1, 2, 5, 33 and hidden sizes 1, 3, 16, 17, 33, 64 (tails shorter than a vector, exact
 * multiples), operands at an offset with sentinels around them; a batch large enough to be split into
 * parallel chunks, checked for the same bits on 1 and 4 threads; the in-place forms; argument checks.
 *
 * <p>Tolerance {@code 1e-5 + 1e-5 |want|}: values and gradients are O(1) (inputs in [-2, 2]); the vector
 * sigmoid and tanh are within 3e-7 absolute, and {@code 1 - tanh^2} near saturation doubles that.
 */
class RecurrentTest {
    private static final int[] BATCHES = {0, 1, 2, 5, 33};
    private static final int[] HIDDENS = {1, 3, 16, 17, 33, 64};
    private static final double TOL = 1e-5;

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    private static float v(float[] a, int i) {
        return a[OFFSET + i];
    }

    /** A float array in the span layout holding {@code want}. */
    private static float[] expected(double[] want) {
        float[] a = output(want.length);
        for (int i = 0; i < want.length; i++) {
            a[OFFSET + i] = (float) want[i];
        }
        return a;
    }

    /** The operands of one LSTM step and the outputs of a call. */
    private record Lstm(int b, int h, float[] xg, float[] hg, float[] cPrev, float[] dh, float[] dc) {
        static Lstm random(Random r, int b, int h) {
            return new Lstm(b, h, span(r, 4 * b * h, -2f, 2f), span(r, 4 * b * h, -2f, 2f),
                    span(r, b * h, -2f, 2f), span(r, b * h, -1f, 1f), span(r, b * h, -1f, 1f));
        }
    }

    @Test
    void lstmForwardAndBackwardMatchTheReference() {
        Random r = new Random(1);
        for (int b : BATCHES) {
            for (int h : HIDDENS) {
                Lstm p = Lstm.random(r, b, h);
                checkLstm(p, false);
                checkLstm(p, true);
            }
        }
    }

    private static void checkLstm(Lstm p, boolean scalarTwin) {
        int b = p.b, h = p.h, n = b * h, w = 4 * h;
        double[] gates = new double[4 * n], c = new double[n], hy = new double[n];
        double[] dGates = new double[4 * n], dcPrev = new double[n], dcPrevNoDc = new double[n], dGatesNoDc = new double[4 * n];
        for (int row = 0; row < b; row++) {
            for (int j = 0; j < h; j++) {
                int g = row * w + j, s = row * h + j;
                double i = sigmoid((double) v(p.xg, g) + v(p.hg, g));
                double f = sigmoid((double) v(p.xg, g + h) + v(p.hg, g + h));
                double cg = Math.tanh((double) v(p.xg, g + 2 * h) + v(p.hg, g + 2 * h));
                double o = sigmoid((double) v(p.xg, g + 3 * h) + v(p.hg, g + 3 * h));
                gates[g] = i;
                gates[g + h] = f;
                gates[g + 2 * h] = cg;
                gates[g + 3 * h] = o;
                c[s] = f * v(p.cPrev, s) + i * cg;
                double tc = Math.tanh(c[s]);
                hy[s] = o * tc;
                for (int withDc = 0; withDc < 2; withDc++) {
                    double[] dg = withDc == 1 ? dGates : dGatesNoDc;
                    double gh = v(p.dh, s);
                    double gc = (withDc == 1 ? v(p.dc, s) : 0) + gh * o * (1 - tc * tc);
                    dg[g] = gc * cg * i * (1 - i);
                    dg[g + h] = gc * v(p.cPrev, s) * f * (1 - f);
                    dg[g + 2 * h] = gc * i * (1 - cg * cg);
                    dg[g + 3 * h] = gh * tc * o * (1 - o);
                    (withDc == 1 ? dcPrev : dcPrevNoDc)[s] = gc * f;
                }
            }
        }
        String what = (scalarTwin ? "scalar " : "") + "lstm b=" + b + " h=" + h + " ";
        float[] gOut = output(4 * n), cOut = output(n), hOut = output(n);
        if (scalarTwin) {
            ScalarRecurrent.lstmForward(0, b, h, p.xg, OFFSET, p.hg, OFFSET, p.cPrev, OFFSET, gOut, OFFSET,
                    cOut, OFFSET, hOut, OFFSET);
        } else {
            Recurrent.lstmForward(b, h, p.xg, OFFSET, p.hg, OFFSET, p.cPrev, OFFSET, gOut, OFFSET, cOut, OFFSET, hOut, OFFSET);
        }
        assertClose(what + "gates", expected(gates), gOut, 4 * n, TOL, TOL);
        assertClose(what + "c", expected(c), cOut, n, TOL, TOL);
        assertClose(what + "h", expected(hy), hOut, n, TOL, TOL);

        float[] dgOut = output(4 * n), dcpOut = output(n);
        float[] dgOut0 = output(4 * n), dcpOut0 = output(n);
        if (scalarTwin) {
            ScalarRecurrent.lstmBackward(0, b, h, gOut, OFFSET, p.cPrev, OFFSET, cOut, OFFSET, p.dh, OFFSET,
                    p.dc, OFFSET, dgOut, OFFSET, dcpOut, OFFSET);
            ScalarRecurrent.lstmBackward(0, b, h, gOut, OFFSET, p.cPrev, OFFSET, cOut, OFFSET, p.dh, OFFSET,
                    null, 0, dgOut0, OFFSET, dcpOut0, OFFSET);
        } else {
            Recurrent.lstmBackward(b, h, gOut, OFFSET, p.cPrev, OFFSET, cOut, OFFSET, p.dh, OFFSET, p.dc, OFFSET,
                    dgOut, OFFSET, dcpOut, OFFSET);
            Recurrent.lstmBackward(b, h, gOut, OFFSET, p.cPrev, OFFSET, cOut, OFFSET, p.dh, OFFSET, null, 0,
                    dgOut0, OFFSET, dcpOut0, OFFSET);
        }
        assertClose(what + "dGates", expected(dGates), dgOut, 4 * n, TOL, TOL);
        assertClose(what + "dcPrev", expected(dcPrev), dcpOut, n, TOL, TOL);
        assertClose(what + "dGates (dc null)", expected(dGatesNoDc), dgOut0, 4 * n, TOL, TOL);
        assertClose(what + "dcPrev (dc null)", expected(dcPrevNoDc), dcpOut0, n, TOL, TOL);
    }

    @Test
    void gruForwardAndBackwardMatchTheReference() {
        Random r = new Random(2);
        for (int b : BATCHES) {
            for (int h : HIDDENS) {
                for (boolean scalarTwin : new boolean[] {false, true}) {
                    checkGru(r, b, h, scalarTwin);
                }
            }
        }
    }

    private static void checkGru(Random rnd, int b, int h, boolean scalarTwin) {
        int n = b * h;
        float[] xg = span(rnd, 3 * n, -2f, 2f), hg = span(rnd, 3 * n, -2f, 2f);
        float[] hPrev = span(rnd, n, -1f, 1f), dh = span(rnd, n, -1f, 1f);
        double[] gates = new double[4 * n], hy = new double[n];
        double[] dxg = new double[3 * n], dhg = new double[3 * n], dhPrev = new double[n];
        for (int row = 0; row < b; row++) {
            for (int j = 0; j < h; j++) {
                int x = row * 3 * h + j, g = row * 4 * h + j, s = row * h + j;
                double r = sigmoid((double) v(xg, x) + v(hg, x));
                double z = sigmoid((double) v(xg, x + h) + v(hg, x + h));
                double hn = v(hg, x + 2 * h);
                double nn = Math.tanh(v(xg, x + 2 * h) + r * hn);
                gates[g] = r;
                gates[g + h] = z;
                gates[g + 2 * h] = nn;
                gates[g + 3 * h] = hn;
                hy[s] = (1 - z) * nn + z * v(hPrev, s);
                double gh = v(dh, s);
                double dnPre = gh * (1 - z) * (1 - nn * nn);
                double drPre = dnPre * hn * r * (1 - r);
                double dzPre = gh * (v(hPrev, s) - nn) * z * (1 - z);
                dxg[x] = drPre;
                dxg[x + h] = dzPre;
                dxg[x + 2 * h] = dnPre;
                dhg[x] = drPre;
                dhg[x + h] = dzPre;
                dhg[x + 2 * h] = dnPre * r;
                dhPrev[s] = gh * z;
            }
        }
        String what = (scalarTwin ? "scalar " : "") + "gru b=" + b + " h=" + h + " ";
        float[] gOut = output(4 * n), hOut = output(n);
        float[] dxOut = output(3 * n), dhgOut = output(3 * n), dhpOut = output(n);
        if (scalarTwin) {
            ScalarRecurrent.gruForward(0, b, h, xg, OFFSET, hg, OFFSET, hPrev, OFFSET, gOut, OFFSET, hOut, OFFSET);
            ScalarRecurrent.gruBackward(0, b, h, gOut, OFFSET, hPrev, OFFSET, dh, OFFSET, dxOut, OFFSET, dhgOut, OFFSET,
                    dhpOut, OFFSET);
        } else {
            Recurrent.gruForward(b, h, xg, OFFSET, hg, OFFSET, hPrev, OFFSET, gOut, OFFSET, hOut, OFFSET);
            Recurrent.gruBackward(b, h, gOut, OFFSET, hPrev, OFFSET, dh, OFFSET, dxOut, OFFSET, dhgOut, OFFSET,
                    dhpOut, OFFSET);
        }
        assertClose(what + "gates", expected(gates), gOut, 4 * n, TOL, TOL);
        assertClose(what + "h", expected(hy), hOut, n, TOL, TOL);
        assertClose(what + "dxg", expected(dxg), dxOut, 3 * n, TOL, TOL);
        assertClose(what + "dhg", expected(dhg), dhgOut, 3 * n, TOL, TOL);
        assertClose(what + "dhPrev", expected(dhPrev), dhpOut, n, TOL, TOL);
    }

    @Test
    void rnnTanhAndReluMatchTheReference() {
        Random rnd = new Random(3);
        for (int b : BATCHES) {
            for (int h : HIDDENS) {
                for (boolean relu : new boolean[] {false, true}) {
                    for (boolean scalarTwin : new boolean[] {false, true}) {
                        int n = b * h;
                        float[] xg = span(rnd, n, -2f, 2f), hg = span(rnd, n, -2f, 2f), dh = span(rnd, n, -1f, 1f);
                        double[] hy = new double[n], dPre = new double[n];
                        for (int e = 0; e < n; e++) {
                            double pre = (double) v(xg, e) + v(hg, e);
                            hy[e] = relu ? Math.max(pre, 0) : Math.tanh(pre);
                            dPre[e] = relu ? (hy[e] <= 0 ? 0 : v(dh, e)) : v(dh, e) * (1 - hy[e] * hy[e]);
                        }
                        float[] hOut = output(n), dOut = output(n);
                        if (scalarTwin) {
                            ScalarRecurrent.rnnForward(0, b, h, relu, xg, OFFSET, hg, OFFSET, hOut, OFFSET);
                            ScalarRecurrent.rnnBackward(0, b, h, relu, hOut, OFFSET, dh, OFFSET, dOut, OFFSET);
                        } else {
                            Recurrent.rnnForward(b, h, relu, xg, OFFSET, hg, OFFSET, hOut, OFFSET);
                            Recurrent.rnnBackward(b, h, relu, hOut, OFFSET, dh, OFFSET, dOut, OFFSET);
                        }
                        String what = (scalarTwin ? "scalar " : "") + (relu ? "relu" : "tanh") + " b=" + b + " h=" + h;
                        assertClose(what + " h", expected(hy), hOut, n, TOL, TOL);
                        assertClose(what + " dPre", expected(dPre), dOut, n, TOL, TOL);
                    }
                }
            }
        }
    }

    @Test
    void inPlaceFormsGiveTheSameResults() {
        Random r = new Random(4);
        int b = 3, h = 19, n = b * h;
        Lstm p = Lstm.random(r, b, h);
        float[] gates = output(4 * n), c = output(n), hy = output(n);
        Recurrent.lstmForward(b, h, p.xg, OFFSET, p.hg, OFFSET, p.cPrev, OFFSET, gates, OFFSET, c, OFFSET, hy, OFFSET);
        float[] xg = p.xg.clone(), c2 = output(n), h2 = output(n);
        Recurrent.lstmForward(b, h, xg, OFFSET, p.hg, OFFSET, p.cPrev, OFFSET, xg, OFFSET, c2, OFFSET, h2, OFFSET);
        assertSameSpan("gates written over xg", gates, xg, 4 * n);
        assertSameBits("c", c, c2);
        assertSameBits("h", hy, h2);
        float[] dg = output(4 * n), dcp = output(n);
        Recurrent.lstmBackward(b, h, gates, OFFSET, p.cPrev, OFFSET, c, OFFSET, p.dh, OFFSET, p.dc, OFFSET,
                dg, OFFSET, dcp, OFFSET);
        float[] dc = p.dc.clone(), dg2 = output(4 * n);
        Recurrent.lstmBackward(b, h, gates, OFFSET, p.cPrev, OFFSET, c, OFFSET, p.dh, OFFSET, dc, OFFSET,
                dg2, OFFSET, dc, OFFSET);
        assertSameSpan("dcPrev written over dc", dcp, dc, n);
        assertSameBits("dGates", dg, dg2);
        float[] pre = span(r, n, -2f, 2f), rh = span(r, n, -2f, 2f), out = output(n);
        Recurrent.rnnForward(b, h, false, pre, OFFSET, rh, OFFSET, out, OFFSET);
        Recurrent.rnnForward(b, h, false, pre, OFFSET, rh, OFFSET, pre, OFFSET);
        assertSameSpan("rnn h written over xg", out, pre, n);
    }

    /** Same bits in the {@code n} values at {@code OFFSET} (the padding of an in-place operand differs). */
    private static void assertSameSpan(String what, float[] want, float[] got, int n) {
        assertSameBits(what, java.util.Arrays.copyOfRange(want, OFFSET, OFFSET + n),
                java.util.Arrays.copyOfRange(got, OFFSET, OFFSET + n));
    }

    @Test
    void largeBatchesGiveTheSameBitsOnAnyThreadCount() {
        Random r = new Random(5);
        int b = 130, h = 130, n = b * h; // 67600 gate elements: more than one parallel chunk
        Lstm p = Lstm.random(r, b, h);
        float[][] one = lstmStep(p, 1), four = lstmStep(p, 4);
        for (int i = 0; i < one.length; i++) {
            assertSameBits("output " + i, one[i], four[i]);
        }
        float[] xg = span(r, 3 * n, -2f, 2f), hg = span(r, 3 * n, -2f, 2f), hp = span(r, n, -1f, 1f);
        float[][] g = new float[2][], hy = new float[2][];
        for (int t = 0; t < 2; t++) {
            int k = t;
            g[k] = output(4 * n);
            hy[k] = output(n);
            KernelTesting.withThreads(k == 0 ? 1 : 4,
                    () -> Recurrent.gruForward(b, h, xg, OFFSET, hg, OFFSET, hp, OFFSET, g[k], OFFSET, hy[k], OFFSET));
        }
        assertSameBits("gru gates", g[0], g[1]);
        assertSameBits("gru h", hy[0], hy[1]);
        int rb = 260, rh = 260, rn = rb * rh; // the RNN's one gate: 67600 elements, more than one chunk too
        float[] rx = span(r, rn, -2f, 2f), rhg = span(r, rn, -2f, 2f);
        float[][] ry = new float[2][];
        for (int t = 0; t < 2; t++) {
            int k = t;
            ry[k] = output(rn);
            KernelTesting.withThreads(k == 0 ? 1 : 4,
                    () -> Recurrent.rnnForward(rb, rh, false, rx, OFFSET, rhg, OFFSET, ry[k], OFFSET));
        }
        assertSameBits("rnn tanh h", ry[0], ry[1]);
    }

    /**
     * Once warm, a step allocates (almost) nothing: a recurrent layer calls these once per time step, so
     * anything allocated per call is garbage per step. This catches scratch allocated per call (the LSTM
     * backward's tanh(c) block once was, 8 KB a step here) and vectors that C2 fails to keep in registers
     * (~100 bytes per vector; the passes exist to keep them unboxed). Batch 8, hidden 256: one thread.
     */
    @Test
    void stepsAllocateNothingBigOnceWarm() {
        Random r = new Random(6);
        int b = 8, h = 256, n = b * h;
        Lstm p = Lstm.random(r, b, h);
        float[] gates = new float[4 * n], c = new float[n], hy = new float[n], dg = new float[4 * n], dcp = new float[n];
        float[] xg3 = span(r, 3 * n, -2f, 2f), hg3 = span(r, 3 * n, -2f, 2f), hp = span(r, n, -1f, 1f);
        float[] dxg = new float[3 * n], dhg = new float[3 * n], dhp = new float[n];
        Runnable[] steps = {
            () -> Recurrent.lstmForward(b, h, p.xg, OFFSET, p.hg, OFFSET, p.cPrev, OFFSET, gates, 0, c, 0, hy, 0),
            () -> Recurrent.lstmBackward(b, h, gates, 0, p.cPrev, OFFSET, c, 0, p.dh, OFFSET, p.dc, OFFSET, dg, 0, dcp, 0),
            () -> Recurrent.lstmBackward(b, h, gates, 0, p.cPrev, OFFSET, c, 0, p.dh, OFFSET, null, 0, dg, 0, dcp, 0),
            () -> Recurrent.gruForward(b, h, xg3, OFFSET, hg3, OFFSET, hp, OFFSET, gates, 0, hy, 0),
            () -> Recurrent.gruBackward(b, h, gates, 0, hp, OFFSET, p.dh, OFFSET, dxg, 0, dhg, 0, dhp, 0),
            () -> Recurrent.rnnForward(b, h, false, xg3, OFFSET, hg3, OFFSET, hy, 0),
        };
        String[] names = {"lstmForward", "lstmBackward", "lstmBackward (dc null)", "gruForward", "gruBackward",
            "rnnForward (tanh)"};
        KernelTesting.withThreads(1, () -> {
            for (int s = 0; s < steps.length; s++) {
                // Rounds of 50 calls, for up to 5 s: 2000 calls were not enough for C2 on a busy machine.
                long perCall = KernelTesting.warmAllocationPerCall(steps[s], 50, 2048, 5);
                assertTrue(perCall < 2048, names[s] + ": allocated " + perCall + " bytes a call");
            }
        });
    }

    private static float[][] lstmStep(Lstm p, int threads) {
        int n = p.b * p.h;
        float[] gates = output(4 * n), c = output(n), hy = output(n), dg = output(4 * n), dcp = output(n);
        KernelTesting.withThreads(threads, () -> {
            Recurrent.lstmForward(p.b, p.h, p.xg, OFFSET, p.hg, OFFSET, p.cPrev, OFFSET, gates, OFFSET, c, OFFSET, hy, OFFSET);
            Recurrent.lstmBackward(p.b, p.h, gates, OFFSET, p.cPrev, OFFSET, c, OFFSET, p.dh, OFFSET, p.dc, OFFSET,
                    dg, OFFSET, dcp, OFFSET);
        });
        return new float[][] {gates, c, hy, dg, dcp};
    }

    @Test
    void badArgumentsAreRejectedBeforeAnythingIsWritten() {
        float[] small = new float[7], out = new float[8];
        float[] big = new float[64];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Recurrent.lstmForward(2, 2, big, 0, big, 0, small, 0, out, 0, big, 0, big, 0));
        assertTrue(e.getMessage().contains("Recurrent.lstmForward") && e.getMessage().contains("gates"), e.getMessage());
        for (float x : out) {
            assertTrue(x == 0f);
        }
        e = assertThrows(IllegalArgumentException.class,
                () -> Recurrent.gruBackward(-1, 2, big, 0, big, 0, big, 0, big, 0, big, 0, big, 0));
        assertTrue(e.getMessage().contains("batch = -1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Recurrent.rnnForward(2, 3, true, big, 0, null, 0, big, 0));
        assertTrue(e.getMessage().contains("hg is null"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Recurrent.lstmBackward(2, 2, big, 0, big, 0, big, 0, big, 0, small, 4, big, 0, big, 0));
        assertTrue(e.getMessage().contains("dc is too short"), e.getMessage());
    }
}
