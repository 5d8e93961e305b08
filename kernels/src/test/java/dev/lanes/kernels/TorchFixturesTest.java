package dev.lanes.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Shared comparison helpers for the {@code Torch*FixturesTest} classes, which check Lanes' kernels against
 * reference tensors computed by PyTorch (CPU, float32) and written by
 * {@code scripts/fixtures/gen_kernel_fixtures.py} into {@code src/test/resources/fixtures/kernels/}.
 *
 * <p>Comparison rule, everywhere: NaN positions must match exactly, infinities must match exactly (same
 * sign), and finite values must satisfy {@code |lanes - torch| <= rtol * |torch| + atol} with the tolerance
 * each test states next to the op, with its reason. The largest errors seen are printed per op (one line
 * each, prefixed {@code torch-fixtures}) so that a tightening or a regression is visible in the test log.
 */
class TorchFixturesTest {
    /** One float ulp at 1, {@code 2^-23}. */
    static final double EPS = Math.ulp(1f);
    /** Written around every output span by the offset checks; a kernel must not touch it. */
    static final float SENTINEL = -7.0e30f;
    /** The input offset of the offset checks; the other spans of a call sit at OFFSET + 1 .. OFFSET + 3. */
    static final int OFFSET = 5;

    private static final Map<String, double[]> WORST = new TreeMap<>();
    /** Per comparison by value: how many zeros had the opposite sign to PyTorch's, and the first example. */
    private static final Map<String, Integer> SIGNED_ZEROS = new TreeMap<>();
    private static final Map<String, String> ZERO_SIGNS = new TreeMap<>();

    static Fixtures load(String name) {
        return Fixtures.load("kernels/" + name);
    }

    /**
     * Asserts {@code actual} matches PyTorch's {@code expected} element by element (see the class comment) and
     * records the largest absolute error, the largest error in ulps of the expected value (over the elements
     * where the relative term of the tolerance is the larger one), and the largest fraction of the tolerance
     * used. {@code input} (may be null) is only for the failure message.
     */
    static void assertClose(String what, float[] expected, float[] actual, double rtol, double atol, float[] input) {
        assertClose(what, expected, actual, rtol, atol, null, input);
    }

    /**
     * {@link #assertClose} where the absolute term of element {@code i} is {@code atol * |atolScale[i]|} when
     * {@code atolScale} is not null (a gradient's: an error in {@code f'(x)} is multiplied by {@code |dy|}).
     */
    static void assertClose(String what, float[] expected, float[] actual, double rtol, double atol, float[] atolScale,
                            float[] input) {
        assertEquals(expected.length, actual.length, what + ": length");
        double maxAbs = 0, maxUlps = 0, maxUsed = 0;
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i], a = actual[i];
            String where = what + "[" + i + "]" + (input == null ? "" : " at input " + input[i] + " (bits 0x"
                    + Integer.toHexString(Float.floatToRawIntBits(input[i])) + ")") + ": PyTorch " + e + ", Lanes " + a;
            if (Float.isNaN(e) || Float.isNaN(a)) {
                if (Float.isNaN(e) != Float.isNaN(a)) {
                    fail("NaN mismatch, " + where);
                }
                continue;
            }
            if (Float.isInfinite(e) || Float.isInfinite(a)) {
                if (e != a) {
                    fail("infinity mismatch, " + where);
                }
                continue;
            }
            double diff = Math.abs((double) a - e);
            double absolute = atolScale == null ? atol : atol * Math.abs(atolScale[i]);
            double tol = rtol * Math.abs(e) + absolute;
            if (diff > tol) {
                fail(where + ", |diff| " + diff + " > tolerance " + tol + " (rtol " + rtol + ", atol " + atol + ")");
            }
            maxAbs = Math.max(maxAbs, diff);
            if (rtol * Math.abs(e) >= absolute) { // ulps only where the relative term governs
                maxUlps = Math.max(maxUlps, diff / Math.ulp(e));
            }
            if (tol > 0) {
                maxUsed = Math.max(maxUsed, diff / tol);
            }
        }
        record(what, maxAbs, maxUlps, maxUsed);
    }

    /** {@link #assertClose} for one value. */
    static void assertClose(String what, float expected, float actual, double rtol, double atol) {
        assertClose(what, new float[] {expected}, new float[] {actual}, rtol, atol, null);
    }

    /**
     * Exact agreement: same value (so +0 equals -0) or both NaN. The sign of a zero result is not part of the
     * definitions compared here (PyTorch's own kernels differ on it between ops); how many zeros differ in sign
     * is returned and printed with the op's summary line.
     */
    static int assertSameValues(String what, float[] expected, float[] actual, float[] input) {
        assertEquals(expected.length, actual.length, what + ": length");
        int signedZeros = 0;
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i], a = actual[i];
            boolean same = e == a || (Float.isNaN(e) && Float.isNaN(a));
            if (!same) {
                fail(what + "[" + i + "]" + (input == null ? "" : " at input " + input[i]) + ": PyTorch " + e
                        + ", Lanes " + a);
            }
            if (e == 0 && Float.floatToRawIntBits(e) != Float.floatToRawIntBits(a)) {
                signedZeros++;
                if (input != null) {
                    ZERO_SIGNS.merge(what, "x = " + input[i] + ": PyTorch " + e + ", Lanes " + a, (u, v) -> u);
                }
            }
        }
        record(what, 0, 0, 0);
        SIGNED_ZEROS.merge(what, signedZeros, Integer::sum);
        return signedZeros;
    }

    /** Bit-for-bit agreement (NaNs compared as NaN, whatever their payload). */
    static void assertSameBits(String what, float[] expected, float[] actual, float[] input) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                fail(what + "[" + i + "]" + (input == null ? "" : " at input " + input[i]) + ": expected "
                        + expected[i] + ", got " + actual[i]);
            }
        }
        record(what, 0, 0, 0);
    }

    /**
     * A copy of {@code x} at {@code offset} in a longer array whose other elements are {@link #SENTINEL}
     * ({@code offset} before, 3 after).
     */
    static float[] placed(float[] x, int offset) {
        float[] a = new float[offset + x.length + 3];
        Arrays.fill(a, SENTINEL);
        System.arraycopy(x, 0, a, offset, x.length);
        return a;
    }

    /** An output array for {@code n} values at {@code offset}, filled with {@link #SENTINEL}. */
    static float[] output(int n, int offset) {
        float[] a = new float[offset + n + 3];
        Arrays.fill(a, SENTINEL);
        return a;
    }

    /**
     * Checks the result of a run at offsets: the span at {@code offset} equals {@code atZero} (the same call at
     * offset 0) bit for bit, and everything around it is still {@link #SENTINEL}.
     */
    static void assertOffsetRun(String what, float[] atZero, float[] out, int offset) {
        assertSameBits(what + " at offset " + offset, atZero, Arrays.copyOfRange(out, offset, offset + atZero.length), null);
        for (int i = 0; i < out.length; i++) {
            if (i < offset || i >= offset + atZero.length) {
                assertEquals(SENTINEL, out[i], what + ": wrote outside its span at index " + i);
            }
        }
    }

    static synchronized void record(String what, double maxAbs, double maxUlps, double used) {
        WORST.merge(what, new double[] {maxAbs, maxUlps, used},
                (a, b) -> new double[] {Math.max(a[0], b[0]), Math.max(a[1], b[1]), Math.max(a[2], b[2])});
    }

    /** Prints the largest errors recorded under names starting with {@code prefix}, one line per name. */
    static synchronized void printWorst(String prefix) {
        String bits = System.getProperty("lanes.test.maxVectorBits", "preferred");
        WORST.forEach((name, w) -> {
            if (name.startsWith(prefix)) {
                int zeros = SIGNED_ZEROS.getOrDefault(name, 0);
                System.out.printf("torch-fixtures [%s] %-40s max |err| %.3g, %.3g ulp, %.0f%% of tolerance%s%n",
                        bits, name, w[0], w[1], 100 * w[2], zeros == 0 ? ""
                                : "; " + zeros + " zero(s) of the other sign (" + ZERO_SIGNS.get(name) + ")");
            }
        });
    }

    static float[] scale(float[] x, float s) {
        float[] y = x.clone();
        for (int i = 0; i < y.length; i++) {
            y[i] *= s;
        }
        return y;
    }

    @Test
    void comparisonRejectsNaNAndInfinityMismatchesAndOutOfToleranceValues() {
        float nan = Float.NaN, inf = Float.POSITIVE_INFINITY;
        assertFails(() -> assertClose("t", new float[] {nan}, new float[] {1f}, 1, 1, null));
        assertFails(() -> assertClose("t", new float[] {1f}, new float[] {nan}, 1, 1, null));
        assertFails(() -> assertClose("t", new float[] {inf}, new float[] {-inf}, 1, 1, null));
        assertFails(() -> assertClose("t", new float[] {3e38f}, new float[] {inf}, 1, 1, null));
        assertFails(() -> assertClose("t", new float[] {1f}, new float[] {1.001f}, 1e-6, 1e-6, null));
        assertClose("t", new float[] {nan, inf, 1f}, new float[] {nan, inf, 1.0000001f}, 2 * EPS, 0, null);
    }

    private static void assertFails(Runnable r) {
        try {
            r.run();
        } catch (AssertionError expected) {
            return;
        }
        fail("the comparison accepted a mismatch");
    }
}
