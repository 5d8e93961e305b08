package dev.lanes.jmh.gemm;

import java.util.SplittableRandom;

/** An {@code m x n x k} product with its operands, as a JMH {@code @Param} string such as "128x512x784". */
final class GemmShape {
    final int m, n, k;
    final float[] a, b, c;
    private float[] bias;

    GemmShape(String shape) {
        String[] parts = shape.split("x");
        if (parts.length != 3) {
            throw new IllegalArgumentException("shape '" + shape + "' is not m x n x k, e.g. 128x512x784");
        }
        m = Integer.parseInt(parts[0]);
        n = Integer.parseInt(parts[1]);
        k = Integer.parseInt(parts[2]);
        SplittableRandom random = new SplittableRandom(42);
        a = random(random, m * k);
        b = random(random, k * n);
        c = new float[m * n];
    }

    /** A per-column bias of length n, made on first use. */
    float[] bias() {
        if (bias == null) {
            bias = random(new SplittableRandom(7), n);
        }
        return bias;
    }

    /** Floating-point operations of one product, the numerator of GFLOP/s. */
    double flops() {
        return 2.0 * m * n * k;
    }

    private static float[] random(SplittableRandom random, int length) {
        float[] x = new float[length];
        for (int i = 0; i < length; i++) {
            x[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return x;
    }
}
