package dev.lanes.kernels.ops;

import static dev.lanes.kernels.internal.VectorMath.S;

import dev.lanes.kernels.internal.VectorMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Reductions over one block (at most {@code Chunks.GRAIN} elements; the front end combines blocks) with the
 * Vector API. Sums keep four vector accumulators, so consecutive additions do not wait on each other and
 * rounding error grows over a quarter of the length. Twins: {@link ScalarReductions}.
 */
public final class VectorReductions {
    private static final int V = S.length();

    private VectorReductions() {}

    public static float sum(int n, float[] x, int xo) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (int bound = n - 4 * V; i <= bound; i += 4 * V) {
            s0 = s0.add(FloatVector.fromArray(S, x, xo + i));
            s1 = s1.add(FloatVector.fromArray(S, x, xo + i + V));
            s2 = s2.add(FloatVector.fromArray(S, x, xo + i + 2 * V));
            s3 = s3.add(FloatVector.fromArray(S, x, xo + i + 3 * V));
        }
        for (; i < n; i += V) {
            s0 = s0.add(FloatVector.fromArray(S, x, xo + i, S.indexInRange(i, n)));
        }
        return VectorMath.sumLanes(s0.add(s1).add(s2.add(s3)));
    }

    /**
     * The second pass of a two-pass variance: writes {@code sum(x - c)} to {@code out[0]} and
     * {@code sum((x - c)^2)} to {@code out[1]} for a center {@code c} near the mean, from which the caller
     * gets the exact mean and the corrected sum of squares (a float center alone costs 0.2 % on data like
     * 1e4 + N(0, 0.01)).
     */
    public static void centeredMoments(int n, float[] x, int xo, float center, double[] out) {
        FloatVector c = FloatVector.broadcast(S, center);
        FloatVector d0 = FloatVector.zero(S), d1 = d0, q0 = d0, q1 = d0;
        int i = 0;
        for (int bound = n - 2 * V; i <= bound; i += 2 * V) {
            FloatVector a = FloatVector.fromArray(S, x, xo + i).sub(c);
            FloatVector b = FloatVector.fromArray(S, x, xo + i + V).sub(c);
            d0 = d0.add(a);
            d1 = d1.add(b);
            q0 = a.fma(a, q0);
            q1 = b.fma(b, q1);
        }
        for (; i < n; i += V) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector a = FloatVector.fromArray(S, x, xo + i, m).sub(c).blend(0f, m.not());
            d0 = d0.add(a);
            q0 = a.fma(a, q0);
        }
        out[0] = VectorMath.sumLanes(d0.add(d1));
        out[1] = VectorMath.sumLanes(q0.add(q1));
    }

    public static float dot(int n, float[] x, int xo, float[] y, int yo) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (int bound = n - 4 * V; i <= bound; i += 4 * V) {
            s0 = FloatVector.fromArray(S, x, xo + i).fma(FloatVector.fromArray(S, y, yo + i), s0);
            s1 = FloatVector.fromArray(S, x, xo + i + V).fma(FloatVector.fromArray(S, y, yo + i + V), s1);
            s2 = FloatVector.fromArray(S, x, xo + i + 2 * V).fma(FloatVector.fromArray(S, y, yo + i + 2 * V), s2);
            s3 = FloatVector.fromArray(S, x, xo + i + 3 * V).fma(FloatVector.fromArray(S, y, yo + i + 3 * V), s3);
        }
        for (; i < n; i += V) {
            VectorMask<Float> m = S.indexInRange(i, n);
            s0 = FloatVector.fromArray(S, x, xo + i, m).fma(FloatVector.fromArray(S, y, yo + i, m), s0);
        }
        return VectorMath.sumLanes(s0.add(s1).add(s2.add(s3)));
    }

    /** The largest element, NaN if any element is NaN (as {@code torch.max}); n >= 1. */
    public static float max(int n, float[] x, int xo) {
        FloatVector m0 = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY), m1 = m0;
        int i = 0;
        for (int bound = n - 2 * V; i <= bound; i += 2 * V) {
            m0 = m0.max(FloatVector.fromArray(S, x, xo + i));
            m1 = m1.max(FloatVector.fromArray(S, x, xo + i + V));
        }
        for (; i < n; i += V) {
            VectorMask<Float> m = S.indexInRange(i, n);
            m0 = m0.max(FloatVector.fromArray(S, x, xo + i, m).blend(Float.NEGATIVE_INFINITY, m.not()));
        }
        return m0.max(m1).reduceLanes(VectorOperators.MAX);
    }

    /** The first index whose element equals {@code value} (is NaN when value is NaN), or -1. */
    public static int indexOf(int n, float[] x, int xo, float value) {
        boolean nan = Float.isNaN(value);
        for (int i = 0; i < n; i += V) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector v = FloatVector.fromArray(S, x, xo + i, m);
            VectorMask<Float> hit = (nan ? v.test(VectorOperators.IS_NAN) : v.compare(VectorOperators.EQ, value)).and(m);
            if (hit.anyTrue()) {
                return i + hit.firstTrue();
            }
        }
        return -1;
    }

    /** {@code y[c] = sum over r of x[r][c]} for the columns {@code [c0, c1)}, adding rows in order. */
    public static void columnSums(int rows, int cols, int c0, int c1, float[] x, int xo, float[] y, int yo) {
        int n = c1 - c0;
        int i = 0;
        for (; i < n; i += V) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector acc = FloatVector.zero(S);
            for (int r = 0; r < rows; r++) {
                acc = acc.add(FloatVector.fromArray(S, x, xo + r * cols + c0 + i, m));
            }
            acc.intoArray(y, yo + c0 + i, m);
        }
    }
}
