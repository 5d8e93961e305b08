package dev.lanes.nn;

import java.util.SplittableRandom;

/**
 * A seeded source of random numbers for initialisation, {@code rand}/{@code randn}, dropout seeds and
 * shuffling, like {@code torch.Generator}. Not thread-safe: give each thread its own, or use it from one.
 * {@link #manualSeed(long)} reseeds the default generator, like {@code torch.manual_seed}.
 */
public final class Generator {
    private static final Generator DEFAULT = new Generator(0x5EEDL);

    private SplittableRandom random;
    private double spareNormal = Double.NaN;

    public Generator(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /** The generator used when none is given. */
    public static Generator defaultGenerator() {
        return DEFAULT;
    }

    /** Reseeds the default generator. */
    public static void manualSeed(long seed) {
        synchronized (DEFAULT) {
            DEFAULT.random = new SplittableRandom(seed);
            DEFAULT.spareNormal = Double.NaN;
        }
    }

    /** Uniform in [0, 1). */
    public float nextFloat() {
        return (float) ((random.nextLong() >>> 40) * 0x1.0p-24);
    }

    /** Uniform in [lo, hi). */
    public float uniform(float lo, float hi) {
        return lo + (hi - lo) * nextFloat();
    }

    /** Standard normal, by the Box-Muller transform. */
    public float nextGaussian() {
        if (!Double.isNaN(spareNormal)) {
            double s = spareNormal;
            spareNormal = Double.NaN;
            return (float) s;
        }
        double u1 = 1.0 - random.nextDouble(); // in (0, 1], so the log is finite
        double u2 = random.nextDouble();
        double r = Math.sqrt(-2.0 * Math.log(u1));
        spareNormal = r * Math.sin(2 * Math.PI * u2);
        return (float) (r * Math.cos(2 * Math.PI * u2));
    }

    /** Uniform in [0, bound). */
    public int nextInt(int bound) {
        return random.nextInt(bound);
    }

    /** 64 random bits (seeds for dropout masks). */
    public long nextLong() {
        return random.nextLong();
    }
}
