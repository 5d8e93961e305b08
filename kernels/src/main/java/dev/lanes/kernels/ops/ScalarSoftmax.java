package dev.lanes.kernels.ops;

/** Scalar twins of {@link VectorSoftmax}, one row at a time, accumulating in double. */
public final class ScalarSoftmax {
    private ScalarSoftmax() {}

    public static void softmax(int n, float[] x, int xo, float[] y, int yo) {
        float max = ScalarReductions.max(n, x, xo);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp((double) x[xo + i] - max);
        }
        for (int i = 0; i < n; i++) {
            y[yo + i] = (float) (Math.exp((double) x[xo + i] - max) / sum);
        }
    }

    public static void logSoftmax(int n, float[] x, int xo, float[] y, int yo) {
        float max = ScalarReductions.max(n, x, xo);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp((double) x[xo + i] - max);
        }
        double logSum = Math.log(sum);
        for (int i = 0; i < n; i++) {
            y[yo + i] = (float) ((double) x[xo + i] - max - logSum);
        }
    }

    public static void softmaxBackward(int n, float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo) {
        double dot = 0;
        for (int i = 0; i < n; i++) {
            dot += (double) y[yo + i] * dy[dyo + i];
        }
        for (int i = 0; i < n; i++) {
            dx[dxo + i] = (float) (y[yo + i] * (dy[dyo + i] - dot));
        }
    }

    public static void logSoftmaxBackward(int n, float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += dy[dyo + i];
        }
        for (int i = 0; i < n; i++) {
            dx[dxo + i] = (float) (dy[dyo + i] - Math.exp(y[yo + i]) * sum);
        }
    }

    public static double crossEntropy(int n, float[] x, int xo, int target, float eps, float[] grad, int go,
                                      float scale) {
        float max = ScalarReductions.max(n, x, xo);
        double sum = 0, sumX = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp((double) x[xo + i] - max);
            sumX += x[xo + i];
        }
        double lse = max + Math.log(sum);
        double loss = (1.0 - eps) * (lse - x[xo + target]) + eps * (lse - sumX / n);
        if (grad != null) {
            for (int i = 0; i < n; i++) {
                double p = Math.exp((double) x[xo + i] - max) / sum;
                double want = (i == target ? 1.0 - eps : 0.0) + (double) eps / n;
                grad[go + i] = (float) (scale * (p - want));
            }
        }
        return loss;
    }

    public static double crossEntropySoft(int n, float[] x, int xo, float[] q, int qo, float eps, float[] grad, int go,
                                          float scale) {
        float max = ScalarReductions.max(n, x, xo);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp((double) x[xo + i] - max);
        }
        double lse = max + Math.log(sum);
        double loss = 0, qTotal = 0;
        for (int i = 0; i < n; i++) {
            double qs = (1.0 - eps) * q[qo + i] + (double) eps / n;
            qTotal += qs;
            loss += qs * (lse - x[xo + i]);
        }
        if (grad != null) {
            for (int i = 0; i < n; i++) {
                double p = Math.exp((double) x[xo + i] - max) / sum;
                double qs = (1.0 - eps) * q[qo + i] + (double) eps / n;
                grad[go + i] = (float) (scale * (p * qTotal - qs));
            }
        }
        return loss;
    }
}
