package dev.lanes.kernels.internal;

import dev.lanes.kernels.Activation;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vectorized activation functions over {@link FloatVector}s of the preferred species. Only loaded when the
 * Vector API is present. Small static methods so that C2 inlines them into the calling loop (a vector that
 * crosses a call C2 did not inline is boxed on the heap).
 *
 * <p>Everything here is plain IEEE arithmetic (add, multiply, fused multiply-add, divide, min, max), never
 * the Vector API's {@code EXP}/{@code TANH}: those call SVML once C2 has compiled the code but per-lane Java
 * before, and the two disagree in the last bit, so results would depend on JIT timing (and so on which
 * thread computed a tile). Accuracy, checked by {@code VectorMathTest} against
 * {@link dev.lanes.kernels.Activation#apply}: {@link #exp} within 2 ulps on [-87.3, 88.7] (0 below, +Inf
 * above); {@link #erf} within 7 ulps (4.2e-7 absolute, worst near |x| = 3.3; exactly +-1 from |x| = 3.92);
 * {@link #tanh} within 4 ulps; GELU, sigmoid and SiLU within a few ulps of their values.
 */
public final class VectorMath {
    public static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private VectorMath() {}

    /** {@code act(x)} lane-wise, with the definitions of {@link Activation}. */
    public static FloatVector activate(FloatVector x, Activation act) {
        return switch (act) {
            case IDENTITY -> x;
            case RELU -> relu(x);
            case GELU -> gelu(x);
            case SILU -> silu(x);
            case TANH -> tanh(x);
            case SIGMOID -> sigmoid(x);
        };
    }

    /** {@code max(x, 0)}; NaN stays NaN (the Vector API's MAX follows {@link Math#max}). */
    public static FloatVector relu(FloatVector x) {
        return x.max(0f);
    }

    /** {@code 1 / (1 + exp(-x))}; saturates to exactly 0 and 1 without overflow trouble. */
    public static FloatVector sigmoid(FloatVector x) {
        return FloatVector.broadcast(S, 1f).div(exp(x.neg()).add(1f));
    }

    /** {@code x / (1 + exp(-x))}. */
    public static FloatVector silu(FloatVector x) {
        return x.div(exp(x.neg()).add(1f));
    }

    /** {@code 0.5 x (1 + erf(x / sqrt 2))}, the exact GELU. */
    public static FloatVector gelu(FloatVector x) {
        return x.mul(0.5f).mul(erf(x.mul((float) ScalarMath.SQRT1_2)).add(1f));
    }

    /**
     * {@code e^x} as {@code 2^n * e^r} with {@code x = n ln 2 + r}, {@code |r| <= ln 2 / 2}, and a degree-7
     * Taylor polynomial for {@code e^r} (truncation error below 6e-9 relative). {@code 2^n} is built from
     * exponent bits in two halves so that results up to {@code Float.MAX_VALUE} do not overflow early.
     * Returns 0 below -87.34 (no subnormal results), +Inf above 88.72, NaN for NaN.
     */
    public static FloatVector exp(FloatVector x) {
        FloatVector cx = x.max(EXP_MIN).min(EXP_MAX);
        // n = round(x / ln 2), by the 1.5 * 2^23 trick: adding it rounds to an integer in float arithmetic.
        FloatVector n = cx.fma(FloatVector.broadcast(S, LOG2E), FloatVector.broadcast(S, ROUNDER)).sub(ROUNDER);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), cx);
        r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector p = r.fma(1f / 5040, 1f / 720);
        p = step(p, r, 1f / 120);
        p = step(p, r, 1f / 24);
        p = step(p, r, 1f / 6);
        p = step(p, r, 0.5f);
        p = step(p, r, 1f);
        p = step(p, r, 1f);
        IntVector ni = (IntVector) n.convert(VectorOperators.F2I, 0);
        IntVector half = ni.lanewise(VectorOperators.ASHR, 1);
        FloatVector scale1 = half.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector scale2 = ni.sub(half).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector result = p.mul(scale1).mul(scale2);
        result = result.blend(0f, x.compare(VectorOperators.LT, EXP_MIN));
        return result.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, EXP_MAX));
    }

    /**
     * {@code tanh(x) = e / (e + 2)} with {@code e = expm1(2|x|)}, the sign restored; {@code expm1} is a
     * degree-9 Taylor polynomial below 0.5 (where {@code exp(y) - 1} would cancel) and {@code exp(y) - 1}
     * above. From |x| = 9 on, tanh rounds to +-1.
     */
    public static FloatVector tanh(FloatVector x) {
        FloatVector y = x.abs().min(9f).mul(2f);
        FloatVector series = y.fma(1f / 362880, 1f / 40320);
        series = step(series, y, 1f / 5040);
        series = step(series, y, 1f / 720);
        series = step(series, y, 1f / 120);
        series = step(series, y, 1f / 24);
        series = step(series, y, 1f / 6);
        series = step(series, y, 0.5f);
        series = step(series, y, 1f);
        series = series.mul(y);
        FloatVector em1 = exp(y).sub(1f).blend(series, y.compare(VectorOperators.LT, 0.5f));
        FloatVector t = em1.div(em1.add(2f));
        return t.blend(t.neg(), x.test(VectorOperators.IS_NEGATIVE)); // sign bit: tanh(-0) = -0
    }

    /** One Horner step, {@code p * x + c} with a single rounding. */
    private static FloatVector step(FloatVector p, FloatVector x, float c) {
        return p.fma(x, FloatVector.broadcast(S, c));
    }

    private static final float EXP_MIN = -87.33654f;
    private static final float EXP_MAX = 88.72284f;
    private static final float LOG2E = 1.442695041f;
    private static final float ROUNDER = 12582912f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;

    /**
     * The error function by a rational approximation {@code z P(z^2) / Q(z^2)}, the form used by Eigen and
     * XLA, on {@code |z| < 3.92}; from 3.92 on, erf(z) rounds to +-1 in float and exactly +-1 is returned (so
     * that GELU of a large negative input is exactly zero, as in PyTorch).
     */
    public static FloatVector erf(FloatVector x) {
        FloatVector z = x.max(-ERF_SATURATION).min(ERF_SATURATION);
        FloatVector z2 = z.mul(z);
        FloatVector p = z2.fma(-2.72614225801306e-10f, 2.77068142495902e-08f);
        p = step(p, z2, -2.10102402082508e-06f);
        p = step(p, z2, -5.69250639462346e-05f);
        p = step(p, z2, -7.34990630326855e-04f);
        p = step(p, z2, -2.95459980854025e-03f);
        p = step(p, z2, -1.60960333262415e-02f);
        FloatVector q = z2.fma(-1.45660718464996e-05f, -2.13374055278905e-04f);
        q = step(q, z2, -1.68282697438203e-03f);
        q = step(q, z2, -7.37332916720468e-03f);
        q = step(q, z2, -1.42647390514189e-02f);
        FloatVector r = z.mul(p).div(q).max(-1f).min(1f);
        FloatVector saturated = FloatVector.broadcast(S, 1f).blend(-1f, x.compare(VectorOperators.LT, 0f));
        return r.blend(saturated, x.abs().compare(VectorOperators.GE, ERF_SATURATION));
    }

    /** From here on erf(x) is +-1 when rounded to float (erfc(3.92) = 2.96e-8 < 2^-25). */
    private static final float ERF_SATURATION = 3.92f;
}
