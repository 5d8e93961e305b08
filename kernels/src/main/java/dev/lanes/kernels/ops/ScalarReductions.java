package dev.lanes.kernels.ops;

/** Scalar twins of {@link VectorReductions}: plain loops accumulating in double. */
public final class ScalarReductions {
    private ScalarReductions() {}

    public static float sum(int n, float[] x, int xo) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += x[xo + i];
        }
        return (float) s;
    }

    public static void centeredMoments(int n, float[] x, int xo, float center, double[] out) {
        double s = 0, q = 0;
        for (int i = 0; i < n; i++) {
            double d = x[xo + i] - (double) center;
            s += d;
            q += d * d;
        }
        out[0] = s;
        out[1] = q;
    }

    public static float dot(int n, float[] x, int xo, float[] y, int yo) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += (double) x[xo + i] * y[yo + i];
        }
        return (float) s;
    }

    public static float max(int n, float[] x, int xo) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            float v = x[xo + i];
            if (Float.isNaN(v)) {
                return v;
            }
            m = Math.max(m, v);
        }
        return m;
    }

    public static int indexOf(int n, float[] x, int xo, float value) {
        for (int i = 0; i < n; i++) {
            float v = x[xo + i];
            if (v == value || (Float.isNaN(value) && Float.isNaN(v))) {
                return i;
            }
        }
        return -1;
    }

    public static void columnSums(int rows, int cols, int c0, int c1, float[] x, int xo, float[] y, int yo) {
        for (int c = c0; c < c1; c++) {
            double s = 0;
            for (int r = 0; r < rows; r++) {
                s += x[xo + r * cols + c];
            }
            y[yo + c] = (float) s;
        }
    }
}
