package dev.lanes.kernels.ops;

/**
 * Scalar twins of {@link VectorNorms}, with the same signatures and contracts: the definitions written
 * plainly, sums and statistics accumulated in double precision and each output rounded once. They are the
 * fallback without the Vector API and the oracle in tests. Also holds the per-channel BatchNorm arithmetic
 * both implementations share (running statistics, saved statistics, gradient coefficients).
 */
public final class ScalarNorms {
    private ScalarNorms() {}

    // ================================================================================== LayerNorm

    public static void layerNorm(int rows, int cols, float[] x, int xo, float[] gamma, int go, float[] beta, int bo,
                                 float eps, float[] y, int yo, float[] mean, int mo, float[] rstd, int ro) {
        for (int r = 0; r < rows; r++) {
            layerNormRow(cols, x, xo + r * cols, gamma, go, beta, bo, eps, y, yo + r * cols, mean, mo + r, rstd, ro + r);
        }
    }

    public static void addLayerNorm(int rows, int cols, float[] x, int xo, float[] res, int reo, float[] sum, int so,
                                    float[] gamma, int go, float[] beta, int bo, float eps, float[] y, int yo,
                                    float[] mean, int mo, float[] rstd, int ro) {
        for (int r = 0; r < rows; r++) {
            int sr = so + r * cols;
            for (int j = 0; j < cols; j++) {
                sum[sr + j] = x[xo + r * cols + j] + res[reo + r * cols + j]; // the float sum is the op's output
            }
            layerNormRow(cols, sum, sr, gamma, go, beta, bo, eps, y, yo + r * cols, mean, mo + r, rstd, ro + r);
        }
    }

    private static void layerNormRow(int n, float[] x, int xo, float[] gamma, int go, float[] beta, int bo, float eps,
                                     float[] y, int yo, float[] mean, int mi, float[] rstd, int ri) {
        double s = 0;
        for (int j = 0; j < n; j++) {
            s += x[xo + j];
        }
        double m = n == 0 ? 0.0 : s / n;
        double q = 0;
        for (int j = 0; j < n; j++) {
            double d = x[xo + j] - m;
            q += d * d;
        }
        double a = 1.0 / Math.sqrt(q / n + eps); // NaN for n == 0, as PyTorch
        for (int j = 0; j < n; j++) {
            double g = gamma == null ? 1.0 : gamma[go + j];
            double b = beta == null ? 0.0 : beta[bo + j];
            y[yo + j] = (float) ((x[xo + j] - m) * a * g + b);
        }
        if (mean != null) {
            mean[mi] = (float) m;
        }
        if (rstd != null) {
            rstd[ri] = (float) a;
        }
    }

    public static void layerNormBackward(int rows, int cols, float[] x, int xo, float[] gamma, int go,
                                         float[] mean, int mo, float[] rstd, int ro, float[] dy, int dyo,
                                         float[] dx, int dxo, float[] dgamma, int dgo, float[] dbeta, int dbo) {
        double[] dg = new double[cols];
        double[] db = new double[cols];
        for (int r = 0; r < rows; r++) {
            int xr = xo + r * cols, dyr = dyo + r * cols;
            double m = mean[mo + r], a = rstd[ro + r];
            double sg = 0, sgx = 0;
            for (int j = 0; j < cols; j++) {
                double d = dy[dyr + j];
                double c = x[xr + j] - m;
                double g = d * (gamma == null ? 1.0 : gamma[go + j]);
                sg += g;
                sgx += g * c;
                dg[j] += d * c * a;
                db[j] += d;
            }
            if (dx != null) {
                // PyTorch: dx = a g + b x + c with b = (sum(g) m - sum(g x)) a^3 / n, c = -b m - sum(g) a / n.
                for (int j = 0; j < cols; j++) {
                    double g = dy[dyr + j] * (gamma == null ? 1.0 : gamma[go + j]);
                    dx[dxo + r * cols + j] = (float) (a * g - (x[xr + j] - m) * a * a * a * sgx / cols - a * sg / cols);
                }
            }
        }
        store(cols, dg, dgamma, dgo);
        store(cols, db, dbeta, dbo);
    }

    // ==================================================================================== RMSNorm

    public static void rmsNorm(int rows, int cols, float[] x, int xo, float[] gamma, int go, float eps,
                               float[] y, int yo, float[] rstd, int ro) {
        for (int r = 0; r < rows; r++) {
            rmsNormRow(cols, x, xo + r * cols, gamma, go, eps, y, yo + r * cols, rstd, ro + r);
        }
    }

    public static void addRmsNorm(int rows, int cols, float[] x, int xo, float[] res, int reo, float[] sum, int so,
                                  float[] gamma, int go, float eps, float[] y, int yo, float[] rstd, int ro) {
        for (int r = 0; r < rows; r++) {
            int sr = so + r * cols;
            for (int j = 0; j < cols; j++) {
                sum[sr + j] = x[xo + r * cols + j] + res[reo + r * cols + j];
            }
            rmsNormRow(cols, sum, sr, gamma, go, eps, y, yo + r * cols, rstd, ro + r);
        }
    }

    private static void rmsNormRow(int n, float[] x, int xo, float[] gamma, int go, float eps,
                                   float[] y, int yo, float[] rstd, int ri) {
        double q = 0;
        for (int j = 0; j < n; j++) {
            double v = x[xo + j];
            q += v * v;
        }
        double a = 1.0 / Math.sqrt(q / n + eps);
        for (int j = 0; j < n; j++) {
            y[yo + j] = (float) (x[xo + j] * a * (gamma == null ? 1.0 : gamma[go + j]));
        }
        if (rstd != null) {
            rstd[ri] = (float) a;
        }
    }

    public static void rmsNormBackward(int rows, int cols, float[] x, int xo, float[] gamma, int go,
                                       float[] rstd, int ro, float[] dy, int dyo, float[] dx, int dxo,
                                       float[] dgamma, int dgo) {
        double[] dg = new double[cols];
        for (int r = 0; r < rows; r++) {
            int xr = xo + r * cols, dyr = dyo + r * cols;
            double a = rstd[ro + r];
            double sgx = 0;
            for (int j = 0; j < cols; j++) {
                double d = dy[dyr + j];
                double v = x[xr + j];
                sgx += d * (gamma == null ? 1.0 : gamma[go + j]) * v;
                dg[j] += d * v * a;
            }
            if (dx != null) {
                // dx = a g - x a^3 mean(g x), g = dy * gamma.
                for (int j = 0; j < cols; j++) {
                    double g = dy[dyr + j] * (gamma == null ? 1.0 : gamma[go + j]);
                    dx[dxo + r * cols + j] = (float) (a * g - x[xr + j] * a * a * a * sgx / cols);
                }
            }
        }
        store(cols, dg, dgamma, dgo);
    }

    private static void store(int n, double[] values, float[] out, int off) {
        if (out != null) {
            for (int j = 0; j < n; j++) {
                out[off + j] = (float) values[j];
            }
        }
    }

    // ================================================================================== BatchNorm

    public static void batchNormTraining(int batch, int channels, int spatial, int c0, int c1,
                                         float[] x, int xo, float[] gamma, int go, float[] beta, int bo,
                                         float eps, float momentum, float[] runningMean, int rmo,
                                         float[] runningVar, int rvo, float[] y, int yo,
                                         float[] saveMean, int smo, float[] saveRstd, int sro) {
        long count = (long) batch * spatial;
        for (int c = c0; c < c1; c++) {
            double s = 0;
            for (int i = 0; i < batch; i++) {
                int o = xo + (i * channels + c) * spatial;
                for (int k = 0; k < spatial; k++) {
                    s += x[o + k];
                }
            }
            double m = s / count;
            double q = 0;
            for (int i = 0; i < batch; i++) {
                int o = xo + (i * channels + c) * spatial;
                for (int k = 0; k < spatial; k++) {
                    double d = x[o + k] - m;
                    q += d * d;
                }
            }
            double a = batchNormChannelStats(c, m, q, count, eps, momentum, runningMean, rmo, runningVar, rvo,
                    saveMean, smo, saveRstd, sro);
            double g = gamma == null ? 1.0 : gamma[go + c];
            double b = beta == null ? 0.0 : beta[bo + c];
            for (int i = 0; i < batch; i++) {
                int o = (i * channels + c) * spatial;
                for (int k = 0; k < spatial; k++) {
                    y[yo + o + k] = (float) ((x[xo + o + k] - m) * a * g + b);
                }
            }
        }
    }

    public static void batchNormInference(int batch, int channels, int spatial, float[] x, int xo,
                                          float[] gamma, int go, float[] beta, int bo,
                                          float[] runningMean, int rmo, float[] runningVar, int rvo, float eps,
                                          float[] y, int yo) {
        for (int i = 0; i < batch; i++) {
            for (int c = 0; c < channels; c++) {
                double m = runningMean[rmo + c];
                double sd = Math.sqrt((double) runningVar[rvo + c] + eps);
                double g = gamma == null ? 1.0 : gamma[go + c];
                double b = beta == null ? 0.0 : beta[bo + c];
                int o = (i * channels + c) * spatial;
                for (int k = 0; k < spatial; k++) {
                    y[yo + o + k] = (float) ((x[xo + o + k] - m) / sd * g + b);
                }
            }
        }
    }

    public static void batchNormBackward(int batch, int channels, int spatial, int c0, int c1,
                                         float[] x, int xo, float[] gamma, int go,
                                         float[] saveMean, int smo, float[] saveRstd, int sro,
                                         float[] dy, int dyo, float[] dx, int dxo,
                                         float[] dgamma, int dgo, float[] dbeta, int dbo) {
        long count = (long) batch * spatial;
        for (int c = c0; c < c1; c++) {
            double m = saveMean[smo + c], a = saveRstd[sro + c];
            double sdy = 0, sdyx = 0;
            for (int i = 0; i < batch; i++) {
                int o = (i * channels + c) * spatial;
                for (int k = 0; k < spatial; k++) {
                    double d = dy[dyo + o + k];
                    sdy += d;
                    sdyx += d * (x[xo + o + k] - m);
                }
            }
            if (dgamma != null) {
                dgamma[dgo + c] = (float) (sdyx * a);
            }
            if (dbeta != null) {
                dbeta[dbo + c] = (float) sdy;
            }
            if (dx != null) {
                // PyTorch: dx = (dy - mean(dy) - (x - m) a^2 mean(dy (x - m))) a gamma.
                double g = gamma == null ? 1.0 : gamma[go + c];
                for (int i = 0; i < batch; i++) {
                    int o = (i * channels + c) * spatial;
                    for (int k = 0; k < spatial; k++) {
                        double d = dy[dyo + o + k];
                        double xm = x[xo + o + k] - m;
                        dx[dxo + o + k] = (float) ((d - sdy / count - xm * a * a * sdyx / count) * a * g);
                    }
                }
            }
        }
    }

    // ====================================================== per-channel arithmetic shared with VectorNorms

    /**
     * Finishes one channel's training-mode statistics from its mean {@code m} and sum of squared deviations
     * {@code q} over {@code count >= 2} values: updates the running statistics as PyTorch does
     * ({@code running = (1 - momentum) running + momentum stat}, the variance unbiased, computed in double),
     * writes the saved mean and rstd, and returns {@code rstd = 1 / sqrt(q / count + eps)}.
     */
    public static double batchNormChannelStats(int c, double m, double q, long count, float eps, float momentum,
                                               float[] runningMean, int rmo, float[] runningVar, int rvo,
                                               float[] saveMean, int smo, float[] saveRstd, int sro) {
        double a = 1.0 / Math.sqrt(q / count + eps);
        if (runningMean != null) {
            runningMean[rmo + c] = (float) (momentum * m + (1.0 - momentum) * runningMean[rmo + c]);
        }
        if (runningVar != null) {
            runningVar[rvo + c] = (float) (momentum * (q / (count - 1)) + (1.0 - momentum) * runningVar[rvo + c]);
        }
        if (saveMean != null) {
            saveMean[smo + c] = (float) m;
        }
        if (saveRstd != null) {
            saveRstd[sro + c] = (float) a;
        }
        return a;
    }

    /**
     * One channel's parameter gradients from {@code sdy = sum(dy)} and {@code sdyx = sum(dy (x - mean))}:
     * writes {@code dgamma = sdyx * rstd} and {@code dbeta = sdy} (each optional), and the coefficients of
     * {@code dx = ((dy - dyMean) + (x - mean) k) * scale} to {@code out[j]} (scale {@code = rstd * gamma}),
     * {@code out[j + step]} (dyMean {@code = sdy / count}) and {@code out[j + 2 step]}
     * ({@code k = -rstd^2 sdyx / count}).
     */
    public static void batchNormChannelGradients(int c, double sdy, double sdyx, long count, float[] gamma, int go,
                                                 float[] saveRstd, int sro, float[] dgamma, int dgo,
                                                 float[] dbeta, int dbo, float[] out, int j, int step) {
        double a = saveRstd[sro + c];
        double g = gamma == null ? 1.0 : gamma[go + c];
        if (dgamma != null) {
            dgamma[dgo + c] = (float) (sdyx * a);
        }
        if (dbeta != null) {
            dbeta[dbo + c] = (float) sdy;
        }
        out[j] = (float) (a * g);
        out[j + step] = (float) (sdy / count);
        out[j + 2 * step] = (float) (-a * a * sdyx / count);
    }

    /** {@code gamma / sqrt(runningVar + eps)} for channel {@code c}, eval mode's multiplier. */
    public static float inferenceScale(float[] gamma, int go, float[] runningVar, int rvo, float eps, int c) {
        double g = gamma == null ? 1.0 : gamma[go + c];
        return (float) (g / Math.sqrt((double) runningVar[rvo + c] + eps));
    }
}
