package dev.lanes.examples;

import dev.lanes.kernels.Gemm;
import dev.lanes.kernels.Lanes;
import dev.lanes.kernels.Threads;
import java.util.SplittableRandom;

/**
 * The GEMM demo: multiplies square matrices with Lanes and with a plain Java triple loop, checks that both
 * agree, and prints GFLOP/s for each and their ratio. A quick look, not a benchmark: the figures in
 * docs/gemm.md come from JMH.
 *
 * <p>Usage: {@code ./lanes demo [size ...]} (default 64 256 1024).
 */
public final class GemmDemo {
    private GemmDemo() {}

    public static void main(String[] args) {
        int[] sizes = args.length == 0 ? new int[] {64, 256, 1024} : parseSizes(args);
        System.out.println(Lanes.describe());
        System.out.printf("%6s  %14s  %14s  %8s  %s%n", "n", "Lanes GFLOP/s", "loop GFLOP/s", "speed-up", "max |diff|");
        for (int n : sizes) {
            SplittableRandom random = new SplittableRandom(n);
            float[] a = randomMatrix(random, n), b = randomMatrix(random, n);
            float[] fast = new float[n * n], slow = new float[n * n];
            double flops = 2.0 * n * n * n;
            double lanes = gflops(flops, () -> Gemm.sgemm(n, n, n, a, b, fast));
            double loop = gflops(flops, () -> naive(n, a, b, slow));
            double maxDiff = 0;
            for (int i = 0; i < fast.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(fast[i] - slow[i]));
            }
            System.out.printf("%6d  %14.1f  %14.1f  %7.1fx  %.2e%n", n, lanes, loop, lanes / loop, maxDiff);
            if (maxDiff > 1e-5 * n) {
                throw new IllegalStateException("Lanes and the plain loop disagree at n = " + n + ": " + maxDiff);
            }
        }
        System.out.println("Threads: " + Threads.count() + " (set with -Dlanes.threads=N). Benchmarks: docs/gemm.md");
    }

    /** The textbook i-k-j loop, the code a Java developer would write without a library. */
    static void naive(int n, float[] a, float[] b, float[] c) {
        java.util.Arrays.fill(c, 0f);
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < n; p++) {
                float aip = a[i * n + p];
                for (int j = 0; j < n; j++) {
                    c[i * n + j] += aip * b[p * n + j];
                }
            }
        }
    }

    /** Best of the timed runs in about half a second, after half a second of warm-up for the JIT, in GFLOP/s. */
    private static double gflops(double flops, Runnable run) {
        long budget = 500_000_000L;
        long warmUpEnd = System.nanoTime() + budget;
        do {
            run.run();
        } while (System.nanoTime() < warmUpEnd);
        double best = Double.MAX_VALUE;
        long start = System.nanoTime();
        do {
            long t0 = System.nanoTime();
            run.run();
            best = Math.min(best, System.nanoTime() - t0);
        } while (System.nanoTime() - start < budget);
        return flops / best;
    }

    private static float[] randomMatrix(SplittableRandom random, int n) {
        float[] m = new float[n * n];
        for (int i = 0; i < m.length; i++) {
            m[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return m;
    }

    private static int[] parseSizes(String[] args) {
        int[] sizes = new int[args.length];
        for (int i = 0; i < args.length; i++) {
            try {
                sizes[i] = Integer.parseInt(args[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("size '" + args[i] + "' is not a whole number");
            }
            if (sizes[i] < 1 || sizes[i] > 8192) {
                throw new IllegalArgumentException("size " + sizes[i] + " is outside 1..8192");
            }
        }
        return sizes;
    }
}
