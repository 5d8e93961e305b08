package dev.lanes.kernels.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.kernels.Activation;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The vectorized activations against the double-precision definitions, over a dense sweep and specials. */
class VectorMathTest {
    private static final int V = VectorMath.S.length();

    /** The 256- and 128-bit test runs (kernels/pom.xml) must really run on vectors of that size or less. */
    @Test
    void vectorSizeIsWhatThisTestRunAskedFor() {
        String max = System.getProperty("lanes.test.maxVectorBits");
        if (max != null) {
            assertTrue(VectorMath.S.vectorBitSize() <= Integer.parseInt(max),
                    "asked for at most " + max + "-bit vectors, got " + VectorMath.S);
        }
        assertTrue(V >= 1);
    }

    @Test
    void doubleErfMatchesKnownValues() {
        // Values from tables of erf (Abramowitz and Stegun 7.1), to 1e-15.
        assertEquals(0.0, ScalarMath.erf(0.0));
        assertEquals(0.5204998778130465, ScalarMath.erf(0.5), 1e-15);
        assertEquals(0.8427007929497149, ScalarMath.erf(1.0), 1e-15);
        assertEquals(0.9953222650189527, ScalarMath.erf(2.0), 1e-15);
        assertEquals(0.9999779095030014, ScalarMath.erf(3.0), 1e-15);
        assertEquals(-0.9999999845827421, ScalarMath.erf(-4.0), 1e-15);
        assertEquals(1.0, ScalarMath.erf(7.0));
        assertTrue(Double.isNaN(ScalarMath.erf(Double.NaN)));
    }

    @Test
    void erfWithinEightUlpsEverywhere() {
        float worst = 0;
        for (float x = -6f; x <= 6f; x += 1e-4f) {
            float got = apply(VectorMath::erf, x);
            double want = ScalarMath.erf(x);
            float ulps = (float) (Math.abs(got - want) / Math.ulp((float) want));
            worst = Math.max(worst, ulps);
            assertTrue(ulps <= 8 && Math.abs(got - want) <= 4.5e-7, "erf(" + x + ") = " + got + ", want " + want);
        }
        // The approximation's documented worst case is 7 ulps (4.2e-7 absolute, near |x| = 3.3).
        assertTrue(worst > 1 && worst <= 8, "worst error " + worst + " ulps");
    }

    @Test
    void expWithinTwoUlps() {
        for (float x = -87.3f; x <= 88.7f; x += 0.0013f) {
            float got = apply(VectorMath::exp, x);
            double want = Math.exp(x);
            assertTrue(Math.abs(got - want) <= 2 * Math.ulp((float) want), "exp(" + x + ") = " + got + ", want " + want);
        }
        assertEquals(0f, apply(VectorMath::exp, -104f));
        assertEquals(Float.POSITIVE_INFINITY, apply(VectorMath::exp, 89f));
        assertEquals(1f, apply(VectorMath::exp, 0f));
        assertTrue(Float.isNaN(apply(VectorMath::exp, Float.NaN)));
        assertEquals((float) Math.exp(88.7f), apply(VectorMath::exp, 88.7f), 2 * Math.ulp(3.3e38f)); // no early overflow
    }

    @Test
    void tanhWithinFourUlps() {
        for (float x = -10f; x <= 10f; x += 0.000917f) {
            float got = apply(VectorMath::tanh, x);
            double want = Math.tanh(x);
            assertTrue(Math.abs(got - want) <= 4 * Math.ulp((float) want), "tanh(" + x + ") = " + got + ", want " + want);
        }
        assertEquals(1e-20f, apply(VectorMath::tanh, 1e-20f));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(apply(VectorMath::tanh, -0f)));
        assertTrue(Float.isNaN(apply(VectorMath::tanh, Float.NaN)));
    }

    @Test
    void activationsMatchScalarDefinitions() {
        for (Activation act : Activation.values()) {
            for (float x = -30f; x <= 30f; x += 0.00731f) {
                check(act, x);
            }
            for (float x : new float[] {0f, -0f, 1e-30f, -1e-30f, Float.MIN_VALUE, 88f, -88f, 100f, -100f,
                    1e30f, -1e30f, Float.MAX_VALUE, -Float.MAX_VALUE}) {
                check(act, x);
            }
        }
    }

    @Test
    void specialValues() {
        assertTrue(Float.isNaN(apply(x -> VectorMath.activate(x, Activation.RELU), Float.NaN)));
        assertTrue(Float.isNaN(apply(x -> VectorMath.activate(x, Activation.GELU), Float.NaN)));
        assertTrue(Float.isNaN(apply(x -> VectorMath.activate(x, Activation.SIGMOID), Float.NaN)));
        assertEquals(1f, apply(x -> VectorMath.activate(x, Activation.SIGMOID), Float.POSITIVE_INFINITY));
        assertEquals(0f, apply(x -> VectorMath.activate(x, Activation.SIGMOID), Float.NEGATIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, apply(x -> VectorMath.activate(x, Activation.GELU), Float.POSITIVE_INFINITY));
        assertEquals(0f, apply(x -> VectorMath.activate(x, Activation.GELU), -10f), 0f);
        assertEquals(-1f, apply(x -> VectorMath.activate(x, Activation.TANH), Float.NEGATIVE_INFINITY));
    }

    private static void check(Activation act, float x) {
        float got = apply(v -> VectorMath.activate(v, act), x);
        float want = act.apply(x);
        double tolerance = 4 * Math.ulp(want) + 4 * Math.ulp(x) * 0.5 + 1e-37;
        if (act == Activation.GELU && x < -5.5f) {
            tolerance = Math.max(tolerance, Math.abs(want)); // exact 0 where erf rounds to -1 in float
        }
        assertTrue(Math.abs(got - want) <= tolerance || (Float.isNaN(got) && Float.isNaN(want)),
                act + "(" + x + ") = " + got + ", want " + want);
    }

    private static float apply(java.util.function.UnaryOperator<FloatVector> f, float x) {
        float[] in = new float[V];
        java.util.Arrays.fill(in, x);
        float[] out = new float[V];
        f.apply(FloatVector.fromArray(VectorMath.S, in, 0)).intoArray(out, 0);
        for (int i = 1; i < V; i++) {
            assertEquals(Float.floatToRawIntBits(out[0]), Float.floatToRawIntBits(out[i]), "lanes disagree");
        }
        return out[0];
    }

    /** The in-memory lane sum must be the vector one bit for bit: GEMV's one- and four-row paths rely on it. */
    @Test
    void sumLanesInMemoryMatchesTheVectorSum() {
        var species = FloatVector.SPECIES_PREFERRED;
        java.util.Random random = new java.util.Random(17);
        float[] values = new float[species.length()];
        float[] copy = new float[species.length() + 3];
        for (int trial = 0; trial < 1000; trial++) {
            for (int i = 0; i < values.length; i++) {
                // Mixed magnitudes make the result depend on the order of the additions.
                values[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(9) - 4));
            }
            System.arraycopy(values, 0, copy, 3, values.length);
            float expected = VectorMath.sumLanes(FloatVector.fromArray(species, values, 0));
            assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(VectorMath.sumLanes(copy, 3)), "trial " + trial);
        }
    }
}
