package dev.lanes.kernels.ops;

import static dev.lanes.kernels.internal.VectorMath.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * Element-wise arithmetic with the Vector API. One loop per operator: the Vector API only compiles to a
 * single instruction when the operator is a constant, and a loop that receives it as a parameter can be
 * OSR-compiled with it unknown, where every vector is boxed. Twins: {@link ScalarElementwise}.
 */
public final class VectorElementwise {
    private static final int V = S.length();

    private VectorElementwise() {}

    /** {@code y[i] = a[i] + b[i]}. */
    public static void add(int n, float[] a, int ao, float[] b, int bo, float[] y, int yo) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector.fromArray(S, a, ao + i).add(FloatVector.fromArray(S, b, bo + i)).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> k = S.indexInRange(i, n);
            FloatVector.fromArray(S, a, ao + i, k).add(FloatVector.fromArray(S, b, bo + i, k)).intoArray(y, yo + i, k);
        }
    }

    /** {@code y[i] = a[i] + s}. */
    public static void addScalar(int n, float[] a, int ao, float s, float[] y, int yo) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector.fromArray(S, a, ao + i).add(s).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> k = S.indexInRange(i, n);
            FloatVector.fromArray(S, a, ao + i, k).add(s).intoArray(y, yo + i, k);
        }
    }

    /** {@code y[i] = a[i] - b[i]}. */
    public static void sub(int n, float[] a, int ao, float[] b, int bo, float[] y, int yo) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector.fromArray(S, a, ao + i).sub(FloatVector.fromArray(S, b, bo + i)).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> k = S.indexInRange(i, n);
            FloatVector.fromArray(S, a, ao + i, k).sub(FloatVector.fromArray(S, b, bo + i, k)).intoArray(y, yo + i, k);
        }
    }

    /** {@code y[i] = a[i] - s}. */
    public static void subScalar(int n, float[] a, int ao, float s, float[] y, int yo) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector.fromArray(S, a, ao + i).sub(s).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> k = S.indexInRange(i, n);
            FloatVector.fromArray(S, a, ao + i, k).sub(s).intoArray(y, yo + i, k);
        }
    }

    /** {@code y[i] = a[i] * b[i]}. */
    public static void mul(int n, float[] a, int ao, float[] b, int bo, float[] y, int yo) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector.fromArray(S, a, ao + i).mul(FloatVector.fromArray(S, b, bo + i)).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> k = S.indexInRange(i, n);
            FloatVector.fromArray(S, a, ao + i, k).mul(FloatVector.fromArray(S, b, bo + i, k)).intoArray(y, yo + i, k);
        }
    }

    /** {@code y[i] = a[i] * s}. */
    public static void mulScalar(int n, float[] a, int ao, float s, float[] y, int yo) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector.fromArray(S, a, ao + i).mul(s).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> k = S.indexInRange(i, n);
            FloatVector.fromArray(S, a, ao + i, k).mul(s).intoArray(y, yo + i, k);
        }
    }

    /** {@code y[i] = a[i] / b[i]}. */
    public static void div(int n, float[] a, int ao, float[] b, int bo, float[] y, int yo) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector.fromArray(S, a, ao + i).div(FloatVector.fromArray(S, b, bo + i)).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> k = S.indexInRange(i, n);
            FloatVector.fromArray(S, a, ao + i, k).div(FloatVector.fromArray(S, b, bo + i, k)).intoArray(y, yo + i, k);
        }
    }

    /** {@code y[i] = a[i] / s}. */
    public static void divScalar(int n, float[] a, int ao, float s, float[] y, int yo) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector.fromArray(S, a, ao + i).div(s).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> k = S.indexInRange(i, n);
            FloatVector.fromArray(S, a, ao + i, k).div(s).intoArray(y, yo + i, k);
        }
    }

    /** {@code y[i] += alpha * x[i]}, one rounding per element (fused multiply-add). */
    public static void axpy(int n, float alpha, float[] x, int xo, float[] y, int yo) {
        FloatVector va = FloatVector.broadcast(S, alpha);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector.fromArray(S, x, xo + i).fma(va, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> k = S.indexInRange(i, n);
            FloatVector.fromArray(S, x, xo + i, k).fma(va, FloatVector.fromArray(S, y, yo + i, k)).intoArray(y, yo + i, k);
        }
    }

    /** {@code y[i] = value}. */
    public static void fill(int n, float value, float[] y, int yo) {
        FloatVector v = FloatVector.broadcast(S, value);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            v.intoArray(y, yo + i);
        }
        if (i < n) {
            v.intoArray(y, yo + i, S.indexInRange(i, n));
        }
    }

    /** {@code y[i] = min(max(x[i], lo), hi)}; NaN stays NaN. */
    public static void clamp(int n, float lo, float hi, float[] x, int xo, float[] y, int yo) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector.fromArray(S, x, xo + i).max(lo).min(hi).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> k = S.indexInRange(i, n);
            FloatVector.fromArray(S, x, xo + i, k).max(lo).min(hi).intoArray(y, yo + i, k);
        }
    }
}
