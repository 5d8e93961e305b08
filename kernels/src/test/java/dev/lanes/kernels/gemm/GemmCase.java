package dev.lanes.kernels.gemm;

import static org.junit.jupiter.api.Assertions.fail;

import dev.lanes.kernels.Activation;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * One randomly filled GEMM problem: operands with padded leading dimensions and non-zero offsets, and a
 * double-precision reference with the error bound it may be held to.
 */
public final class GemmCase {
    /** Float rounding unit, 2^-24. */
    static final double EPS = 0x1p-24;

    final boolean transA, transB;
    final int m, n, k;
    final float alpha, beta;
    final float[] a, b, c, bias;
    final int aOff, lda, bOff, ldb, cOff, ldc, biasOff;
    final Activation act;

    GemmCase(SplittableRandom random, boolean transA, boolean transB, int m, int n, int k,
             float alpha, float beta, boolean padded, float[] bias, int biasOff, Activation act) {
        this.transA = transA;
        this.transB = transB;
        this.m = m;
        this.n = n;
        this.k = k;
        this.alpha = alpha;
        this.beta = beta;
        int aCols = transA ? m : k, aRows = transA ? k : m;
        int bCols = transB ? k : n, bRows = transB ? n : k;
        this.lda = Math.max(1, aCols) + (padded ? 1 + random.nextInt(5) : 0);
        this.ldb = Math.max(1, bCols) + (padded ? 1 + random.nextInt(5) : 0);
        this.ldc = Math.max(1, n) + (padded ? 1 + random.nextInt(5) : 0);
        this.aOff = padded ? random.nextInt(7) : 0;
        this.bOff = padded ? random.nextInt(7) : 0;
        this.cOff = padded ? random.nextInt(7) : 0;
        this.a = filled(random, aOff + aRows * lda + 3);
        this.b = filled(random, bOff + bRows * ldb + 3);
        this.c = filled(random, cOff + m * ldc + 3);
        if (beta == 0f) { // C must not be read: poison it
            Arrays.fill(c, Float.NaN);
        }
        this.bias = bias;
        this.biasOff = biasOff;
        this.act = act;
    }

    static GemmCase random(SplittableRandom random, boolean transA, boolean transB, int m, int n, int k,
                           float alpha, float beta) {
        return new GemmCase(random, transA, transB, m, n, k, alpha, beta, true, null, 0, Activation.IDENTITY);
    }

    static float[] filled(SplittableRandom random, int length) {
        float[] x = new float[length];
        for (int i = 0; i < length; i++) {
            x[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return x;
    }

    float opA(int i, int p) {
        return transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
    }

    float opB(int p, int j) {
        return transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
    }

    /** Runs {@code backend} on a copy of C and returns that copy. */
    float[] runOn(GemmBackend backend) {
        float[] out = c.clone();
        backend.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, out, cOff, ldc,
                bias, biasOff, act);
        return out;
    }

    /**
     * Checks {@code out} against the double-precision product: every element within
     * {@code (2k + 4) eps (|alpha| sum_p |a||b| + |beta c|)} before the activation (the classic GEMM error
     * bound with a safety factor), and every element outside C's m x n window untouched.
     */
    void assertMatchesReference(float[] out, String label) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0, magnitude = 0;
                for (int p = 0; p < k; p++) {
                    double prod = (double) opA(i, p) * opB(p, j);
                    sum += prod;
                    magnitude += Math.abs(prod);
                }
                double old = beta == 0f ? 0 : c[cOff + i * ldc + j];
                double expected = alpha * sum + beta * old;
                double bound = (2.0 * k + 4) * EPS * (Math.abs(alpha) * magnitude + Math.abs(beta * old)) + 1e-30;
                if (bias != null) {
                    expected += bias[biasOff + j];
                    bound += EPS * Math.abs(expected) * 2;
                }
                float got = out[cOff + i * ldc + j];
                if (act != Activation.IDENTITY) {
                    // The activations have slopes below 1.2, so input error grows at most 1.2-fold; on top,
                    // allow the vectorized function its own few ulps (relative to output and input).
                    double activated = act.apply((float) expected);
                    bound = 1.2 * bound + 16 * EPS * (Math.abs(activated) + 0.5 * Math.abs(expected));
                    expected = activated;
                }
                if (!(Math.abs(got - expected) <= bound)) {
                    fail(label + ": C[" + i + "," + j + "] = " + got + ", expected " + expected + " +- " + bound
                            + " (" + this + ")");
                }
            }
        }
        assertOutsideUntouched(out, label);
    }

    void assertOutsideUntouched(float[] out, String label) {
        for (int idx = 0; idx < out.length; idx++) {
            int rel = idx - cOff;
            boolean inside = rel >= 0 && rel / ldc < m && rel % ldc < n;
            if (!inside && Float.floatToRawIntBits(out[idx]) != Float.floatToRawIntBits(c[idx])) {
                fail(label + ": wrote outside C at index " + idx + " (" + this + ")");
            }
        }
    }

    @Override
    public String toString() {
        return "transA=" + transA + " transB=" + transB + " m=" + m + " n=" + n + " k=" + k + " alpha=" + alpha
                + " beta=" + beta + " lda=" + lda + " ldb=" + ldb + " ldc=" + ldc + " offsets=" + aOff + "/" + bOff
                + "/" + cOff + (bias != null ? " bias" : "") + " act=" + act;
    }
}
