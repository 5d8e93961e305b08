package dev.lanes.kernels.ops;

/** Scalar twin of {@link VectorDropout}. */
public final class ScalarDropout {
    private ScalarDropout() {}

    public static void apply(int n, int first, int key0, int key1, int threshold, float scale,
                             float[] x, int xo, float[] y, int yo) {
        for (int i = 0; i < n; i++) {
            boolean keep = DropoutHash.uniform24(key0, key1, first + i) >= threshold;
            y[yo + i] = x[xo + i] * (keep ? scale : 0f); // 0 * NaN stays NaN, as in PyTorch
        }
    }
}
