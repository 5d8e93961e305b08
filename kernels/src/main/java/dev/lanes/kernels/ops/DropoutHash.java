package dev.lanes.kernels.ops;

/**
 * The counter-based random bits behind dropout: element {@code i} of a call with seed {@code s} is kept
 * or dropped by a hash of {@code (s, i)} alone, so a mask is reproducible, needs no state between calls, can
 * be regenerated in backward instead of stored, and does not depend on how the span is split among threads.
 *
 * <p>The hash is two rounds of MurmurHash3's 32-bit finaliser keyed by two words derived from the seed
 * (SplitMix64). Its top 24 bits are a uniform integer {@code u}; the element is dropped when
 * {@code u < round(p * 2^24)}, so the drop probability is {@code p} to within 2^-25.
 */
public final class DropoutHash {
    private DropoutHash() {}

    /** The first key word for a seed. */
    public static int key0(long seed) {
        return (int) splitMix(seed);
    }

    /** The second key word for a seed. */
    public static int key1(long seed) {
        return (int) (splitMix(seed) >>> 32);
    }

    /** Elements whose 24-bit hash is below this are dropped. */
    public static int threshold(float p) {
        return (int) Math.round(p * (double) (1 << 24));
    }

    /** The 24-bit uniform value of element {@code index}. */
    public static int uniform24(int key0, int key1, int index) {
        int h = mix(index + key0);
        h = mix(h ^ key1);
        return h >>> 8;
    }

    /** MurmurHash3's fmix32: every input bit affects every output bit. */
    static int mix(int h) {
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        h ^= h >>> 16;
        return h;
    }

    private static long splitMix(long seed) {
        long z = seed + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
