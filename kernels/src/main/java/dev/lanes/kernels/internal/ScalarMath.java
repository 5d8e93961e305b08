package dev.lanes.kernels.internal;

/** Double-precision functions the JDK lacks, used by the scalar twins and as test references. */
public final class ScalarMath {
    /** {@code 1 / sqrt(2)}. */
    public static final double SQRT1_2 = 0.7071067811865476;
    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;

    private ScalarMath() {}

    // Eigen's 13/6 rational interpolant of tanh on [-9, 9] (see VectorMath.tanhRational).
    static final float TANH_A1 = 4.89352455891786e-03f, TANH_A3 = 6.37261928875436e-04f,
            TANH_A5 = 1.48572235717979e-05f, TANH_A7 = 5.12229709037114e-08f, TANH_A9 = -8.60467152213735e-11f,
            TANH_A11 = 2.00018790482477e-13f, TANH_A13 = -2.76076847742355e-16f;
    static final float TANH_B0 = 4.89352518554385e-03f, TANH_B2 = 2.26843463243900e-03f,
            TANH_B4 = 1.18534705686654e-04f, TANH_B6 = 1.19825839466702e-06f;

    /**
     * {@code VectorMath.tanhRational} on one float: the same arithmetic in the same order, so the same bits (the
     * vector version clamps by compare and blend, which gives the bits of these max and min, NaN included).
     */
    public static float tanhRational(float x) {
        float c = Math.min(Math.max(x, -9f), 9f);
        float x2 = c * c;
        float p = Math.fma(x2, TANH_A13, TANH_A11);
        p = Math.fma(p, x2, TANH_A9);
        p = Math.fma(p, x2, TANH_A7);
        p = Math.fma(p, x2, TANH_A5);
        p = Math.fma(p, x2, TANH_A3);
        p = Math.fma(p, x2, TANH_A1);
        float q = Math.fma(x2, TANH_B6, TANH_B4);
        q = Math.fma(q, x2, TANH_B2);
        q = Math.fma(q, x2, TANH_B0);
        return Math.min(Math.max(p * c / q, -1f), 1f);
    }

    /** {@code VectorMath.sigmoidRational} on one float, with the same bits. */
    public static float sigmoidRational(float x) {
        return Math.fma(tanhRational(x * 0.5f), 0.5f, 0.5f);
    }

    /**
     * The error function, to about 1e-15 relative error.
     *
     * <p>Uses the series {@code erf(x) = 2/sqrt(pi) exp(-x^2) sum_n 2^n x^(2n+1) / (1*3*...*(2n+1))}, whose
     * terms are all positive, so nothing cancels; beyond |x| = 6, erf(x) is 1 to within 2e-17.
     */
    public static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double ax = Math.abs(x);
        if (ax >= 6.0) {
            return Math.copySign(1.0, x);
        }
        double x2 = ax * ax;
        double term = ax;
        double sum = ax;
        for (int n = 1; n < 500; n++) {
            term *= 2.0 * x2 / (2 * n + 1);
            sum += term;
            if (term < 1e-17 * sum) {
                break;
            }
        }
        return Math.copySign(Math.min(1.0, TWO_OVER_SQRT_PI * Math.exp(-x2) * sum), x);
    }
}
