package dev.lanes.kernels.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The documented maximum errors of {@link VectorMath}'s functions, over the whole float range: a sample of
 * every 4099th bit pattern (about a million floats, all exponents, both signs, subnormals, infinities and
 * NaNs), against double-precision references. {@code -Dlanes.test.mathStride=1} checks all 2^32 floats
 * (several minutes per function); docs/kernels.md gives the stride its figures come from.
 *
 * <p>The error of a result is measured in units of the last place of the correctly rounded result (for a
 * subnormal or zero result, in units of the smallest subnormal).
 */
class VectorMathRangeTest {
    private static final int V = VectorMath.S.length();
    private static final long STRIDE = Long.getLong("lanes.test.mathStride", 4099);

    @Test
    void exp() {
        assertMaxUlps("exp", VectorMath::exp, Math::exp, 2);
    }

    @Test
    void expm1() {
        assertMaxUlps("expm1", VectorMath::expm1, Math::expm1, 3);
    }

    @Test
    void log() {
        assertMaxUlps("log", VectorMath::log, Math::log, 2);
    }

    @Test
    void tanh() {
        assertMaxUlps("tanh", VectorMath::tanh, Math::tanh, 4);
    }

    @Test
    void erf() {
        assertMaxUlps("erf", VectorMath::erf, ScalarMath::erf, 7);
    }

    @Test
    void sigmoid() {
        assertMaxUlps("sigmoid", VectorMath::sigmoid, x -> x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)), 3);
    }

    @Test
    void softplus() {
        assertMaxUlps("softplus", VectorMath::softplus, x -> Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))), 3);
    }

    /**
     * The recurrent gates' cheaper tanh and sigmoid: absolute error (the bound their documentation gives),
     * and the scalar versions the loops' tails use give the vector lanes' bits.
     */
    @Test
    void rationalTanhAndSigmoid() {
        assertMaxAbsolute("tanhRational", VectorMath::tanhRational, ScalarMath::tanhRational, Math::tanh, 3e-7);
        assertMaxAbsolute("sigmoidRational", VectorMath::sigmoidRational, ScalarMath::sigmoidRational,
                x -> 1 / (1 + Math.exp(-x)), 2e-7);
        assertEquals(1f, one(VectorMath::tanhRational, Float.POSITIVE_INFINITY));
        assertEquals(-1f, one(VectorMath::tanhRational, -20f));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(one(VectorMath::tanhRational, -0f)));
        assertEquals(0f, one(VectorMath::sigmoidRational, Float.NEGATIVE_INFINITY));
        assertEquals(0.5f, one(VectorMath::sigmoidRational, 0f));
        assertTrue(Float.isNaN(one(VectorMath::tanhRational, Float.NaN)));
        assertTrue(Float.isNaN(one(VectorMath::sigmoidRational, Float.NaN)));
        // The sweep above takes finite inputs only. The vector clamps are compares and blends, the scalar ones
        // Math.max and Math.min: the same bits on the values where those could differ.
        float[] special = {Float.NaN, Float.intBitsToFloat(0x7f800001), Float.intBitsToFloat(0xffc00123),
            Float.intBitsToFloat(0x7fffffff), Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f,
            Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, -Float.MIN_NORMAL, 9f, -9f, Math.nextUp(9f),
            Math.nextDown(-9f), Math.nextDown(9f), 1f, -1f, Float.MAX_VALUE, -Float.MAX_VALUE};
        for (float x : special) {
            assertEquals(Float.floatToRawIntBits(ScalarMath.tanhRational(x)),
                    Float.floatToRawIntBits(one(VectorMath::tanhRational, x)), "tanhRational bits at " + x);
            assertEquals(Float.floatToRawIntBits(ScalarMath.sigmoidRational(x)),
                    Float.floatToRawIntBits(one(VectorMath::sigmoidRational, x)), "sigmoidRational bits at " + x);
        }
    }

    @Test
    void specialValues() {
        assertEquals(Float.NEGATIVE_INFINITY, one(VectorMath::log, 0f));
        assertEquals(Float.NEGATIVE_INFINITY, one(VectorMath::log, -0f));
        assertTrue(Float.isNaN(one(VectorMath::log, -1f)));
        assertTrue(Float.isNaN(one(VectorMath::log, Float.NEGATIVE_INFINITY)));
        assertEquals(Float.POSITIVE_INFINITY, one(VectorMath::log, Float.POSITIVE_INFINITY));
        assertEquals(0f, one(VectorMath::log, 1f));
        assertEquals(-103.27893f, one(VectorMath::log, Float.MIN_VALUE), 1e-5f);
        assertEquals(Float.MIN_VALUE, one(VectorMath::exp, -103.5f)); // e^-103.5 is about 0.8 of MIN_VALUE
        assertEquals(0f, one(VectorMath::exp, -104f));
        assertEquals(0f, one(VectorMath::exp, Float.NEGATIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, one(VectorMath::exp, Float.POSITIVE_INFINITY));
        assertEquals(-1f, one(VectorMath::expm1, Float.NEGATIVE_INFINITY));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(one(VectorMath::expm1, -0f)));
        assertEquals(0f, one(VectorMath::sigmoid, Float.NEGATIVE_INFINITY));
        assertEquals(1f, one(VectorMath::sigmoid, Float.POSITIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, one(VectorMath::softplus, Float.POSITIVE_INFINITY));
        assertEquals(0f, one(VectorMath::softplus, Float.NEGATIVE_INFINITY));
        for (UnaryOperator<FloatVector> f : java.util.List.<UnaryOperator<FloatVector>>of(VectorMath::exp,
                VectorMath::expm1, VectorMath::log, VectorMath::tanh, VectorMath::erf, VectorMath::sigmoid,
                VectorMath::softplus)) {
            assertTrue(Float.isNaN(one(f, Float.NaN)));
        }
    }

    /** Sweeps the bit patterns and fails with the worst input if any error exceeds {@code bound} ulps. */
    private static void assertMaxUlps(String name, UnaryOperator<FloatVector> f, DoubleUnaryOperator reference,
                                      double bound) {
        double[] worst = {0, 0}; // error, input
        sweep(f, false, (x, y) -> {
            double err = ulps(y, reference.applyAsDouble(x));
            if (err > worst[0]) {
                worst[0] = err;
                worst[1] = x;
            }
        });
        float worstX = (float) worst[1];
        System.out.printf("%s: max error %.2f ulp (at x = %s), stride %d%n", name, worst[0], worstX, STRIDE);
        assertTrue(worst[0] <= bound, name + ": " + worst[0] + " ulps at x = " + worstX + " (got "
                + one(f, worstX) + ", want " + reference.applyAsDouble(worstX) + "), documented bound " + bound);
    }

    /**
     * Sweeps the bit patterns of finite floats and fails if an absolute error exceeds {@code bound} or the
     * scalar version's bits differ from the vector lanes'.
     */
    private static void assertMaxAbsolute(String name, UnaryOperator<FloatVector> f, UnaryOperator<Float> scalar,
                                          DoubleUnaryOperator reference, double bound) {
        double[] worst = {0, 0}; // error, input
        sweep(f, true, (x, y) -> {
            double err = Math.abs(y - reference.applyAsDouble(x));
            if (err > worst[0]) {
                worst[0] = err;
                worst[1] = x;
            }
            assertEquals(Float.floatToRawIntBits(y), Float.floatToRawIntBits(scalar.apply(x)),
                    () -> name + ": scalar and vector differ at x = " + x);
        });
        System.out.printf("%s: max absolute error %.3g (at x = %s), stride %d%n", name, worst[0], (float) worst[1], STRIDE);
        assertTrue(worst[0] <= bound, name + ": absolute error " + worst[0] + " at x = " + (float) worst[1]
                + ", documented bound " + bound);
    }

    /** What a sweep checks for each input {@code x} and result {@code y}. */
    private interface Check {
        void accept(float x, float y);
    }

    /** {@code f} over every {@code STRIDE}-th bit pattern (finite ones only if asked), in blocks of vectors. */
    private static void sweep(UnaryOperator<FloatVector> f, boolean finiteOnly, Check check) {
        float[] in = new float[1024 * V];
        float[] out = new float[in.length];
        long bits = 0;
        while (bits < (1L << 32)) {
            int count = 0;
            for (; count < in.length && bits < (1L << 32); bits += STRIDE) {
                float x = Float.intBitsToFloat((int) bits);
                if (!finiteOnly || Float.isFinite(x)) {
                    in[count++] = x;
                }
            }
            for (int i = 0; i < in.length; i += V) {
                f.apply(FloatVector.fromArray(VectorMath.S, in, i)).intoArray(out, i);
            }
            for (int i = 0; i < count; i++) {
                check.accept(in[i], out[i]);
            }
        }
    }

    /** The error of {@code got} in ulps of the correctly rounded result; infinite for a wrong NaN or infinity. */
    private static double ulps(float got, double want) {
        float rounded = (float) want;
        if (Double.isNaN(want) || Float.isNaN(got)) {
            return Double.isNaN(want) && Float.isNaN(got) ? 0 : Double.POSITIVE_INFINITY;
        }
        if (Float.isInfinite(rounded) || Float.isInfinite(got)) {
            return got == rounded ? 0 : Double.POSITIVE_INFINITY;
        }
        return Math.abs(got - want) / Math.ulp(rounded);
    }

    private static float one(UnaryOperator<FloatVector> f, float x) {
        float[] in = new float[V];
        java.util.Arrays.fill(in, x);
        float[] out = new float[V];
        f.apply(FloatVector.fromArray(VectorMath.S, in, 0)).intoArray(out, 0);
        return out[0];
    }
}
