package dev.lanes.kernels.ops;

import static dev.lanes.kernels.internal.VectorMath.S;

import dev.lanes.kernels.internal.VectorMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Softmax, log-softmax and cross-entropy over one row at a time with the Vector API. A row is read from
 * memory once: the later passes over it (max, then exponentials, then scaling) hit the cache. Twins:
 * {@link ScalarSoftmax}.
 */
public final class VectorSoftmax {
    private static final int V = S.length();

    private VectorSoftmax() {}

    /** {@code y = exp(x - max) / sum(exp(x - max))}. */
    public static void softmax(int n, float[] x, int xo, float[] y, int yo) {
        float max = VectorReductions.max(n, x, xo);
        float sum = expShifted(n, x, xo, max, y, yo);
        float inv = 1f / sum;
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector.fromArray(S, y, yo + i).mul(inv).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, y, yo + i, m).mul(inv).intoArray(y, yo + i, m);
        }
    }

    /** {@code y = (x - max) - log(sum(exp(x - max)))}. */
    public static void logSoftmax(int n, float[] x, int xo, float[] y, int yo) {
        float max = VectorReductions.max(n, x, xo);
        float logSum = (float) Math.log(expShifted(n, x, xo, max, null, 0));
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector.fromArray(S, x, xo + i).sub(max).sub(logSum).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, x, xo + i, m).sub(max).sub(logSum).intoArray(y, yo + i, m);
        }
    }

    /** {@code dx = y * (dy - sum(dy * y))} given the softmax output {@code y}. */
    public static void softmaxBackward(int n, float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo) {
        float dot = VectorReductions.dot(n, y, yo, dy, dyo);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector yv = FloatVector.fromArray(S, y, yo + i);
            FloatVector.fromArray(S, dy, dyo + i).sub(dot).mul(yv).intoArray(dx, dxo + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector yv = FloatVector.fromArray(S, y, yo + i, m);
            FloatVector.fromArray(S, dy, dyo + i, m).sub(dot).mul(yv).intoArray(dx, dxo + i, m);
        }
    }

    /** {@code dx = dy - exp(y) * sum(dy)} given the log-softmax output {@code y}. */
    public static void logSoftmaxBackward(int n, float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo) {
        float sum = VectorReductions.sum(n, dy, dyo);
        FloatVector s = FloatVector.broadcast(S, -sum);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(S, y, yo + i));
            e.fma(s, FloatVector.fromArray(S, dy, dyo + i)).intoArray(dx, dxo + i);
        }
        if (i < n) {
            logSoftmaxBackwardTail(n, i, y, yo, dy, dyo, dx, dxo, -sum);
        }
    }

    /** The masked last vector, out of line so that the loop above holds one copy of exp. */
    private static void logSoftmaxBackwardTail(int n, int i, float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo,
                                               float minusSum) {
        VectorMask<Float> m = S.indexInRange(i, n);
        FloatVector e = VectorMath.exp(FloatVector.fromArray(S, y, yo + i, m));
        e.fma(FloatVector.broadcast(S, minusSum), FloatVector.fromArray(S, dy, dyo + i, m)).intoArray(dx, dxo + i, m);
    }

    /**
     * Cross-entropy of one row of logits against class {@code target}, with label smoothing {@code eps}:
     * returns {@code (1 - eps)(lse - x[t]) + eps (lse - mean(x))}, {@code lse = log(sum(exp(x)))}; when
     * {@code grad} is not null writes {@code scale * (softmax(x) - (1 - eps) onehot(t) - eps / n)} to it.
     */
    public static double crossEntropy(int n, float[] x, int xo, int target, float eps, float[] grad, int go,
                                      float scale) {
        float max = VectorReductions.max(n, x, xo);
        float sum = expShifted(n, x, xo, max, grad, go);
        double logSum = Math.log(sum);
        double loss = (1.0 - eps) * (((double) max - x[xo + target]) + logSum);
        if (eps != 0) {
            double mean = (double) VectorReductions.sum(n, x, xo) / n;
            loss += eps * ((max - mean) + logSum);
        }
        if (grad != null) {
            float p = scale / sum;
            float uniform = scale * eps / n;
            for (int i = 0; i < n; i += V) {
                VectorMask<Float> m = S.indexInRange(i, n);
                FloatVector.fromArray(S, grad, go + i, m).mul(p).sub(uniform).intoArray(grad, go + i, m);
            }
            grad[go + target] -= scale * (1f - eps);
        }
        return loss;
    }

    /**
     * Cross-entropy of one row of logits against class probabilities {@code q} (smoothed to
     * {@code q' = (1 - eps) q + eps / n}): returns {@code sum(q' (lse - x))}; the gradient, when asked for, is
     * {@code scale * (softmax(x) sum(q') - q')}.
     */
    public static double crossEntropySoft(int n, float[] x, int xo, float[] q, int qo, float eps, float[] grad, int go,
                                          float scale) {
        float max = VectorReductions.max(n, x, xo);
        float sum = expShifted(n, x, xo, max, grad, go);
        float logSum = (float) Math.log(sum);
        float keep = 1f - eps, uniform = eps / n;
        // sum(q'), and sum(q' (lse - x)) with lse - x = (max - x) + logSum.
        FloatVector qSum = FloatVector.zero(S), lossSum = FloatVector.zero(S);
        for (int i = 0; i < n; i += V) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector qs = FloatVector.fromArray(S, q, qo + i, m).fma(keep, uniform).blend(0f, m.not());
            FloatVector gap = FloatVector.fromArray(S, x, xo + i, m).neg().add(max).add(logSum);
            qSum = qSum.add(qs);
            lossSum = qs.fma(gap, lossSum);
        }
        float qTotal = VectorMath.sumLanes(qSum);
        if (grad != null) {
            float p = scale * qTotal / sum;
            for (int i = 0; i < n; i += V) {
                VectorMask<Float> m = S.indexInRange(i, n);
                FloatVector qs = FloatVector.fromArray(S, q, qo + i, m).fma(keep, uniform);
                FloatVector.fromArray(S, grad, go + i, m).mul(p).sub(qs.mul(scale)).intoArray(grad, go + i, m);
            }
        }
        return VectorMath.sumLanes(lossSum);
    }

    /** {@code sum(exp(x - max))}, storing the exponentials into {@code e} when it is not null. */
    private static float expShifted(int n, float[] x, int xo, float max, float[] e, int eo) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            FloatVector v = VectorMath.exp(FloatVector.fromArray(S, x, xo + i).sub(max));
            if (e != null) {
                v.intoArray(e, eo + i);
            }
            acc = acc.add(v);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector v = VectorMath.exp(FloatVector.fromArray(S, x, xo + i, m).sub(max)).blend(0f, m.not());
            if (e != null) {
                v.intoArray(e, eo + i, m);
            }
            acc = acc.add(v);
        }
        return VectorMath.sumLanes(acc);
    }
}
