package dev.lanes.jmh.kernels;

import dev.lanes.jmh.VectorGuard;
import dev.lanes.kernels.Lanes;
import dev.lanes.kernels.Threads;
import java.util.SplittableRandom;

/**
 * A {@code rows x cols} float block given as a JMH {@code @Param} string such as "4096x1024", and the operands
 * the memory-bound kernel benchmarks fill it with.
 *
 * <p>The two shapes of the suites: {@value #DRAM} (16 MB per operand, far beyond L2; a two-operand kernel
 * touches 32 MB, so on a CPU with a large L3 part of it may still hit there) and {@value #CACHE} (1 MB per
 * operand, L2/L3 resident). Each benchmark method adds the bytes of one call to a {@link dev.lanes.jmh.Work.Bytes}
 * counter (GB/s): bytes read plus written per element by the kernel's contract times the elements, for example
 * 8 per element for an activation's forward (one float read, one written); per-row and per-column terms
 * (targets, gamma/beta, row statistics, a broadcast row) are left out, below 0.5% of the traffic at 1024 columns.
 * {@code scripts/bench_torch_kernels.py} counts the same bytes for PyTorch.
 *
 * <p>Every suite has two kinds of state: a {@code LibraryState} ({@code shape}, {@code threads} and
 * {@code library}: {@code lanes}, or {@code java-loop}, the plain single-threaded loop, run with
 * {@code -p library=lanes,java-loop -p threads=1}) for the ops that have a plain-loop twin, and a
 * {@code LanesState} ({@code shape} and {@code threads}) for the Lanes-only ones (the backward passes).
 */
public final class KernelShape {
    /** The DRAM-resident block. */
    public static final String DRAM = "4096x1024";
    /** The cache-resident block. */
    public static final String CACHE = "256x1024";

    final int rows, cols, n;

    KernelShape(String shape) {
        String[] parts = shape.split("x");
        if (parts.length != 2) {
            throw new IllegalArgumentException("shape '" + shape + "' is not rows x cols, e.g. 4096x1024");
        }
        rows = Integer.parseInt(parts[0]);
        cols = Integer.parseInt(parts[1]);
        n = Math.multiplyExact(rows, cols);
    }

    /**
     * Fails unless the kernels run on the Vector API (see {@link VectorGuard}), sets the Lanes thread count and
     * prints what Lanes detected, once per fork.
     */
    static void setUpLanes(int threads) {
        VectorGuard.requireVectorized();
        Threads.setCount(threads);
        System.out.println();
        System.out.println(Lanes.describe());
    }

    /**
     * The setup of a suite's comparison state: {@code lanes} as {@link #setUpLanes(int)}; {@code java-loop}, the
     * plain loop a developer writes without a library, with the same guard (so that a fork missing
     * {@code --add-modules} fails loudly here too) and one thread, the only count it takes. Returns whether the
     * plain loop runs.
     */
    static boolean setUpLibrary(String suite, String library, int threads) {
        switch (library) {
            case "lanes" -> {
                setUpLanes(threads);
                return false;
            }
            case "java-loop" -> {
                if (threads != 1) {
                    throw new IllegalArgumentException("java-loop is single-threaded: run it with -p threads=1");
                }
                VectorGuard.requireVectorized();
                Threads.setCount(1);
                return true;
            }
            default -> throw new IllegalArgumentException(suite + ": library '" + library
                    + "' is not one of lanes, java-loop");
        }
    }

    /** Standard-normal floats, the usual distribution of activations and logits. */
    float[] gaussian(long seed) {
        return gaussian(seed, n, 1.0);
    }

    static float[] gaussian(long seed, int length, double sigma) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = new float[length];
        for (int i = 0; i < length; i++) {
            x[i] = (float) (random.nextGaussian() * sigma);
        }
        return x;
    }

    /** Uniform floats in {@code [lo, hi)}. */
    static float[] uniform(long seed, int length, double lo, double hi) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = new float[length];
        for (int i = 0; i < length; i++) {
            x[i] = (float) random.nextDouble(lo, hi);
        }
        return x;
    }

    /** A row-wise softmax of {@code x} (plain loops), for the inputs of the backward passes. */
    float[] softmaxRows(float[] x) {
        float[] y = new float[n];
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) {
                max = Math.max(max, x[o + c]);
            }
            double sum = 0;
            for (int c = 0; c < cols; c++) {
                sum += Math.exp(x[o + c] - max);
            }
            for (int c = 0; c < cols; c++) {
                y[o + c] = (float) (Math.exp(x[o + c] - max) / sum);
            }
        }
        return y;
    }

    /**
     * The error function as a developer writes it without a library: Abramowitz and Stegun 7.1.26 (absolute
     * error below 1.5e-7) in float, with {@link Math#exp}. Used by the plain-loop GELU baseline and by
     * {@code VectorMathBenchmark}.
     */
    static float plainErf(float z) {
        float a = Math.abs(z);
        float t = 1f / (1f + 0.3275911f * a);
        float poly = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f
                + t * 1.061405429f))));
        return Math.copySign(1f - poly * (float) Math.exp(-a * a), z);
    }

    /** Elementwise {@code log} of {@code y}. */
    static float[] log(float[] y) {
        float[] l = new float[y.length];
        for (int i = 0; i < y.length; i++) {
            l[i] = (float) Math.log(y[i]);
        }
        return l;
    }
}
