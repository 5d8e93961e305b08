package dev.lanes.kernels;

import static dev.lanes.kernels.KernelTesting.OFFSET;
import static dev.lanes.kernels.KernelTesting.SIZES;
import static dev.lanes.kernels.KernelTesting.assertClose;
import static dev.lanes.kernels.KernelTesting.assertSameBits;
import static dev.lanes.kernels.KernelTesting.output;
import static dev.lanes.kernels.KernelTesting.span;
import static dev.lanes.kernels.KernelTesting.withThreads;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.kernels.ops.ScalarActivations;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every activation through the public front end (vectorized when the Vector API is on) against its scalar
 * twin on awkward sizes with offsets, its backward against central finite differences of its forward, and
 * its independence from the thread count.
 */
class ActivationsTest {
    interface Map {
        void run(int n, float[] x, int xo, float[] y, int yo);
    }

    interface Grad {
        void run(int n, float[] saved, int so, float[] dy, int dyo, float[] dx, int dxo);
    }

    /** One activation: its kernels, its twins, which tensor its backward takes, and a kink to avoid in FD. */
    record Case(String name, Map lanes, Map twin, Grad lanesGrad, Grad twinGrad, boolean savesOutput) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Case> cases() {
        return List.of(
                new Case("relu", Activations::relu, ScalarActivations::relu,
                        Activations::reluBackward, ScalarActivations::reluBackward, true),
                new Case("leakyRelu(0.2)", (n, x, xo, y, yo) -> Activations.leakyRelu(n, 0.2f, x, xo, y, yo),
                        (n, x, xo, y, yo) -> ScalarActivations.leakyRelu(n, 0.2f, x, xo, y, yo),
                        (n, s, so, g, go, d, d0) -> Activations.leakyReluBackward(n, 0.2f, s, so, g, go, d, d0),
                        (n, s, so, g, go, d, d0) -> ScalarActivations.leakyReluBackward(n, 0.2f, s, so, g, go, d, d0), false),
                new Case("elu(0.7)", (n, x, xo, y, yo) -> Activations.elu(n, 0.7f, x, xo, y, yo),
                        (n, x, xo, y, yo) -> ScalarActivations.elu(n, 0.7f, x, xo, y, yo),
                        (n, s, so, g, go, d, d0) -> Activations.eluBackward(n, 0.7f, s, so, g, go, d, d0),
                        (n, s, so, g, go, d, d0) -> ScalarActivations.eluBackward(n, 0.7f, s, so, g, go, d, d0), false),
                new Case("sigmoid", Activations::sigmoid, ScalarActivations::sigmoid,
                        Activations::sigmoidBackward, ScalarActivations::sigmoidBackward, true),
                new Case("tanh", Activations::tanh, ScalarActivations::tanh,
                        Activations::tanhBackward, ScalarActivations::tanhBackward, true),
                new Case("gelu", (n, x, xo, y, yo) -> Activations.gelu(n, false, x, xo, y, yo),
                        (n, x, xo, y, yo) -> ScalarActivations.gelu(n, false, x, xo, y, yo),
                        (n, s, so, g, go, d, d0) -> Activations.geluBackward(n, false, s, so, g, go, d, d0),
                        (n, s, so, g, go, d, d0) -> ScalarActivations.geluBackward(n, false, s, so, g, go, d, d0), false),
                new Case("gelu(tanh)", (n, x, xo, y, yo) -> Activations.gelu(n, true, x, xo, y, yo),
                        (n, x, xo, y, yo) -> ScalarActivations.gelu(n, true, x, xo, y, yo),
                        (n, s, so, g, go, d, d0) -> Activations.geluBackward(n, true, s, so, g, go, d, d0),
                        (n, s, so, g, go, d, d0) -> ScalarActivations.geluBackward(n, true, s, so, g, go, d, d0), false),
                new Case("silu", Activations::silu, ScalarActivations::silu,
                        Activations::siluBackward, ScalarActivations::siluBackward, false),
                new Case("softplus(1,20)", (n, x, xo, y, yo) -> Activations.softplus(n, 1f, 20f, x, xo, y, yo),
                        (n, x, xo, y, yo) -> ScalarActivations.softplus(n, 1f, 20f, x, xo, y, yo),
                        (n, s, so, g, go, d, d0) -> Activations.softplusBackward(n, 1f, 20f, s, so, g, go, d, d0),
                        (n, s, so, g, go, d, d0) -> ScalarActivations.softplusBackward(n, 1f, 20f, s, so, g, go, d, d0), false),
                new Case("softplus(2,5)", (n, x, xo, y, yo) -> Activations.softplus(n, 2f, 5f, x, xo, y, yo),
                        (n, x, xo, y, yo) -> ScalarActivations.softplus(n, 2f, 5f, x, xo, y, yo),
                        (n, s, so, g, go, d, d0) -> Activations.softplusBackward(n, 2f, 5f, s, so, g, go, d, d0),
                        (n, s, so, g, go, d, d0) -> ScalarActivations.softplusBackward(n, 2f, 5f, s, so, g, go, d, d0), false));
    }

    /**
     * Forward and backward against the twins. Tolerance: 1e-6 relative (a few float ulps: the vector
     * polynomials are within 7 ulps, the twins are correctly rounded) plus 2e-7 absolute for results that
     * cancel near zero. GELU gets 2e-6 absolute: in its left tail {@code 1 + erf(x / sqrt 2)} cancels, so
     * erf's absolute error (4.2e-7, about PyTorch's own 1.5e-7 from Abramowitz-Stegun 7.1.26) is scaled by
     * {@code x / 2}; the tanh form cancels the same way in {@code 1 + tanh}.
     */
    @ParameterizedTest
    @MethodSource("cases")
    void matchesScalarTwinOnAwkwardSizes(Case c) {
        Random random = new Random(42);
        for (int n : SIZES) {
            float[] x = span(random, n, -12f, 12f);
            if (n > 4) {
                x[OFFSET] = 0f;
                x[OFFSET + 1] = -0f;
                x[OFFSET + 2] = 30f;
                x[OFFSET + 3] = -30f;
            }
            float[] want = output(n), got = output(n);
            c.twin.run(n, x, OFFSET, want, OFFSET);
            c.lanes.run(n, x, OFFSET, got, OFFSET);
            boolean gelu = c.name.startsWith("gelu");
            assertClose(c.name + " forward", want, got, n, 1e-6, gelu ? 2e-6 : 2e-7);

            float[] dy = span(random, n, -2f, 2f);
            float[] saved = c.savesOutput ? want : x;
            float[] wantGrad = output(n), gotGrad = output(n);
            c.twinGrad.run(n, saved, OFFSET, dy, OFFSET, wantGrad, OFFSET);
            c.lanesGrad.run(n, saved, OFFSET, dy, OFFSET, gotGrad, OFFSET);
            assertClose(c.name + " backward", wantGrad, gotGrad, n, 2e-6, gelu ? 2e-6 : 4e-7);
        }
    }

    /** The backward of every activation against central differences of its own forward kernel. */
    @ParameterizedTest
    @MethodSource("cases")
    void backwardMatchesFiniteDifferences(Case c) {
        Random random = new Random(7);
        int n = 400;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            float v = -8f + 16f * random.nextFloat();
            x[i] = Math.abs(v) < 0.05f ? v + 0.1f : v; // keep away from the kinks of ReLU, LeakyReLU, ELU at 0
        }
        float[] y = new float[n];
        c.lanes.run(n, x, 0, y, 0);
        float[] ones = new float[n];
        java.util.Arrays.fill(ones, 1f);
        float[] grad = new float[n];
        c.lanesGrad.run(n, c.savesOutput ? y : x, 0, ones, 0, grad, 0);

        float[] plus = new float[n], minus = new float[n], yp = new float[n], ym = new float[n];
        double h = 1e-2;
        for (int i = 0; i < n; i++) {
            plus[i] = (float) (x[i] + h);
            minus[i] = (float) (x[i] - h);
        }
        c.lanes.run(n, plus, 0, yp, 0);
        c.lanes.run(n, minus, 0, ym, 0);
        for (int i = 0; i < n; i++) {
            double fd = ((double) yp[i] - ym[i]) / ((double) plus[i] - minus[i]);
            assertEquals(fd, grad[i], 2e-3 * (1 + Math.abs(fd)), c.name + "'(" + x[i] + ")");
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void sameBitsOnAnyThreadCount(Case c) {
        int n = 300_001;
        float[] x = span(new Random(3), n, -6f, 6f);
        float[][] results = new float[3][];
        for (int t = 1; t <= 3; t++) {
            float[] y = output(n);
            withThreads(t, () -> c.lanes.run(n, x, OFFSET, y, OFFSET));
            results[t - 1] = y;
        }
        assertSameBits(c.name + " 2 threads", results[0], results[1]);
        assertSameBits(c.name + " 3 threads", results[0], results[2]);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void inPlaceGivesTheSameResult(Case c) {
        int n = 1000;
        float[] x = span(new Random(11), n, -5f, 5f);
        float[] y = output(n);
        c.lanes.run(n, x, OFFSET, y, OFFSET);
        float[] inPlace = x.clone();
        c.lanes.run(n, inPlace, OFFSET, inPlace, OFFSET);
        for (int i = 0; i < n; i++) {
            assertEquals(y[OFFSET + i], inPlace[OFFSET + i], c.name + " in place at " + i);
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void badArgumentsThrowBeforeWriting(Case c) {
        float[] x = new float[10], y = new float[10];
        java.util.Arrays.fill(y, 3f);
        float[] before = y.clone();
        assertThrows(IllegalArgumentException.class, () -> c.lanes.run(-1, x, 0, y, 0));
        assertThrows(IllegalArgumentException.class, () -> c.lanes.run(10, x, 1, y, 0));
        assertThrows(IllegalArgumentException.class, () -> c.lanes.run(10, x, 0, y, 1));
        assertThrows(IllegalArgumentException.class, () -> c.lanes.run(5, null, 0, y, 0));
        assertThrows(IllegalArgumentException.class, () -> c.lanes.run(5, x, -1, y, 0));
        assertThrows(IllegalArgumentException.class, () -> c.lanesGrad.run(10, x, 0, x, 0, y, 2));
        assertArrayEquals(before, y);
    }

    @org.junit.jupiter.api.Test
    void pytorchDefinitionsAtKnownPoints() {
        // Values from the definitions, computed in double: gelu(1) = 0.8413447, gelu_tanh(1) = 0.8411920,
        // silu(1) = 0.7310586, softplus(1) = 1.3132616, elu(-1) = -0.6321206.
        float[] x = {1f};
        float[] y = new float[1];
        Activations.gelu(1, false, x, 0, y, 0);
        assertEquals(0.8413447460685429, y[0], 1e-7);
        Activations.gelu(1, true, x, 0, y, 0);
        assertEquals(0.8411919906082768, y[0], 1e-7);
        Activations.silu(1, x, 0, y, 0);
        assertEquals(0.7310585786300049, y[0], 1e-7);
        Activations.softplus(1, 1f, 20f, x, 0, y, 0);
        assertEquals(1.3132616875182228, y[0], 1e-7);
        Activations.elu(1, 1f, new float[] {-1f}, 0, y, 0);
        assertEquals(-0.6321205588285577, y[0], 1e-7);
        Activations.softplus(1, 1f, 20f, new float[] {25f}, 0, y, 0);
        assertEquals(25f, y[0]); // above the threshold softplus is the identity
        Activations.relu(1, new float[] {Float.NaN}, 0, y, 0);
        assertTrue(Float.isNaN(y[0]));
    }
}
