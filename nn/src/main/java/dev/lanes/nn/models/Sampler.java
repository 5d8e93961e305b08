package dev.lanes.nn.models;

import dev.lanes.nn.Generator;
import java.util.Arrays;

/**
 * Picks the next token from a row of logits, as language-model sampling does: divide by the
 * {@code temperature}, keep the {@code topK} largest (nanoGPT's rule: every logit below the k-th largest is
 * removed, so ties with the k-th stay), keep the nucleus of probability {@code topP} (Hugging Face's
 * {@code TopPLogitsWarper}: a token is removed when the tokens ranked above it already hold at least
 * {@code topP} of the probability; the most likely token always stays), then draw from the softmax of what
 * is left with one uniform number from the {@link Generator}. Temperature 0 is greedy decoding (the first
 * largest logit; no random number is drawn).
 *
 * <p>{@code topK = 0} and {@code topP = 1} switch those filters off. A sampler keeps scratch arrays, so one
 * sampler must not be used by two threads at once.
 */
public final class Sampler {
    private final float temperature;
    private final int topK;
    private final float topP;
    private float[] scratch = new float[0];
    private float[] sorted = new float[0];
    private long[] keys = new long[0];

    /**
     * @param temperature {@code >= 0}; 0 means greedy
     * @param topK        {@code >= 0}; 0 keeps every token
     * @param topP        in {@code (0, 1]}; 1 keeps every token
     */
    public Sampler(double temperature, int topK, double topP) {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("Sampler: temperature must be finite and >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("Sampler: topK must be >= 0 (0: no top-k filter), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("Sampler: topP must be in (0, 1] (1: no nucleus filter), got " + topP);
        }
        this.temperature = (float) temperature;
        this.topK = topK;
        this.topP = (float) topP;
    }

    /** Greedy decoding: always the most likely token. */
    public static Sampler greedy() {
        return new Sampler(0, 0, 1);
    }

    /** The temperature the logits are divided by (0: greedy). */
    public float temperature() {
        return temperature;
    }

    /** How many of the largest logits top-k keeps (0: no top-k filter). */
    public int topK() {
        return topK;
    }

    /** The probability mass the nucleus filter keeps (1: no nucleus filter). */
    public float topP() {
        return topP;
    }

    /**
     * Draws a token index from {@code logits[off .. off + n)}; uses {@code generator} (null: the default
     * generator, as elsewhere in Lanes) once unless the temperature is 0.
     */
    public int sample(float[] logits, int off, int n, Generator generator) {
        checkLogits("Sampler.sample", logits, off, n);
        if (temperature == 0) {
            int best = 0;
            for (int i = 1; i < n; i++) {
                if (logits[off + i] > logits[off + best]) {
                    best = i;
                }
            }
            return best;
        }
        float[] p = scratch(n);
        distribution(logits, off, n, p, 0);
        float u = (generator == null ? Generator.defaultGenerator() : generator).nextFloat();
        // Inverse CDF over the token order; p sums to 1 up to rounding, so the last token with p > 0 is the fallback.
        double cumulative = 0;
        int last = 0;
        for (int i = 0; i < n; i++) {
            if (p[i] > 0) {
                cumulative += p[i];
                last = i;
                if (u < cumulative) {
                    return i;
                }
            }
        }
        return last;
    }

    /**
     * The distribution {@link #sample} draws from for a temperature above 0: writes into
     * {@code probs[probsOff .. + n)} the softmax of the scaled, filtered logits (zeros for removed tokens).
     */
    public void distribution(float[] logits, int off, int n, float[] probs, int probsOff) {
        if (temperature == 0) {
            throw new IllegalArgumentException("Sampler.distribution: temperature 0 is greedy decoding, it has no distribution");
        }
        checkLogits("Sampler.distribution", logits, off, n);
        if (probs == null || probsOff < 0 || (long) probsOff + n > probs.length) {
            throw new IllegalArgumentException("Sampler.distribution: probs must hold n = " + n + " values from probsOff = "
                    + probsOff + ", got " + (probs == null ? "null" : "an array of " + probs.length));
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            float v = logits[off + i] / temperature;
            probs[probsOff + i] = v;
            max = Math.max(max, v);
        }
        if (topK > 0 && topK < n) {
            if (sorted.length < n) {
                sorted = new float[n];
            }
            System.arraycopy(probs, probsOff, sorted, 0, n);
            Arrays.sort(sorted, 0, n);
            float kth = sorted[n - topK];
            for (int i = 0; i < n; i++) {
                if (probs[probsOff + i] < kth) {
                    probs[probsOff + i] = Float.NEGATIVE_INFINITY;
                }
            }
        }
        softmaxInPlace(probs, probsOff, n, max);
        if (topP < 1) {
            // Rank by probability, largest first, ties by index: non-negative floats order as their bits, so
            // one primitive sort of (bits, ~index) keys does it without boxing.
            if (keys.length < n) {
                keys = new long[n];
            }
            for (int i = 0; i < n; i++) {
                keys[i] = ((long) Float.floatToRawIntBits(probs[probsOff + i]) << 32) | (0xFFFFFFFFL - i);
            }
            Arrays.sort(keys, 0, n);
            int top = (int) (0xFFFFFFFFL - (keys[n - 1] & 0xFFFFFFFFL));
            double above = 0;
            for (int r = 0; r < n; r++) {
                int i = (int) (0xFFFFFFFFL - (keys[n - 1 - r] & 0xFFFFFFFFL));
                float pi = probs[probsOff + i];
                if (r > 0 && above >= topP) {
                    probs[probsOff + i] = Float.NEGATIVE_INFINITY;
                } else {
                    probs[probsOff + i] = (float) Math.log(pi); // back to logits for the final softmax
                }
                above += pi;
            }
            softmaxInPlace(probs, probsOff, n, probs[probsOff + top]);
        }
    }

    /**
     * The row must lie inside the array and hold no NaN: a NaN logit would otherwise turn the whole
     * distribution into NaN and {@link #sample} would silently return token 0 (or, greedy, skip the NaN).
     */
    private static void checkLogits(String who, float[] logits, int off, int n) {
        if (n <= 0) {
            throw new IllegalArgumentException(who + ": needs at least one logit, got n = " + n);
        }
        if (logits == null || off < 0 || (long) off + n > logits.length) {
            throw new IllegalArgumentException(who + ": logits must hold n = " + n + " values from off = " + off + ", got "
                    + (logits == null ? "null" : "an array of " + logits.length));
        }
        boolean anyFinite = false;
        for (int i = 0; i < n; i++) {
            if (Float.isNaN(logits[off + i])) {
                throw new IllegalArgumentException(who + ": logit " + i + " (array index " + (off + i) + ") is NaN");
            }
            anyFinite |= logits[off + i] != Float.NEGATIVE_INFINITY;
        }
        if (n > 0 && !anyFinite) { // softmax would be 0/0 everywhere: no token can be drawn
            throw new IllegalArgumentException(who + ": all " + n + " logits are -inf; no token can be drawn");
        }
    }

    private static void softmaxInPlace(float[] v, int off, int n, float max) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = v[off + i] == Float.NEGATIVE_INFINITY ? 0f : (float) Math.exp(v[off + i] - max);
            v[off + i] = e;
            sum += e;
        }
        float inv = (float) (1 / sum);
        for (int i = 0; i < n; i++) {
            v[off + i] *= inv;
        }
    }

    private float[] scratch(int n) {
        if (scratch.length < n) {
            scratch = new float[n];
        }
        return scratch;
    }

    @Override
    public String toString() {
        return "Sampler(temperature=" + temperature + ", topK=" + topK + ", topP=" + topP + ")";
    }
}
