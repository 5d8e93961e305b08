package dev.lanes.kernels.ops;

/**
 * Scalar twins of {@link VectorRecurrent}: one time step of the recurrent cells over rows {@code [r0, r1)}
 * of the batch, written plainly. Sigmoid and tanh are computed in double precision and rounded once (as
 * {@link ScalarActivations}); the state updates use PyTorch's float expressions in PyTorch's order. Layouts
 * and meanings: see {@code dev.lanes.kernels.Recurrent}.
 */
public final class ScalarRecurrent {
    private ScalarRecurrent() {}

    public static void lstmForward(int r0, int r1, int h, float[] xg, int xgOff, float[] hg, int hgOff,
                                   float[] cPrev, int cPrevOff, float[] gates, int gatesOff,
                                   float[] c, int cOff, float[] hOut, int hOff) {
        int w = 4 * h;
        for (int b = r0; b < r1; b++) {
            int x = xgOff + b * w, y = hgOff + b * w, g = gatesOff + b * w, s = b * h;
            for (int j = 0; j < w; j++) {
                float pre = xg[x + j] + hg[y + j];
                gates[g + j] = j >= 2 * h && j < 3 * h ? ScalarActivations.tanh(pre) : ScalarActivations.sigmoid(pre);
            }
            for (int j = 0; j < h; j++) {
                float i = gates[g + j], f = gates[g + h + j], cg = gates[g + 2 * h + j], o = gates[g + 3 * h + j];
                float cy = f * cPrev[cPrevOff + s + j] + i * cg;
                c[cOff + s + j] = cy;
                hOut[hOff + s + j] = o * ScalarActivations.tanh(cy);
            }
        }
    }

    public static void lstmBackward(int r0, int r1, int h, float[] gates, int gatesOff, float[] cPrev, int cPrevOff,
                                    float[] c, int cOff, float[] dh, int dhOff, float[] dc, int dcOff,
                                    float[] dGates, int dGatesOff, float[] dcPrev, int dcPrevOff) {
        int w = 4 * h;
        for (int b = r0; b < r1; b++) {
            int g = gatesOff + b * w, dg = dGatesOff + b * w, s = b * h;
            for (int j = 0; j < h; j++) {
                float i = gates[g + j], f = gates[g + h + j], cg = gates[g + 2 * h + j], o = gates[g + 3 * h + j];
                float tc = ScalarActivations.tanh(c[cOff + s + j]);
                float gh = dh[dhOff + s + j];
                float gc = (dc == null ? 0f : dc[dcOff + s + j]) + gh * o * (1f - tc * tc);
                float cp = cPrev[cPrevOff + s + j];
                dGates[dg + j] = gc * cg * (i * (1f - i));
                dGates[dg + h + j] = gc * cp * (f * (1f - f));
                dGates[dg + 2 * h + j] = gc * i * (1f - cg * cg);
                dGates[dg + 3 * h + j] = gh * tc * (o * (1f - o));
                dcPrev[dcPrevOff + s + j] = gc * f;
            }
        }
    }

    public static void gruForward(int r0, int r1, int h, float[] xg, int xgOff, float[] hg, int hgOff,
                                  float[] hPrev, int hPrevOff, float[] gates, int gatesOff, float[] hOut, int hOff) {
        int w = 3 * h;
        for (int b = r0; b < r1; b++) {
            int x = xgOff + b * w, y = hgOff + b * w, g = gatesOff + b * 4 * h, s = b * h;
            for (int j = 0; j < 2 * h; j++) {
                gates[g + j] = ScalarActivations.sigmoid(xg[x + j] + hg[y + j]);
            }
            for (int j = 0; j < h; j++) {
                float r = gates[g + j], z = gates[g + h + j];
                float hn = hg[y + 2 * h + j];
                float n = ScalarActivations.tanh(xg[x + 2 * h + j] + r * hn);
                gates[g + 2 * h + j] = n;
                gates[g + 3 * h + j] = hn;
                hOut[hOff + s + j] = (hPrev[hPrevOff + s + j] - n) * z + n;
            }
        }
    }

    public static void gruBackward(int r0, int r1, int h, float[] gates, int gatesOff, float[] hPrev, int hPrevOff,
                                   float[] dh, int dhOff, float[] dxg, int dxgOff, float[] dhg, int dhgOff,
                                   float[] dhPrev, int dhPrevOff) {
        int w = 3 * h;
        for (int b = r0; b < r1; b++) {
            int g = gatesOff + b * 4 * h, dx = dxgOff + b * w, dy = dhgOff + b * w, s = b * h;
            for (int j = 0; j < h; j++) {
                float r = gates[g + j], z = gates[g + h + j], n = gates[g + 2 * h + j], hn = gates[g + 3 * h + j];
                float gh = dh[dhOff + s + j];
                float dnPre = gh * (1f - z) * (1f - n * n);
                float drPre = dnPre * hn * (r * (1f - r));
                float dzPre = gh * (hPrev[hPrevOff + s + j] - n) * (z * (1f - z));
                dxg[dx + j] = drPre;
                dxg[dx + h + j] = dzPre;
                dxg[dx + 2 * h + j] = dnPre;
                dhg[dy + j] = drPre;
                dhg[dy + h + j] = dzPre;
                dhg[dy + 2 * h + j] = dnPre * r;
                dhPrev[dhPrevOff + s + j] = gh * z;
            }
        }
    }

    public static void rnnForward(int r0, int r1, int h, boolean relu, float[] xg, int xgOff, float[] hg, int hgOff,
                                  float[] hOut, int hOff) {
        for (int e = r0 * h; e < r1 * h; e++) {
            float pre = xg[xgOff + e] + hg[hgOff + e];
            hOut[hOff + e] = relu ? ScalarActivations.relu(pre) : ScalarActivations.tanh(pre);
        }
    }

    public static void rnnBackward(int r0, int r1, int h, boolean relu, float[] hOut, int hOff, float[] dh, int dhOff,
                                   float[] dPre, int dPreOff) {
        for (int e = r0 * h; e < r1 * h; e++) {
            float y = hOut[hOff + e], g = dh[dhOff + e];
            dPre[dPreOff + e] = relu ? (y <= 0f ? 0f : g) : g * (1f - y * y);
        }
    }
}
