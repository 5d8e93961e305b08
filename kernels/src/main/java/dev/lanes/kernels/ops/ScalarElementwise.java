package dev.lanes.kernels.ops;

/** Scalar twins of {@link VectorElementwise}, written plainly. */
public final class ScalarElementwise {
    private ScalarElementwise() {}

    public static void add(int n, float[] a, int ao, float[] b, int bo, float[] y, int yo) {
        for (int i = 0; i < n; i++) {
            y[yo + i] = a[ao + i] + b[bo + i];
        }
    }

    public static void addScalar(int n, float[] a, int ao, float s, float[] y, int yo) {
        for (int i = 0; i < n; i++) {
            y[yo + i] = a[ao + i] + s;
        }
    }

    public static void sub(int n, float[] a, int ao, float[] b, int bo, float[] y, int yo) {
        for (int i = 0; i < n; i++) {
            y[yo + i] = a[ao + i] - b[bo + i];
        }
    }

    public static void subScalar(int n, float[] a, int ao, float s, float[] y, int yo) {
        for (int i = 0; i < n; i++) {
            y[yo + i] = a[ao + i] - s;
        }
    }

    public static void mul(int n, float[] a, int ao, float[] b, int bo, float[] y, int yo) {
        for (int i = 0; i < n; i++) {
            y[yo + i] = a[ao + i] * b[bo + i];
        }
    }

    public static void mulScalar(int n, float[] a, int ao, float s, float[] y, int yo) {
        for (int i = 0; i < n; i++) {
            y[yo + i] = a[ao + i] * s;
        }
    }

    public static void div(int n, float[] a, int ao, float[] b, int bo, float[] y, int yo) {
        for (int i = 0; i < n; i++) {
            y[yo + i] = a[ao + i] / b[bo + i];
        }
    }

    public static void divScalar(int n, float[] a, int ao, float s, float[] y, int yo) {
        for (int i = 0; i < n; i++) {
            y[yo + i] = a[ao + i] / s;
        }
    }

    public static void axpy(int n, float alpha, float[] x, int xo, float[] y, int yo) {
        for (int i = 0; i < n; i++) {
            y[yo + i] = Math.fma(alpha, x[xo + i], y[yo + i]);
        }
    }

    public static void fill(int n, float value, float[] y, int yo) {
        java.util.Arrays.fill(y, yo, yo + n, value);
    }

    public static void clamp(int n, float lo, float hi, float[] x, int xo, float[] y, int yo) {
        for (int i = 0; i < n; i++) {
            float v = x[xo + i];
            y[yo + i] = Float.isNaN(v) ? v : Math.min(Math.max(v, lo), hi);
        }
    }
}
