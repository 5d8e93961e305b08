package dev.lanes.nn.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.nn.Generator;
import org.junit.jupiter.api.Test;

/** {@link Sampler}'s filters on known distributions, and its draws. */
class SamplerTest {
    /** Logits whose softmax is exactly {@code p} (up to rounding). */
    private static float[] logitsOf(double... p) {
        float[] l = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            l[i] = p[i] == 0 ? Float.NEGATIVE_INFINITY : (float) Math.log(p[i]);
        }
        return l;
    }

    private static float[] dist(Sampler s, float[] logits) {
        float[] p = new float[logits.length];
        s.distribution(logits, 0, logits.length, p, 0);
        return p;
    }

    private static void assertDist(double[] expected, float[] actual) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-6, "token " + i);
        }
    }

    @Test
    void temperatureOneWithoutFiltersIsTheSoftmax() {
        assertDist(new double[] {0.1, 0.2, 0.3, 0.4}, dist(new Sampler(1, 0, 1), logitsOf(0.1, 0.2, 0.3, 0.4)));
    }

    @Test
    void temperatureSharpensAndFlattens() {
        // p^(1/T) renormalised: T = 0.5 squares the probabilities.
        assertDist(new double[] {1 / 30.0, 4 / 30.0, 9 / 30.0, 16 / 30.0}, dist(new Sampler(0.5, 0, 1), logitsOf(0.1, 0.2, 0.3, 0.4)));
        float[] flat = dist(new Sampler(1e6, 0, 1), logitsOf(0.1, 0.2, 0.3, 0.4));
        assertDist(new double[] {0.25, 0.25, 0.25, 0.25}, flat);
    }

    @Test
    void topKKeepsTheKLargestAndTiesWithTheKth() {
        assertDist(new double[] {0, 0, 3 / 7.0, 4 / 7.0}, dist(new Sampler(1, 2, 1), logitsOf(0.1, 0.2, 0.3, 0.4)));
        // Ties with the k-th largest stay (nanoGPT: logits < v[-1] are removed).
        assertDist(new double[] {0, 1 / 3.0, 1 / 3.0, 1 / 3.0}, dist(new Sampler(1, 2, 1), logitsOf(0.1, 0.3, 0.3, 0.3)));
        assertDist(new double[] {0.1, 0.2, 0.3, 0.4}, dist(new Sampler(1, 4, 1), logitsOf(0.1, 0.2, 0.3, 0.4)));
        assertDist(new double[] {0.1, 0.2, 0.3, 0.4}, dist(new Sampler(1, 9, 1), logitsOf(0.1, 0.2, 0.3, 0.4)));
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        // Sorted: 0.4, 0.3, 0.2, 0.1. p = 0.5: 0.4 alone is below 0.5, so 0.3 stays; 0.2 has 0.7 above it: removed.
        assertDist(new double[] {0, 0, 3 / 7.0, 4 / 7.0}, dist(new Sampler(1, 0, 0.5), logitsOf(0.1, 0.2, 0.3, 0.4)));
        // p = 0.35: 0.4 alone reaches it.
        assertDist(new double[] {0, 0, 0, 1}, dist(new Sampler(1, 0, 0.35), logitsOf(0.1, 0.2, 0.3, 0.4)));
        // p = 0.8: 0.4 + 0.3 = 0.7 < 0.8, so 0.2 stays too.
        assertDist(new double[] {0, 2 / 9.0, 3 / 9.0, 4 / 9.0}, dist(new Sampler(1, 0, 0.8), logitsOf(0.1, 0.2, 0.3, 0.4)));
        // The most likely token always stays, however small p is.
        assertDist(new double[] {0, 0, 0, 1}, dist(new Sampler(1, 0, 1e-6), logitsOf(0.1, 0.2, 0.3, 0.4)));
        // Top-k first, then top-p on the renormalised rest: k = 3 leaves 2/9, 3/9, 4/9; p = 0.5 keeps 4/9 and 3/9.
        assertDist(new double[] {0, 0, 3 / 7.0, 4 / 7.0}, dist(new Sampler(1, 3, 0.5), logitsOf(0.1, 0.2, 0.3, 0.4)));
    }

    @Test
    void drawsFollowTheFilteredDistribution() {
        Sampler s = new Sampler(1, 3, 1);
        float[] logits = logitsOf(0.1, 0.2, 0.3, 0.4);
        Generator g = new Generator(42);
        int[] counts = new int[4];
        int n = 40_000;
        for (int i = 0; i < n; i++) {
            counts[s.sample(logits, 0, 4, g)]++;
        }
        assertEquals(0, counts[0]);
        double[] expected = {0, 2 / 9.0, 3 / 9.0, 4 / 9.0};
        for (int i = 1; i < 4; i++) {
            assertEquals(expected[i], counts[i] / (double) n, 0.01, "token " + i);
        }
    }

    @Test
    void greedyTakesTheFirstLargestAndDrawsNothing() {
        Generator g = new Generator(1);
        Generator untouched = new Generator(1);
        float[] logits = {0.5f, 2f, -1f, 2f};
        assertEquals(1, Sampler.greedy().sample(logits, 0, 4, g));
        assertEquals(1, new Sampler(0, 2, 0.5).sample(new float[] {9, 3, 5, 7, 0.5f, 2f, -1f, 2f}, 4, 4, g));
        assertEquals(untouched.nextFloat(), g.nextFloat());
    }

    @Test
    void sampleReadsFromTheOffset() {
        float[] buf = {100, 100, Float.NEGATIVE_INFINITY, 0, Float.NEGATIVE_INFINITY};
        Generator g = new Generator(3);
        for (int i = 0; i < 20; i++) {
            assertEquals(1, new Sampler(1, 0, 1).sample(buf, 2, 3, g));
        }
    }

    @Test
    void badOptionsAreRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> new Sampler(-1, 0, 1));
        assertTrue(e.getMessage().contains("temperature") && e.getMessage().contains("-1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Sampler(1, -2, 1));
        assertTrue(e.getMessage().contains("topK") && e.getMessage().contains("-2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Sampler(1, 0, 0));
        assertTrue(e.getMessage().contains("topP"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Sampler(1, 0, 1.5));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(Double.NaN, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> Sampler.greedy().sample(new float[0], 0, 0, new Generator(1)));
    }

    @Test
    void aNullGeneratorMeansTheDefaultGenerator() {
        float[] logits = {0.1f, 2f, -1f, 0.5f};
        Generator.manualSeed(11);
        int withNull = new Sampler(1, 0, 1).sample(logits, 0, 4, null);
        Generator.manualSeed(11);
        assertEquals(withNull, new Sampler(1, 0, 1).sample(logits, 0, 4, Generator.defaultGenerator()));
    }

    @Test
    void nanLogitsAndRowsOutsideTheArrayAreRefused() {
        float[] nan = {0.5f, Float.NaN, 1f};
        for (Sampler s : new Sampler[] {Sampler.greedy(), new Sampler(1, 0, 1), new Sampler(0.7, 2, 0.9)}) {
            var e = assertThrows(IllegalArgumentException.class, () -> s.sample(nan, 0, 3, new Generator(1)));
            assertTrue(e.getMessage().contains("Sampler.sample") && e.getMessage().contains("NaN"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> s.sample(new float[4], 2, 3, new Generator(1)));
            assertTrue(e.getMessage().contains("off = 2") && e.getMessage().contains("4"), e.getMessage());
        }
        var e = assertThrows(IllegalArgumentException.class, () -> new Sampler(1, 0, 1).distribution(new float[3], 0, 3, new float[2], 0));
        assertTrue(e.getMessage().contains("probs"), e.getMessage());
        float[] none = {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
        for (Sampler s : new Sampler[] {Sampler.greedy(), new Sampler(1, 0, 1)}) {
            e = assertThrows(IllegalArgumentException.class, () -> s.sample(none, 0, 2, new Generator(1)));
            assertTrue(e.getMessage().contains("all 2 logits are -inf"), e.getMessage());
        }
    }
}
