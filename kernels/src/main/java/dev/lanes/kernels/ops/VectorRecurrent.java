package dev.lanes.kernels.ops;

import static dev.lanes.kernels.internal.VectorMath.S;

import dev.lanes.kernels.internal.ScalarMath;
import dev.lanes.kernels.internal.VectorMath;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import jdk.incubator.vector.FloatVector;

/**
 * One time step of the recurrent cells with the Vector API, over rows {@code [r0, r1)} of the batch, in a
 * few passes over the rows' gate blocks: one pass per non-linearity, then the state update. Every pass is
 * its own method holding its loop over the rows, with at most one transcendental, and the passes with one
 * are called through {@link #PASSES}, so that C2 compiles each on its own: a caller that inlined several
 * (as happened, depending on the order of compilation and on the passes' compiled size) exceeds C2's
 * inlining budget and boxes every vector of the passes it could not inline: 170 MB per forward + backward
 * of a 100-step LSTM, or a forward step 2.4x as long. Tails are scalar with the vector lanes'
 * operations in the same order (same bits); no helper returns a vector besides the inlined VectorMath
 * ones: masked-vector tails and vector-returning helpers made C2 box vectors (see lstmBackwardRows). Twins: {@link ScalarRecurrent}.
 *
 * <p>The gates' tanh and sigmoid are {@link VectorMath#tanhRational} and {@link VectorMath#sigmoidRational}
 * (absolute error below 3e-7, a third of the operations of the 4-ulp versions; the tails use their scalar
 * versions, same bits): on a 100-step LSTM(64->256) at batch 32 they took the forward's gate passes from
 * 6.8 % to 5.7 % of a forward+backward, and the backward's tanh(c) pass from 1.7 % to 0.8 % (perf samples).
 * Their clamps by compare and blend (instead of {@code max} and {@code min}), with the passes called through
 * {@link #PASSES}, then took an LSTM forward step's passes (16 rows, 256 units) from 9.1 to 5.5 us and the
 * backward's from 3.5 to 2.8 us.
 */
public final class VectorRecurrent {
    private static final int V = S.length();

    /**
     * Per thread, grown on demand and kept: {@code tanh(c)} of the rows an LSTM backward step differentiates,
     * and a row of zeros for a null {@code dc} (never written). The backward runs once per time step, so
     * allocating them per call would allocate per step.
     */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[0]});

    private VectorRecurrent() {}

    /**
     * The passes that hold a transcendental, called through method handles that C2 does not see through: an
     * element of an array is not a compile-time constant, so a call through it is never inlined, whatever the
     * pass's compiled size and whichever method was compiled first (a pass's compiled size alone kept C2 from
     * inlining it until the clamps of the rational functions made the passes smaller). A call through a
     * handle costs nanoseconds; a pass runs for about a microsecond. Keep them in the array: a handle in a
     * {@code static final} field is a constant that C2 inlines through ({@code -XX:+PrintInlining} shows
     * these calls as "receiver not constant").
     */
    private static final MethodHandle[] PASSES;
    private static final int SIGMOID_OF_SUM = 0, TANH_OF_SUM = 1, LSTM_STATE = 2, GRU_STATE = 3, TANH = 4;

    static {
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        MethodType ofSum = MethodType.methodType(void.class, int.class, int.class, float[].class, int.class,
                int.class, float[].class, int.class, int.class, float[].class, int.class, int.class);
        try {
            PASSES = new MethodHandle[] {
                lookup.findStatic(VectorRecurrent.class, "sigmoidOfSum", ofSum),
                lookup.findStatic(VectorRecurrent.class, "tanhOfSum", ofSum),
                lookup.findStatic(VectorRecurrent.class, "lstmState", MethodType.methodType(void.class, int.class,
                        int.class, float[].class, int.class, float[].class, int.class, float[].class, int.class,
                        float[].class, int.class)),
                lookup.findStatic(VectorRecurrent.class, "gruState", MethodType.methodType(void.class, int.class,
                        int.class, float[].class, int.class, float[].class, int.class, float[].class, int.class,
                        float[].class, int.class, float[].class, int.class)),
                lookup.findStatic(VectorRecurrent.class, "tanh", MethodType.methodType(void.class, int.class,
                        int.class, float[].class, int.class, float[].class, int.class)),
            };
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** {@code out = sigmoid(a + b)} ({@code pass} {@link #SIGMOID_OF_SUM}) or {@code tanh(a + b)} ({@link #TANH_OF_SUM}). */
    private static void ofSum(int pass, int rows, int n, float[] a, int a0, int as, float[] b, int b0, int bs,
                              float[] out, int o0, int os) {
        try {
            PASSES[pass].invokeExact(rows, n, a, a0, as, b, b0, bs, out, o0, os);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    /** The passes throw only unchecked exceptions (bounds), passed on as they are. */
    private static RuntimeException unchecked(Throwable e) {
        if (e instanceof Error error) {
            throw error;
        }
        if (e instanceof RuntimeException runtime) {
            return runtime;
        }
        return new IllegalStateException(e);
    }

    public static void lstmForward(int r0, int r1, int h, float[] xg, int xgOff, float[] hg, int hgOff,
                                   float[] cPrev, int cPrevOff, float[] gates, int gatesOff,
                                   float[] c, int cOff, float[] hOut, int hOff) {
        int w = 4 * h, rows = r1 - r0, x = xgOff + r0 * w, y = hgOff + r0 * w, g = gatesOff + r0 * w, s = r0 * h;
        ofSum(SIGMOID_OF_SUM, rows, 2 * h, xg, x, w, hg, y, w, gates, g, w);                        // i, f
        ofSum(TANH_OF_SUM, rows, h, xg, x + 2 * h, w, hg, y + 2 * h, w, gates, g + 2 * h, w);        // g
        ofSum(SIGMOID_OF_SUM, rows, h, xg, x + 3 * h, w, hg, y + 3 * h, w, gates, g + 3 * h, w);     // o
        try {
            PASSES[LSTM_STATE].invokeExact(rows, h, gates, g, cPrev, cPrevOff + s, c, cOff + s, hOut, hOff + s);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    /** {@code out = sigmoid(a + b)} over {@code n} elements. */
    private static void sigmoidOfSum(int rows, int n, float[] a, int a0, int as, float[] b, int b0, int bs,
                                     float[] out, int o0, int os) {
        for (int r = 0; r < rows; r++) {
            int ao = a0 + r * as, bo = b0 + r * bs, oo = o0 + r * os;
            int j = 0;
            for (int bound = S.loopBound(n); j < bound; j += V) {
                FloatVector v = FloatVector.fromArray(S, a, ao + j).add(FloatVector.fromArray(S, b, bo + j));
                VectorMath.sigmoidRational(v).intoArray(out, oo + j);
            }
            for (; j < n; j++) {
                out[oo + j] = ScalarMath.sigmoidRational(a[ao + j] + b[bo + j]);
            }
        }
    }

    /** {@code out = tanh(a + b)} over {@code n} elements. */
    private static void tanhOfSum(int rows, int n, float[] a, int a0, int as, float[] b, int b0, int bs,
                                  float[] out, int o0, int os) {
        for (int r = 0; r < rows; r++) {
            int ao = a0 + r * as, bo = b0 + r * bs, oo = o0 + r * os;
            int j = 0;
            for (int bound = S.loopBound(n); j < bound; j += V) {
                FloatVector v = FloatVector.fromArray(S, a, ao + j).add(FloatVector.fromArray(S, b, bo + j));
                VectorMath.tanhRational(v).intoArray(out, oo + j);
            }
            for (; j < n; j++) {
                out[oo + j] = ScalarMath.tanhRational(a[ao + j] + b[bo + j]);
            }
        }
    }

    /** {@code c = f * cPrev + i * g; h = o * tanh(c)} for one row, given the activated gates at {@code g}. */
    private static void lstmState(int rows, int h, float[] gates, int g0, float[] cPrev, int cp0, float[] c, int c0,
                                  float[] hOut, int h0) {
        for (int r = 0; r < rows; r++) {
            int g = g0 + r * 4 * h, cpo = cp0 + r * h, co = c0 + r * h, ho = h0 + r * h;
            int j = 0;
            for (int bound = S.loopBound(h); j < bound; j += V) {
                FloatVector i = FloatVector.fromArray(S, gates, g + j);
                FloatVector f = FloatVector.fromArray(S, gates, g + h + j);
                FloatVector cg = FloatVector.fromArray(S, gates, g + 2 * h + j);
                FloatVector o = FloatVector.fromArray(S, gates, g + 3 * h + j);
                FloatVector cy = f.mul(FloatVector.fromArray(S, cPrev, cpo + j)).add(i.mul(cg));
                cy.intoArray(c, co + j);
                o.mul(VectorMath.tanhRational(cy)).intoArray(hOut, ho + j);
            }
            for (; j < h; j++) {
                float cy = gates[g + h + j] * cPrev[cpo + j] + gates[g + j] * gates[g + 2 * h + j];
                c[co + j] = cy;
                hOut[ho + j] = gates[g + 3 * h + j] * ScalarMath.tanhRational(cy);
            }
        }
    }

    public static void lstmBackward(int r0, int r1, int h, float[] gates, int gatesOff, float[] cPrev, int cPrevOff,
                                    float[] c, int cOff, float[] dh, int dhOff, float[] dc, int dcOff,
                                    float[] dGates, int dGatesOff, float[] dcPrev, int dcPrevOff) {
        int w = 4 * h, rows = r1 - r0, s = r0 * h;
        float[][] scratch = SCRATCH.get();
        // A null dc (no gradient into the last cell state) reads a row of zeros for every row (stride 0).
        float[] zeros = null;
        if (dc == null) {
            zeros = scratch[1] = scratch[1].length >= h ? scratch[1] : new float[h];
        }
        // tanh(c) goes through a scratch block first: with the polynomial inlined into the gradient loop, the
        // loop is too large for C2 to keep its vectors unboxed (48 MB allocated per 100 steps).
        float[] tanhC = scratch[0] = scratch[0].length >= rows * h ? scratch[0] : new float[rows * h];
        try {
            PASSES[TANH].invokeExact(rows, h, c, cOff + s, tanhC, 0);
        } catch (Throwable e) {
            throw unchecked(e);
        }
        lstmBackwardRows(rows, h, gates, gatesOff + r0 * w, cPrev, cPrevOff + s, tanhC, 0, dh, dhOff + s,
                dc == null ? zeros : dc, dc == null ? 0 : dcOff + s, dc == null ? 0 : h, dGates, dGatesOff + r0 * w,
                dcPrev, dcPrevOff + s);
    }

    /** {@code out = tanh(x)} over {@code n} elements. */
    private static void tanh(int rows, int n, float[] x, int x0, float[] out, int o0) {
        for (int r = 0; r < rows; r++) {
            int xo = x0 + r * n, oo = o0 + r * n;
            int j = 0;
            for (int bound = S.loopBound(n); j < bound; j += V) {
                VectorMath.tanhRational(FloatVector.fromArray(S, x, xo + j)).intoArray(out, oo + j);
            }
            for (; j < n; j++) {
                out[oo + j] = ScalarMath.tanhRational(x[xo + j]);
            }
        }
    }

    /**
     * The gradient loop. Kept small on purpose (the tail is scalar, with the vector lanes' operations in the same
     * order, so the same bits; no helper returns a vector): with a masked vector copy of the loop as its tail
     * the method was big enough that C2 sometimes compiled it with the vector operations left as calls, boxing
     * every vector (a backward pass on two threads then took 40 ms instead of 30).
     */
    private static void lstmBackwardRows(int rows, int h, float[] gates, int g0, float[] cPrev, int cp0,
                                         float[] tanhC, int tc0, float[] dh, int dh0, float[] dc, int dc0, int dcStride,
                                         float[] dGates, int dg0, float[] dcPrev, int dcp0) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        int bound = S.loopBound(h);
        for (int r = 0; r < rows; r++) {
            int g = g0 + r * 4 * h, cpo = cp0 + r * h, tco = tc0 + r * h, dho = dh0 + r * h, dco = dc0 + r * dcStride;
            int dg = dg0 + r * 4 * h, dcpo = dcp0 + r * h;
            for (int j = 0; j < bound; j += V) {
                FloatVector i = FloatVector.fromArray(S, gates, g + j);
                FloatVector f = FloatVector.fromArray(S, gates, g + h + j);
                FloatVector cg = FloatVector.fromArray(S, gates, g + 2 * h + j);
                FloatVector o = FloatVector.fromArray(S, gates, g + 3 * h + j);
                FloatVector tc = FloatVector.fromArray(S, tanhC, tco + j);
                FloatVector gh = FloatVector.fromArray(S, dh, dho + j);
                FloatVector gc = FloatVector.fromArray(S, dc, dco + j).add(gh.mul(o).mul(one.sub(tc.mul(tc))));
                FloatVector cp = FloatVector.fromArray(S, cPrev, cpo + j);
                gc.mul(cg).mul(i.mul(one.sub(i))).intoArray(dGates, dg + j);
                gc.mul(cp).mul(f.mul(one.sub(f))).intoArray(dGates, dg + h + j);
                gc.mul(i).mul(one.sub(cg.mul(cg))).intoArray(dGates, dg + 2 * h + j);
                gh.mul(tc).mul(o.mul(one.sub(o))).intoArray(dGates, dg + 3 * h + j);
                gc.mul(f).intoArray(dcPrev, dcpo + j);
            }
            for (int j = bound; j < h; j++) {
                float i = gates[g + j], f = gates[g + h + j], cg = gates[g + 2 * h + j], o = gates[g + 3 * h + j];
                float tc = tanhC[tco + j], gh = dh[dho + j];
                float gc = dc[dco + j] + gh * o * (1f - tc * tc);
                float cp = cPrev[cpo + j];
                dGates[dg + j] = gc * cg * (i * (1f - i));
                dGates[dg + h + j] = gc * cp * (f * (1f - f));
                dGates[dg + 2 * h + j] = gc * i * (1f - cg * cg);
                dGates[dg + 3 * h + j] = gh * tc * (o * (1f - o));
                dcPrev[dcpo + j] = gc * f;
            }
        }
    }

    public static void gruForward(int r0, int r1, int h, float[] xg, int xgOff, float[] hg, int hgOff,
                                  float[] hPrev, int hPrevOff, float[] gates, int gatesOff, float[] hOut, int hOff) {
        int w = 3 * h, rows = r1 - r0, x = xgOff + r0 * w, y = hgOff + r0 * w, g = gatesOff + r0 * 4 * h, s = r0 * h;
        ofSum(SIGMOID_OF_SUM, rows, 2 * h, xg, x, w, hg, y, w, gates, g, 4 * h); // r, z
        try {
            PASSES[GRU_STATE].invokeExact(rows, h, xg, x + 2 * h, hg, y + 2 * h, gates, g, hPrev, hPrevOff + s, hOut,
                    hOff + s);
        } catch (Throwable e) {
            throw unchecked(e);
        }
    }

    /**
     * {@code n = tanh(xn + r * hn); h = (hPrev - n) * z + n} for one row (PyTorch's order of operations),
     * storing {@code n} and {@code hn} after {@code r, z} in the gate row.
     */
    private static void gruState(int rows, int h, float[] xg, int xn0, float[] hg, int hn0, float[] gates, int g0,
                                 float[] hPrev, int hp0, float[] hOut, int h0) {
        for (int row = 0; row < rows; row++) {
            int xn = xn0 + row * 3 * h, hn = hn0 + row * 3 * h, g = g0 + row * 4 * h, hpo = hp0 + row * h, ho = h0 + row * h;
            int j = 0;
            for (int bound = S.loopBound(h); j < bound; j += V) {
                FloatVector r = FloatVector.fromArray(S, gates, g + j);
                FloatVector z = FloatVector.fromArray(S, gates, g + h + j);
                FloatVector hnv = FloatVector.fromArray(S, hg, hn + j);
                FloatVector n = VectorMath.tanhRational(FloatVector.fromArray(S, xg, xn + j).add(r.mul(hnv)));
                n.intoArray(gates, g + 2 * h + j);
                hnv.intoArray(gates, g + 3 * h + j);
                FloatVector.fromArray(S, hPrev, hpo + j).sub(n).mul(z).add(n).intoArray(hOut, ho + j);
            }
            for (; j < h; j++) {
                float r = gates[g + j], z = gates[g + h + j], hnv = hg[hn + j];
                float n = ScalarMath.tanhRational(xg[xn + j] + r * hnv);
                gates[g + 2 * h + j] = n;
                gates[g + 3 * h + j] = hnv;
                hOut[ho + j] = (hPrev[hpo + j] - n) * z + n;
            }
        }
    }

    public static void gruBackward(int r0, int r1, int h, float[] gates, int gatesOff, float[] hPrev, int hPrevOff,
                                   float[] dh, int dhOff, float[] dxg, int dxgOff, float[] dhg, int dhgOff,
                                   float[] dhPrev, int dhPrevOff) {
        int s = r0 * h;
        gruBackwardRows(r1 - r0, h, gates, gatesOff + r0 * 4 * h, hPrev, hPrevOff + s, dh, dhOff + s,
                dxg, dxgOff + r0 * 3 * h, dhg, dhgOff + r0 * 3 * h, dhPrev, dhPrevOff + s);
    }

    private static void gruBackwardRows(int rows, int h, float[] gates, int g0, float[] hPrev, int hp0, float[] dh,
                                        int dh0, float[] dxg, int dx0, float[] dhg, int dy0, float[] dhPrev, int dhp0) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (int row = 0; row < rows; row++) {
            int g = g0 + row * 4 * h, hpo = hp0 + row * h, dho = dh0 + row * h, dx = dx0 + row * 3 * h, dy = dy0 + row * 3 * h;
            int dhpo = dhp0 + row * h;
            int j = 0;
            for (int bound = S.loopBound(h); j < bound; j += V) {
                FloatVector r = FloatVector.fromArray(S, gates, g + j);
                FloatVector z = FloatVector.fromArray(S, gates, g + h + j);
                FloatVector n = FloatVector.fromArray(S, gates, g + 2 * h + j);
                FloatVector hn = FloatVector.fromArray(S, gates, g + 3 * h + j);
                FloatVector gh = FloatVector.fromArray(S, dh, dho + j);
                FloatVector dnPre = gh.mul(one.sub(z)).mul(one.sub(n.mul(n)));
                FloatVector drPre = dnPre.mul(hn).mul(r.mul(one.sub(r)));
                FloatVector dzPre = gh.mul(FloatVector.fromArray(S, hPrev, hpo + j).sub(n)).mul(z.mul(one.sub(z)));
                drPre.intoArray(dxg, dx + j);
                dzPre.intoArray(dxg, dx + h + j);
                dnPre.intoArray(dxg, dx + 2 * h + j);
                drPre.intoArray(dhg, dy + j);
                dzPre.intoArray(dhg, dy + h + j);
                dnPre.mul(r).intoArray(dhg, dy + 2 * h + j);
                gh.mul(z).intoArray(dhPrev, dhpo + j);
            }
            for (; j < h; j++) {
                float r = gates[g + j], z = gates[g + h + j], n = gates[g + 2 * h + j], hn = gates[g + 3 * h + j];
                float gh = dh[dho + j];
                float dnPre = gh * (1f - z) * (1f - n * n);
                float drPre = dnPre * hn * (r * (1f - r));
                float dzPre = gh * (hPrev[hpo + j] - n) * (z * (1f - z));
                dxg[dx + j] = drPre;
                dxg[dx + h + j] = dzPre;
                dxg[dx + 2 * h + j] = dnPre;
                dhg[dy + j] = drPre;
                dhg[dy + h + j] = dzPre;
                dhg[dy + 2 * h + j] = dnPre * r;
                dhPrev[dhpo + j] = gh * z;
            }
        }
    }

    public static void rnnForward(int r0, int r1, int h, boolean relu, float[] xg, int xgOff, float[] hg, int hgOff,
                                  float[] hOut, int hOff) {
        int from = r0 * h, n = (r1 - r0) * h;
        if (relu) {
            reluOfSum(n, xg, xgOff + from, hg, hgOff + from, hOut, hOff + from);
        } else {
            ofSum(TANH_OF_SUM, 1, n, xg, xgOff + from, 0, hg, hgOff + from, 0, hOut, hOff + from, 0);
        }
    }

    /** {@code out = max(a + b, 0)}, NaN stays NaN. */
    private static void reluOfSum(int n, float[] a, int ao, float[] b, int bo, float[] out, int oo) {
        int j = 0;
        for (int bound = S.loopBound(n); j < bound; j += V) {
            FloatVector.fromArray(S, a, ao + j).add(FloatVector.fromArray(S, b, bo + j)).max(0f).intoArray(out, oo + j);
        }
        for (; j < n; j++) {
            out[oo + j] = ScalarActivations.relu(a[ao + j] + b[bo + j]);
        }
    }

    public static void rnnBackward(int r0, int r1, int h, boolean relu, float[] hOut, int hOff, float[] dh, int dhOff,
                                   float[] dPre, int dPreOff) {
        int from = r0 * h, n = (r1 - r0) * h;
        if (relu) {
            VectorActivations.reluBackward(n, hOut, hOff + from, dh, dhOff + from, dPre, dPreOff + from);
            return;
        }
        int yo = hOff + from, go = dhOff + from, oo = dPreOff + from;
        FloatVector one = FloatVector.broadcast(S, 1f);
        int j = 0;
        for (int bound = S.loopBound(n); j < bound; j += V) {
            FloatVector y = FloatVector.fromArray(S, hOut, yo + j);
            FloatVector.fromArray(S, dh, go + j).mul(one.sub(y.mul(y))).intoArray(dPre, oo + j);
        }
        for (; j < n; j++) {
            float y = hOut[yo + j];
            dPre[oo + j] = dh[go + j] * (1f - y * y);
        }
    }
}
