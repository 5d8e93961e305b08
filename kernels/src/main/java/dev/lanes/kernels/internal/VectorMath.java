package dev.lanes.kernels.internal;

import dev.lanes.kernels.Activation;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vectorized elementary functions and activations over {@link FloatVector}s of the preferred species. Only
 * loaded when the Vector API is present. Small static methods so that C2 inlines them into the calling loop
 * (a vector that crosses a call C2 did not inline is boxed on the heap).
 *
 * <p>Everything here is plain IEEE arithmetic (add, multiply, fused multiply-add, divide, min, max, bit
 * operations), never the Vector API's {@code EXP}/{@code LOG}/{@code TANH}: those call SVML once C2 has
 * compiled the code but per-lane Java before (and on platforms without SVML, or with
 * {@code -Djdk.incubator.vector.VectorMathLibrary=java}), and the two disagree in the last bit, so results
 * would depend on JIT timing and on the platform. Maximum errors over all floats, checked by
 * {@code VectorMathRangeTest} against double-precision references and listed in {@code docs/kernels.md}:
 * {@link #exp} 2 ulp (subnormal results within 1 subnormal ulp; 0 below -103.97, +Inf above 88.72);
 * {@link #log} 2 ulp; {@link #tanh} 4 ulp; {@link #erf} 7 ulp (4.2e-7 absolute, exactly +-1 from |x| =
 * 3.92); NaN in gives NaN out everywhere.
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

    /**
     * {@code 1 / (1 + exp(-x))}, computed from {@code e = exp(-|x|)} as {@code 1 / (1 + e)} for x >= 0 and
     * {@code e / (1 + e)} below, so that it neither overflows nor loses the tiny (subnormal) values far left.
     */
    public static FloatVector sigmoid(FloatVector x) {
        FloatVector e = exp(x.abs().neg());
        FloatVector r = FloatVector.broadcast(S, 1f).div(e.add(1f));
        return r.blend(e.mul(r), x.compare(VectorOperators.LT, 0f));
    }

    /** {@code x * sigmoid(x)}. */
    public static FloatVector silu(FloatVector x) {
        return x.mul(sigmoid(x));
    }

    /** {@code 0.5 x (1 + erf(x / sqrt 2))}, the exact GELU. */
    public static FloatVector gelu(FloatVector x) {
        return x.mul(0.5f).mul(erf(x.mul((float) ScalarMath.SQRT1_2)).add(1f));
    }

    /**
     * {@code e^x} as {@code 2^n * e^r} with {@code x = n ln 2 + r}, {@code |r| <= ln 2 / 2}, and a degree-7
     * Taylor polynomial for {@code e^r} (truncation error below 6e-9 relative). {@code 2^n} is built from
     * exponent bits in two halves, so that results near {@code Float.MAX_VALUE} do not overflow early and
     * results below {@code Float.MIN_NORMAL} come out as correctly scaled subnormals. Returns 0 below
     * -103.97 (where e^x rounds to 0), +Inf above 88.72, NaN for NaN.
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

    /**
     * A cheaper {@code tanh} for the recurrent cells' gates: a rational function, odd degree 13 over even
     * degree 6 in {@code x} clamped to [-9, 9] (Eigen's interpolant), then clamped to [-1, 1]. About 20
     * vector operations where {@link #tanh} takes 40; absolute error below 3e-7 (checked by
     * {@code VectorMathRangeTest}; 2.9e-7 relative on [1e-6, 9]), against 4 ulp for {@link #tanh}. For the
     * recurrent kernels, whose gates, states and outputs are O(1) values where the absolute error is what
     * counts. NaN gives NaN. {@link ScalarMath#tanhRational} does the same arithmetic in the same order on one
     * float, for the loops' tails (its clamps are {@code Math.max} and {@code Math.min}: the same bits).
     */
    public static FloatVector tanhRational(FloatVector x) {
        // The clamps are a compare and a blend per side, the bits of max and min (NaN kept): Java's max and min
        // compile to six instructions each on AVX-512 (NaN and signed-zero fix-ups), a third of the function.
        FloatVector low = x.blend(-9f, x.compare(VectorOperators.LT, -9f));
        FloatVector c = low.blend(9f, low.compare(VectorOperators.GT, 9f));
        FloatVector x2 = c.mul(c);
        FloatVector p = x2.fma(FloatVector.broadcast(S, ScalarMath.TANH_A13), FloatVector.broadcast(S, ScalarMath.TANH_A11));
        p = step(p, x2, ScalarMath.TANH_A9);
        p = step(p, x2, ScalarMath.TANH_A7);
        p = step(p, x2, ScalarMath.TANH_A5);
        p = step(p, x2, ScalarMath.TANH_A3);
        p = step(p, x2, ScalarMath.TANH_A1);
        FloatVector q = x2.fma(FloatVector.broadcast(S, ScalarMath.TANH_B6), FloatVector.broadcast(S, ScalarMath.TANH_B4));
        q = step(q, x2, ScalarMath.TANH_B2);
        q = step(q, x2, ScalarMath.TANH_B0);
        FloatVector t = p.mul(c).div(q);
        FloatVector tLow = t.blend(-1f, t.compare(VectorOperators.LT, -1f));
        return tLow.blend(1f, tLow.compare(VectorOperators.GT, 1f));
    }

    /**
     * {@code sigmoid(x) = (1 + tanh(x / 2)) / 2} with {@link #tanhRational}: absolute error below 2e-7 (so
     * relative accuracy is lost far left, where sigmoid is below 1e-6), for the recurrent cells' gates.
     */
    public static FloatVector sigmoidRational(FloatVector x) {
        return tanhRational(x.mul(0.5f)).fma(FloatVector.broadcast(S, 0.5f), FloatVector.broadcast(S, 0.5f));
    }

    /**
     * {@code e^x - 1}, accurate near 0 where {@code exp(x) - 1} would cancel: a degree-9 Taylor polynomial
     * for |x| below 0.5, {@code exp(x) - 1} elsewhere. 3 ulp; rounds to -1 below about -17.33.
     */
    public static FloatVector expm1(FloatVector x) {
        FloatVector small = x.max(-0.5f).min(0.5f);
        FloatVector series = small.fma(1f / 362880, 1f / 40320);
        series = step(series, small, 1f / 5040);
        series = step(series, small, 1f / 720);
        series = step(series, small, 1f / 120);
        series = step(series, small, 1f / 24);
        series = step(series, small, 1f / 6);
        series = step(series, small, 0.5f);
        series = step(series, small, 1f);
        series = series.mul(small);
        return exp(x).sub(1f).blend(series, x.abs().compare(VectorOperators.LT, 0.5f));
    }

    /**
     * The natural logarithm: {@code x = 2^e m} with {@code m} in [sqrt(1/2), sqrt(2)), and Cephes' degree-9
     * polynomial for {@code log(m)}; subnormal inputs are scaled by 2^23 first. -Inf for +-0, NaN below 0
     * and for NaN, +Inf for +Inf.
     */
    public static FloatVector log(FloatVector x) {
        VectorMask<Float> subnormal = x.compare(VectorOperators.LT, Float.MIN_NORMAL);
        FloatVector scaled = x.blend(x.mul(TWO_TO_23), subnormal);
        FloatVector result = logNormal(scaled).sub(FloatVector.zero(S).blend(23 * LN2, subnormal));
        result = result.blend(Float.NaN, x.compare(VectorOperators.LT, 0f));
        result = result.blend(Float.NEGATIVE_INFINITY, x.compare(VectorOperators.EQ, 0f));
        result = result.blend(x, x.compare(VectorOperators.EQ, Float.POSITIVE_INFINITY));
        return result.blend(x, x.test(VectorOperators.IS_NAN));
    }

    /**
     * The core of {@link #log} for positive, normal, finite {@code x}, with no special cases, so that callers
     * that know their range (softplus takes the log of 1 + u, u in (0, 1]) stay small enough to inline.
     */
    public static FloatVector logNormal(FloatVector x) {
        IntVector bits = x.reinterpretAsInts();
        // k = the exponent that puts the mantissa in [sqrt(1/2), sqrt(2)); subtracting it from the exponent
        // field gives m directly.
        IntVector k = bits.sub(SQRT_HALF_BITS).lanewise(VectorOperators.ASHR, 23);
        FloatVector m = bits.sub(k.lanewise(VectorOperators.LSHL, 23)).reinterpretAsFloats();
        FloatVector e = (FloatVector) k.convert(VectorOperators.I2F, 0);
        FloatVector f = m.sub(1f);
        FloatVector z = f.mul(f);
        FloatVector p = f.fma(7.0376836292e-2f, -1.1514610310e-1f);
        p = step(p, f, 1.1676998740e-1f);
        p = step(p, f, -1.2420140846e-1f);
        p = step(p, f, 1.4249322787e-1f);
        p = step(p, f, -1.6668057665e-1f);
        p = step(p, f, 2.0000714765e-1f);
        p = step(p, f, -2.4999993993e-1f);
        p = step(p, f, 3.3333331174e-1f);
        FloatVector y = p.mul(f).mul(z);
        y = e.fma(FloatVector.broadcast(S, LN2_LO), y);
        y = z.fma(FloatVector.broadcast(S, -0.5f), y);
        return e.fma(FloatVector.broadcast(S, LN2_HI), f.add(y));
    }

    /**
     * {@code log(1 + e^x)} computed as {@code max(x, 0) + log1p(e^-|x|)}, so it neither overflows nor loses
     * small results: {@code log1p(u)} is {@code log(1 + u) * u / ((1 + u) - 1)}, which corrects the rounding
     * of {@code 1 + u}.
     */
    public static FloatVector softplus(FloatVector x) {
        FloatVector u = exp(x.abs().neg());
        FloatVector onePlusU = u.add(1f);
        FloatVector d = onePlusU.sub(1f);
        // d == 0 means u is below half an ulp of 1, where log1p(u) = u to float precision.
        FloatVector log1p = logNormal(onePlusU).mul(u).div(d).blend(u, d.compare(VectorOperators.EQ, 0f));
        return x.max(0f).add(log1p);
    }

    /**
     * The sum of the lanes in a fixed pairwise order (lanes {@code i} and {@code i + V/2} first, and so on).
     * {@code reduceLanes(ADD)} leaves the order unspecified, and in practice its interpreted and
     * C2-compiled forms add in different orders, which would make results depend on JIT timing.
     */
    public static float sumLanes(FloatVector v) {
        int lanes = S.length();
        if (lanes >= 64) {
            v = v.add(v.rearrange(ROTATE_32));
        }
        if (lanes >= 32) {
            v = v.add(v.rearrange(ROTATE_16));
        }
        if (lanes >= 16) {
            v = v.add(v.rearrange(ROTATE_8));
        }
        if (lanes >= 8) {
            v = v.add(v.rearrange(ROTATE_4));
        }
        if (lanes >= 4) {
            v = v.add(v.rearrange(ROTATE_2));
        }
        if (lanes >= 2) {
            v = v.add(v.rearrange(ROTATE_1));
        }
        return v.lane(0);
    }

    /**
     * The same sum as {@link #sumLanes(FloatVector)}, bit for bit, of a vector already stored at
     * {@code lanes[off .. off + S.length())}, added in scalar code in the same pairwise order. For kernels that
     * reduce several vectors at once: inlining one {@code sumLanes} per vector can exhaust C2's inlining
     * budget, and a Vector API call left out of line falls back to a boxing Java implementation (GEMV's four
     * row sums did, allocating on every call).
     */
    public static float sumLanes(float[] lanes, int off) {
        // Lane 0 of v + rotate(v, h) for h = L/2, L/4, ..., 1 only ever reads lanes below h, and float
        // addition commutes exactly, so halving in place gives the vector version's result.
        for (int h = S.length() / 2; h >= 1; h /= 2) {
            for (int i = 0; i < h; i++) {
                lanes[off + i] += lanes[off + i + h];
            }
        }
        return lanes[off];
    }

    private static final VectorShuffle<Float> ROTATE_32 = VectorShuffle.iota(S, 32, 1, true);
    private static final VectorShuffle<Float> ROTATE_16 = VectorShuffle.iota(S, 16, 1, true);
    private static final VectorShuffle<Float> ROTATE_8 = VectorShuffle.iota(S, 8, 1, true);
    private static final VectorShuffle<Float> ROTATE_4 = VectorShuffle.iota(S, 4, 1, true);
    private static final VectorShuffle<Float> ROTATE_2 = VectorShuffle.iota(S, 2, 1, true);
    private static final VectorShuffle<Float> ROTATE_1 = VectorShuffle.iota(S, 1, 1, true);

    /** One Horner step, {@code p * x + c} with a single rounding. */
    private static FloatVector step(FloatVector p, FloatVector x, float c) {
        return p.fma(x, FloatVector.broadcast(S, c));
    }

    /** ln(2^-150): below it e^x rounds to zero. */
    private static final float EXP_MIN = -103.97208f;
    /** The largest float whose e^x is finite. */
    private static final float EXP_MAX = 88.72283f;
    private static final float LOG2E = 1.442695041f;
    private static final float ROUNDER = 12582912f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float TWO_TO_23 = 8388608f;
    private static final float LN2 = 0.6931472f;
    private static final int SQRT_HALF_BITS = Float.floatToRawIntBits(0.70710677f);

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
        // p / q first: z * p would underflow into subnormals (and lose bits) for tiny z.
        FloatVector r = p.div(q).mul(z).max(-1f).min(1f);
        FloatVector saturated = FloatVector.broadcast(S, 1f).blend(-1f, x.compare(VectorOperators.LT, 0f));
        return r.blend(saturated, x.abs().compare(VectorOperators.GE, ERF_SATURATION));
    }

    /** From here on erf(x) is +-1 when rounded to float (erfc(3.92) = 2.96e-8 < 2^-25). */
    private static final float ERF_SATURATION = 3.92f;
}
