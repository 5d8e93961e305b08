package dev.lanes.kernels.ops;

import static dev.lanes.kernels.internal.VectorMath.S;

import dev.lanes.kernels.internal.VectorMath;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * Normalization kernels with the Vector API: LayerNorm, RMSNorm (with their fused residual-add forms) and
 * BatchNorm, forward and backward. Twins: {@link ScalarNorms}, with the same signatures; the front end is
 * {@code dev.lanes.kernels.Norms}, whose Javadoc gives every argument's meaning. Arguments are not checked
 * here.
 *
 * <p>Row kernels keep a row in cache between their passes: the statistics pass(es), then the pass that
 * writes. Sums run in four (or two) vector accumulators whose lanes are then added in a fixed order; the
 * variance is the mean of squared deviations from the already computed mean (two passes, never
 * {@code E[x^2] - E[x]^2}). Outputs are normalized as {@code (x - mean) * rstd}: the subtraction is exact
 * for values near the mean, where PyTorch's {@code x * rstd + (-mean * rstd)} cancels two large rounded
 * terms when {@code |mean|} is much larger than the spread; the function is the same. Input gradients are
 * likewise formed as {@code ((g - mean(g)) + (x - mean) k) * rstd}, cancelling before scaling.
 *
 * <p>BatchNorm kernels work on a channel range {@code [c0, c1)} of the whole
 * {@code (batch, channels, spatial)} block: per channel, the statistics pass(es) and then the writing pass,
 * so a channel's values are read from memory once when they fit in L2. With {@code spatial == 1} the block
 * is {@code batch} rows of {@code channels} floats and the kernels run vectors across channels, each vector
 * walking down its columns.
 */
public final class VectorNorms {
    private static final int V = S.length();

    private VectorNorms() {}

    // ================================================================================== LayerNorm

    public static void layerNorm(int rows, int cols, float[] x, int xo, float[] gamma, int go, float[] beta, int bo,
                                 float eps, float[] y, int yo, float[] mean, int mo, float[] rstd, int ro) {
        for (int r = 0; r < rows; r++) {
            int xr = xo + r * cols;
            float m = sum(cols, x, xr) / cols;
            if (cols == 0) {
                m = 0f;
            }
            float a = rstdOf(sumSquaredDeviations(cols, x, xr, m), cols, eps);
            normalize(cols, x, xr, m, a, gamma, go, beta, bo, y, yo + r * cols);
            if (mean != null) {
                mean[mo + r] = m;
            }
            if (rstd != null) {
                rstd[ro + r] = a;
            }
        }
    }

    /** {@code sum = x + residual}, then {@link #layerNorm} of {@code sum}, the row kept in cache. */
    public static void addLayerNorm(int rows, int cols, float[] x, int xo, float[] res, int reo, float[] sum, int so,
                                    float[] gamma, int go, float[] beta, int bo, float eps, float[] y, int yo,
                                    float[] mean, int mo, float[] rstd, int ro) {
        for (int r = 0; r < rows; r++) {
            int sr = so + r * cols;
            float m = addAndSum(cols, x, xo + r * cols, res, reo + r * cols, sum, sr) / cols;
            if (cols == 0) {
                m = 0f;
            }
            float a = rstdOf(sumSquaredDeviations(cols, sum, sr, m), cols, eps);
            normalize(cols, sum, sr, m, a, gamma, go, beta, bo, y, yo + r * cols);
            if (mean != null) {
                mean[mo + r] = m;
            }
            if (rstd != null) {
                rstd[ro + r] = a;
            }
        }
    }

    /**
     * LayerNorm's gradients for {@code rows} rows. {@code dgamma} and {@code dbeta} (each nullable) receive
     * the sums over these rows only: they are overwritten, not accumulated into.
     */
    public static void layerNormBackward(int rows, int cols, float[] x, int xo, float[] gamma, int go,
                                         float[] mean, int mo, float[] rstd, int ro, float[] dy, int dyo,
                                         float[] dx, int dxo, float[] dgamma, int dgo, float[] dbeta, int dbo) {
        if (dgamma != null) {
            Arrays.fill(dgamma, dgo, dgo + cols, 0f);
        }
        if (dbeta != null) {
            Arrays.fill(dbeta, dbo, dbo + cols, 0f);
        }
        boolean fused = dx != null && gamma != null && dgamma != null && dbeta != null;
        for (int r = 0; r < rows; r++) {
            int xr = xo + r * cols, dyr = dyo + r * cols;
            float m = mean[mo + r], a = rstd[ro + r];
            float sg, sgx;
            if (fused) {
                // The training case: one pass for both row sums and both parameter gradients.
                long sums = layerNormSumsAndParams(cols, x, xr, gamma, go, m, a, dy, dyr, dgamma, dgo, dbeta, dbo);
                sg = Float.intBitsToFloat((int) (sums >>> 32));
                sgx = Float.intBitsToFloat((int) sums);
            } else {
                if (dgamma != null || dbeta != null) {
                    accumulateLayerNormParams(cols, x, xr, m, a, dy, dyr, dgamma, dgo, dbeta, dbo);
                }
                if (dx == null) {
                    continue;
                }
                if (gamma != null) {
                    // The same arithmetic as the fused pass, so dx has the same bits whichever outputs are asked for.
                    long sums = layerNormSums(cols, x, xr, gamma, go, m, dy, dyr);
                    sg = Float.intBitsToFloat((int) (sums >>> 32));
                    sgx = Float.intBitsToFloat((int) sums);
                } else {
                    sg = sum(cols, dy, dyr);
                    sgx = sumProductCentred(cols, dy, dyr, x, xr, m);
                }
            }
            // dx = a (g - mean(g) - xhat mean(g xhat)) with g = dy * gamma, xhat = (x - m) a,
            //    = ((g - gm) + (x - m) k) a with gm = sum(g) / n, k = -a^2 sum(g (x - m)) / n:
            // g - gm cancels before scaling, so a row of equal g (cols == 1, say) gives exactly 0.
            float gm = (float) ((double) sg / cols);
            float k = (float) (-(double) a * a * sgx / cols);
            layerNormDx(cols, x, xr, m, a, k, gm, gamma, go, dy, dyr, dx, dxo + r * cols);
        }
    }

    // ==================================================================================== RMSNorm

    public static void rmsNorm(int rows, int cols, float[] x, int xo, float[] gamma, int go, float eps,
                               float[] y, int yo, float[] rstd, int ro) {
        for (int r = 0; r < rows; r++) {
            int xr = xo + r * cols;
            float a = rstdOf(sumSquares(cols, x, xr), cols, eps);
            scale(cols, x, xr, a, gamma, go, y, yo + r * cols);
            if (rstd != null) {
                rstd[ro + r] = a;
            }
        }
    }

    /** {@code sum = x + residual}, then {@link #rmsNorm} of {@code sum}, the row kept in cache. */
    public static void addRmsNorm(int rows, int cols, float[] x, int xo, float[] res, int reo, float[] sum, int so,
                                  float[] gamma, int go, float eps, float[] y, int yo, float[] rstd, int ro) {
        for (int r = 0; r < rows; r++) {
            int sr = so + r * cols;
            float a = rstdOf(addAndSumSquares(cols, x, xo + r * cols, res, reo + r * cols, sum, sr), cols, eps);
            scale(cols, sum, sr, a, gamma, go, y, yo + r * cols);
            if (rstd != null) {
                rstd[ro + r] = a;
            }
        }
    }

    /** RMSNorm's gradients for {@code rows} rows; {@code dgamma} (nullable) is overwritten with their sum. */
    public static void rmsNormBackward(int rows, int cols, float[] x, int xo, float[] gamma, int go,
                                       float[] rstd, int ro, float[] dy, int dyo, float[] dx, int dxo,
                                       float[] dgamma, int dgo) {
        if (dgamma != null) {
            Arrays.fill(dgamma, dgo, dgo + cols, 0f);
        }
        for (int r = 0; r < rows; r++) {
            int xr = xo + r * cols, dyr = dyo + r * cols;
            float a = rstd[ro + r];
            if (dgamma != null) {
                accumulateRmsParams(cols, x, xr, a, dy, dyr, dgamma, dgo);
            }
            if (dx == null) {
                continue;
            }
            // dx = g a - x a^3 mean(g x) = (g + x k) a with g = dy * gamma, k = -a^2 sum(g x) / n.
            float sgx = gamma == null ? sumProduct(cols, dy, dyr, x, xr) : sumProduct(cols, dy, dyr, gamma, go, x, xr);
            float k = (float) (-(double) a * a * sgx / cols);
            rmsDx(cols, x, xr, a, k, gamma, go, dy, dyr, dx, dxo + r * cols);
        }
    }

    // ================================================================================== BatchNorm

    /**
     * BatchNorm in training mode for channels {@code [c0, c1)}: batch statistics, running-statistics update,
     * saved mean and rstd, output. {@code batch * spatial >= 2}.
     */
    public static void batchNormTraining(int batch, int channels, int spatial, int c0, int c1,
                                         float[] x, int xo, float[] gamma, int go, float[] beta, int bo,
                                         float eps, float momentum, float[] runningMean, int rmo,
                                         float[] runningVar, int rvo, float[] y, int yo,
                                         float[] saveMean, int smo, float[] saveRstd, int sro) {
        long count = (long) batch * spatial;
        if (spatial == 1) {
            float[] lanes = new float[3 * V];
            for (int c = c0; c < c1; c += V) {
                int used = Math.min(V, c1 - c);
                VectorMask<Float> m = S.indexInRange(c, c1);
                // Sum the deviations from the first row, so the mean keeps its accuracy when it is large
                // compared with the spread; mean = first + sum / count, in double.
                FloatVector first = load(x, xo + c, m);
                first.intoArray(lanes, 0);
                columnShiftedSum(batch, channels, x, xo + c, first, m).intoArray(lanes, V);
                for (int k = 0; k < used; k++) {
                    lanes[2 * V + k] = (float) (lanes[k] + (double) lanes[V + k] / count);
                }
                FloatVector mean = FloatVector.fromArray(S, lanes, 2 * V);
                columnSquaredDeviations(batch, channels, x, xo + c, mean, m).intoArray(lanes, V);
                for (int k = 0; k < used; k++) {
                    float a = (float) ScalarNorms.batchNormChannelStats(c + k, lanes[2 * V + k], lanes[V + k], count,
                            eps, momentum, runningMean, rmo, runningVar, rvo, saveMean, smo, saveRstd, sro);
                    lanes[k] = gamma == null ? a : gamma[go + c + k] * a;
                    lanes[V + k] = beta == null ? 0f : beta[bo + c + k];
                }
                FloatVector scale = FloatVector.fromArray(S, lanes, 0);
                FloatVector shift = FloatVector.fromArray(S, lanes, V);
                columnAffine(batch, channels, x, xo + c, mean, scale, shift, y, yo + c, m);
            }
            return;
        }
        int stride = channels * spatial;
        for (int c = c0; c < c1; c++) {
            int base = xo + c * spatial;
            float first = x[base];
            float mean = (float) (first + channelShiftedSum(batch, spatial, stride, x, base, first) / (double) count);
            float q = channelSquaredDeviations(batch, spatial, stride, x, base, mean);
            float a = (float) ScalarNorms.batchNormChannelStats(c, mean, q, count, eps, momentum,
                    runningMean, rmo, runningVar, rvo, saveMean, smo, saveRstd, sro);
            float scale = gamma == null ? a : gamma[go + c] * a;
            float shift = beta == null ? 0f : beta[bo + c];
            channelAffine(batch, spatial, stride, x, base, mean, scale, shift, y, yo + c * spatial);
        }
    }

    /** BatchNorm in eval mode over all channels: {@code y = (x - runningMean) / sqrt(runningVar + eps) * gamma + beta}. */
    public static void batchNormInference(int batch, int channels, int spatial, float[] x, int xo,
                                          float[] gamma, int go, float[] beta, int bo,
                                          float[] runningMean, int rmo, float[] runningVar, int rvo, float eps,
                                          float[] y, int yo) {
        if (spatial == 1) {
            float[] scale = new float[channels];
            for (int c = 0; c < channels; c++) {
                scale[c] = ScalarNorms.inferenceScale(gamma, go, runningVar, rvo, eps, c);
            }
            for (int i = 0; i < batch; i++) {
                rowAffine(channels, x, xo + i * channels, runningMean, rmo, scale, beta, bo, y, yo + i * channels);
            }
            return;
        }
        for (int i = 0; i < batch; i++) {
            for (int c = 0; c < channels; c++) {
                int off = (i * channels + c) * spatial;
                float scale = ScalarNorms.inferenceScale(gamma, go, runningVar, rvo, eps, c);
                float shift = beta == null ? 0f : beta[bo + c];
                segmentAffine(spatial, x, xo + off, runningMean[rmo + c], scale, shift, y, yo + off);
            }
        }
    }

    /**
     * BatchNorm's training-mode gradients for channels {@code [c0, c1)}; {@code dx}, {@code dgamma},
     * {@code dbeta} are each nullable and overwritten.
     */
    public static void batchNormBackward(int batch, int channels, int spatial, int c0, int c1,
                                         float[] x, int xo, float[] gamma, int go,
                                         float[] saveMean, int smo, float[] saveRstd, int sro,
                                         float[] dy, int dyo, float[] dx, int dxo,
                                         float[] dgamma, int dgo, float[] dbeta, int dbo) {
        long count = (long) batch * spatial;
        if (spatial == 1) {
            float[] lanes = new float[3 * V];
            for (int c = c0; c < c1; c += V) {
                VectorMask<Float> m = S.indexInRange(c, c1);
                FloatVector mean = FloatVector.fromArray(S, saveMean, smo + c, m);
                columnGradientSums(batch, channels, x, xo + c, mean, dy, dyo + c, m, lanes);
                for (int k = 0, lanesUsed = Math.min(V, c1 - c); k < lanesUsed; k++) {
                    ScalarNorms.batchNormChannelGradients(c + k, lanes[k], lanes[V + k], count, gamma, go,
                            saveRstd, sro, dgamma, dgo, dbeta, dbo, lanes, k, V);
                }
                if (dx != null) {
                    FloatVector scale = FloatVector.fromArray(S, lanes, 0);
                    FloatVector dyMean = FloatVector.fromArray(S, lanes, V);
                    FloatVector k = FloatVector.fromArray(S, lanes, 2 * V);
                    columnDx(batch, channels, x, xo + c, mean, scale, dyMean, k, dy, dyo + c, dx, dxo + c, m);
                }
            }
            return;
        }
        int stride = channels * spatial;
        float[] coefficients = new float[3];
        for (int c = c0; c < c1; c++) {
            int base = xo + c * spatial, dyBase = dyo + c * spatial;
            float mean = saveMean[smo + c];
            float sdy = channelSum(batch, spatial, stride, dy, dyBase);
            float sdyx = channelSumProductCentred(batch, spatial, stride, dy, dyBase, x, base, mean);
            ScalarNorms.batchNormChannelGradients(c, sdy, sdyx, count, gamma, go, saveRstd, sro,
                    dgamma, dgo, dbeta, dbo, coefficients, 0, 1);
            if (dx != null) {
                channelDx(batch, spatial, stride, x, base, mean, coefficients[0], coefficients[1], coefficients[2],
                        dy, dyBase, dx, dxo + c * spatial);
            }
        }
    }

    // ============================================================================ row reductions

    /** {@code 1 / sqrt(sq / n + eps)}, rounded once. NaN for {@code n == 0} (PyTorch's rstd of an empty row). */
    private static float rstdOf(float sq, int n, float eps) {
        return (float) (1.0 / Math.sqrt((double) sq / n + eps));
    }

    private static FloatVector load(float[] a, int o) {
        return FloatVector.fromArray(S, a, o);
    }

    private static FloatVector load(float[] a, int o, VectorMask<Float> m) {
        return FloatVector.fromArray(S, a, o, m);
    }

    /** The sum of {@code a[o .. o+n)}, in four accumulators. */
    private static float sum(int n, float[] a, int o) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (int bound = n - 4 * V; i <= bound; i += 4 * V) {
            s0 = s0.add(load(a, o + i));
            s1 = s1.add(load(a, o + i + V));
            s2 = s2.add(load(a, o + i + 2 * V));
            s3 = s3.add(load(a, o + i + 3 * V));
        }
        for (; i < n; i += V) {
            s0 = s0.add(load(a, o + i, S.indexInRange(i, n)));
        }
        return VectorMath.sumLanes(s0.add(s1).add(s2.add(s3)));
    }

    /**
     * Writes {@code s = x + r} and returns its sum, with exactly {@link #sum}'s accumulation, so that
     * {@code addLayerNorm} gives the same bits as {@code layerNorm} of the written sum.
     */
    private static float addAndSum(int n, float[] x, int xo, float[] r, int ro, float[] s, int so) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (int bound = n - 4 * V; i <= bound; i += 4 * V) {
            s0 = s0.add(addStore(x, xo + i, r, ro + i, s, so + i));
            s1 = s1.add(addStore(x, xo + i + V, r, ro + i + V, s, so + i + V));
            s2 = s2.add(addStore(x, xo + i + 2 * V, r, ro + i + 2 * V, s, so + i + 2 * V));
            s3 = s3.add(addStore(x, xo + i + 3 * V, r, ro + i + 3 * V, s, so + i + 3 * V));
        }
        for (; i < n; i += V) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector v = load(x, xo + i, m).add(load(r, ro + i, m));
            v.intoArray(s, so + i, m);
            s0 = s0.add(v);
        }
        return VectorMath.sumLanes(s0.add(s1).add(s2.add(s3)));
    }

    private static FloatVector addStore(float[] x, int xo, float[] r, int ro, float[] s, int so) {
        FloatVector v = load(x, xo).add(load(r, ro));
        v.intoArray(s, so);
        return v;
    }

    /** {@code sum((a - m)^2)}. */
    private static float sumSquaredDeviations(int n, float[] a, int o, float m) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (int bound = n - 4 * V; i <= bound; i += 4 * V) {
            FloatVector d0 = load(a, o + i).sub(m);
            FloatVector d1 = load(a, o + i + V).sub(m);
            FloatVector d2 = load(a, o + i + 2 * V).sub(m);
            FloatVector d3 = load(a, o + i + 3 * V).sub(m);
            s0 = d0.fma(d0, s0);
            s1 = d1.fma(d1, s1);
            s2 = d2.fma(d2, s2);
            s3 = d3.fma(d3, s3);
        }
        for (; i < n; i += V) {
            VectorMask<Float> mask = S.indexInRange(i, n);
            FloatVector d = load(a, o + i, mask).sub(m, mask); // masked sub keeps the unused lanes at 0
            s0 = d.fma(d, s0);
        }
        return VectorMath.sumLanes(s0.add(s1).add(s2.add(s3)));
    }

    /** {@code sum(a^2)}. */
    private static float sumSquares(int n, float[] a, int o) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (int bound = n - 4 * V; i <= bound; i += 4 * V) {
            FloatVector v0 = load(a, o + i);
            FloatVector v1 = load(a, o + i + V);
            FloatVector v2 = load(a, o + i + 2 * V);
            FloatVector v3 = load(a, o + i + 3 * V);
            s0 = v0.fma(v0, s0);
            s1 = v1.fma(v1, s1);
            s2 = v2.fma(v2, s2);
            s3 = v3.fma(v3, s3);
        }
        for (; i < n; i += V) {
            FloatVector v = load(a, o + i, S.indexInRange(i, n));
            s0 = v.fma(v, s0);
        }
        return VectorMath.sumLanes(s0.add(s1).add(s2.add(s3)));
    }

    /** Writes {@code s = x + r} and returns {@code sum(s^2)}, with {@link #sumSquares}'s accumulation. */
    private static float addAndSumSquares(int n, float[] x, int xo, float[] r, int ro, float[] s, int so) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (int bound = n - 4 * V; i <= bound; i += 4 * V) {
            FloatVector v0 = addStore(x, xo + i, r, ro + i, s, so + i);
            FloatVector v1 = addStore(x, xo + i + V, r, ro + i + V, s, so + i + V);
            FloatVector v2 = addStore(x, xo + i + 2 * V, r, ro + i + 2 * V, s, so + i + 2 * V);
            FloatVector v3 = addStore(x, xo + i + 3 * V, r, ro + i + 3 * V, s, so + i + 3 * V);
            s0 = v0.fma(v0, s0);
            s1 = v1.fma(v1, s1);
            s2 = v2.fma(v2, s2);
            s3 = v3.fma(v3, s3);
        }
        for (; i < n; i += V) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector v = load(x, xo + i, m).add(load(r, ro + i, m));
            v.intoArray(s, so + i, m);
            s0 = v.fma(v, s0);
        }
        return VectorMath.sumLanes(s0.add(s1).add(s2.add(s3)));
    }

    /** {@code sum(a * b)}. */
    private static float sumProduct(int n, float[] a, int ao, float[] b, int bo) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0;
        int i = 0;
        for (int bound = n - 2 * V; i <= bound; i += 2 * V) {
            s0 = load(a, ao + i).fma(load(b, bo + i), s0);
            s1 = load(a, ao + i + V).fma(load(b, bo + i + V), s1);
        }
        for (; i < n; i += V) {
            VectorMask<Float> m = S.indexInRange(i, n);
            s0 = load(a, ao + i, m).fma(load(b, bo + i, m), s0);
        }
        return VectorMath.sumLanes(s0.add(s1));
    }

    /** {@code sum(a * b * c)}. */
    private static float sumProduct(int n, float[] a, int ao, float[] b, int bo, float[] c, int co) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0;
        int i = 0;
        for (int bound = n - 2 * V; i <= bound; i += 2 * V) {
            s0 = load(a, ao + i).mul(load(b, bo + i)).fma(load(c, co + i), s0);
            s1 = load(a, ao + i + V).mul(load(b, bo + i + V)).fma(load(c, co + i + V), s1);
        }
        for (; i < n; i += V) {
            VectorMask<Float> m = S.indexInRange(i, n);
            s0 = load(a, ao + i, m).mul(load(b, bo + i, m)).fma(load(c, co + i, m), s0);
        }
        return VectorMath.sumLanes(s0.add(s1));
    }

    /** {@code sum(a * (x - m))}. */
    private static float sumProductCentred(int n, float[] a, int ao, float[] x, int xo, float m) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0;
        int i = 0;
        for (int bound = n - 2 * V; i <= bound; i += 2 * V) {
            s0 = load(a, ao + i).fma(load(x, xo + i).sub(m), s0);
            s1 = load(a, ao + i + V).fma(load(x, xo + i + V).sub(m), s1);
        }
        for (; i < n; i += V) {
            VectorMask<Float> mask = S.indexInRange(i, n);
            s0 = load(a, ao + i, mask).fma(load(x, xo + i, mask).sub(m), s0);
        }
        return VectorMath.sumLanes(s0.add(s1));
    }


    // ============================================================================== row writers

    /** {@code y = (x - m) * a * gamma + beta}, gamma and beta each optional. */
    private static void normalize(int n, float[] x, int xo, float m, float a, float[] gamma, int go,
                                  float[] beta, int bo, float[] y, int yo) {
        if (gamma != null && beta != null) {
            int i = 0;
            for (int bound = S.loopBound(n); i < bound; i += V) {
                load(x, xo + i).sub(m).mul(a).fma(load(gamma, go + i), load(beta, bo + i)).intoArray(y, yo + i);
            }
            if (i < n) {
                VectorMask<Float> mask = S.indexInRange(i, n);
                load(x, xo + i, mask).sub(m).mul(a).fma(load(gamma, go + i, mask), load(beta, bo + i, mask))
                        .intoArray(y, yo + i, mask);
            }
        } else if (gamma != null) {
            int i = 0;
            for (int bound = S.loopBound(n); i < bound; i += V) {
                load(x, xo + i).sub(m).mul(a).mul(load(gamma, go + i)).intoArray(y, yo + i);
            }
            if (i < n) {
                VectorMask<Float> mask = S.indexInRange(i, n);
                load(x, xo + i, mask).sub(m).mul(a).mul(load(gamma, go + i, mask)).intoArray(y, yo + i, mask);
            }
        } else if (beta != null) {
            int i = 0;
            for (int bound = S.loopBound(n); i < bound; i += V) {
                load(x, xo + i).sub(m).mul(a).add(load(beta, bo + i)).intoArray(y, yo + i);
            }
            if (i < n) {
                VectorMask<Float> mask = S.indexInRange(i, n);
                load(x, xo + i, mask).sub(m).mul(a).add(load(beta, bo + i, mask)).intoArray(y, yo + i, mask);
            }
        } else {
            int i = 0;
            for (int bound = S.loopBound(n); i < bound; i += V) {
                load(x, xo + i).sub(m).mul(a).intoArray(y, yo + i);
            }
            if (i < n) {
                VectorMask<Float> mask = S.indexInRange(i, n);
                load(x, xo + i, mask).sub(m).mul(a).intoArray(y, yo + i, mask);
            }
        }
    }

    /** {@code y = x * a * gamma}, gamma optional (RMSNorm's output; PyTorch multiplies in this order). */
    private static void scale(int n, float[] x, int xo, float a, float[] gamma, int go, float[] y, int yo) {
        if (gamma != null) {
            int i = 0;
            for (int bound = S.loopBound(n); i < bound; i += V) {
                load(x, xo + i).mul(a).mul(load(gamma, go + i)).intoArray(y, yo + i);
            }
            if (i < n) {
                VectorMask<Float> mask = S.indexInRange(i, n);
                load(x, xo + i, mask).mul(a).mul(load(gamma, go + i, mask)).intoArray(y, yo + i, mask);
            }
        } else {
            int i = 0;
            for (int bound = S.loopBound(n); i < bound; i += V) {
                load(x, xo + i).mul(a).intoArray(y, yo + i);
            }
            if (i < n) {
                VectorMask<Float> mask = S.indexInRange(i, n);
                load(x, xo + i, mask).mul(a).intoArray(y, yo + i, mask);
            }
        }
    }

    // ======================================================================== backward row passes

    /**
     * One pass over a row for the training case: returns {@code sum(g)} and {@code sum(g (x - m))} (the bits
     * of the first in the high half of the long, of the second in the low half) with {@code g = dy * gamma}, and adds {@code dy * xhat} to {@code dgamma}, {@code dy} to {@code dbeta}.
     */
    private static long layerNormSumsAndParams(int n, float[] x, int xo, float[] gamma, int go, float m, float a,
                                               float[] dy, int dyo, float[] dgamma, int dgo, float[] dbeta, int dbo) {
        FloatVector sg0 = FloatVector.zero(S), sg1 = sg0, sx0 = sg0, sx1 = sg0;
        int i = 0;
        for (int bound = n - 2 * V; i <= bound; i += 2 * V) {
            FloatVector d0 = load(dy, dyo + i), d1 = load(dy, dyo + i + V);
            FloatVector c0 = load(x, xo + i).sub(m), c1 = load(x, xo + i + V).sub(m);
            FloatVector g0 = d0.mul(load(gamma, go + i)), g1 = d1.mul(load(gamma, go + i + V));
            sg0 = sg0.add(g0);
            sg1 = sg1.add(g1);
            sx0 = g0.fma(c0, sx0);
            sx1 = g1.fma(c1, sx1);
            d0.fma(c0.mul(a), load(dgamma, dgo + i)).intoArray(dgamma, dgo + i);
            d1.fma(c1.mul(a), load(dgamma, dgo + i + V)).intoArray(dgamma, dgo + i + V);
            d0.add(load(dbeta, dbo + i)).intoArray(dbeta, dbo + i);
            d1.add(load(dbeta, dbo + i + V)).intoArray(dbeta, dbo + i + V);
        }
        for (; i < n; i += V) {
            VectorMask<Float> mask = S.indexInRange(i, n);
            FloatVector d = load(dy, dyo + i, mask);
            FloatVector c = load(x, xo + i, mask).sub(m, mask);
            FloatVector g = d.mul(load(gamma, go + i, mask));
            sg0 = sg0.add(g);
            sx0 = g.fma(c, sx0);
            d.fma(c.mul(a), load(dgamma, dgo + i, mask)).intoArray(dgamma, dgo + i, mask);
            d.add(load(dbeta, dbo + i, mask)).intoArray(dbeta, dbo + i, mask);
        }
        float sg = VectorMath.sumLanes(sg0.add(sg1));
        float sx = VectorMath.sumLanes(sx0.add(sx1));
        return ((long) Float.floatToRawIntBits(sg) << 32) | (Float.floatToRawIntBits(sx) & 0xFFFF_FFFFL);
    }

    /** {@link #layerNormSumsAndParams} without the parameter gradients: the same sums, the same bits. */
    private static long layerNormSums(int n, float[] x, int xo, float[] gamma, int go, float m, float[] dy, int dyo) {
        FloatVector sg0 = FloatVector.zero(S), sg1 = sg0, sx0 = sg0, sx1 = sg0;
        int i = 0;
        for (int bound = n - 2 * V; i <= bound; i += 2 * V) {
            FloatVector g0 = load(dy, dyo + i).mul(load(gamma, go + i));
            FloatVector g1 = load(dy, dyo + i + V).mul(load(gamma, go + i + V));
            sg0 = sg0.add(g0);
            sg1 = sg1.add(g1);
            sx0 = g0.fma(load(x, xo + i).sub(m), sx0);
            sx1 = g1.fma(load(x, xo + i + V).sub(m), sx1);
        }
        for (; i < n; i += V) {
            VectorMask<Float> mask = S.indexInRange(i, n);
            FloatVector g = load(dy, dyo + i, mask).mul(load(gamma, go + i, mask));
            sg0 = sg0.add(g);
            sx0 = g.fma(load(x, xo + i, mask).sub(m, mask), sx0);
        }
        float sg = VectorMath.sumLanes(sg0.add(sg1));
        float sx = VectorMath.sumLanes(sx0.add(sx1));
        return ((long) Float.floatToRawIntBits(sg) << 32) | (Float.floatToRawIntBits(sx) & 0xFFFF_FFFFL);
    }

    /** {@code dgamma += dy * (x - m) * a}, {@code dbeta += dy}, each optional. */
    private static void accumulateLayerNormParams(int n, float[] x, int xo, float m, float a, float[] dy, int dyo,
                                                  float[] dgamma, int dgo, float[] dbeta, int dbo) {
        if (dgamma != null) {
            int i = 0;
            for (int bound = S.loopBound(n); i < bound; i += V) {
                load(dy, dyo + i).fma(load(x, xo + i).sub(m).mul(a), load(dgamma, dgo + i)).intoArray(dgamma, dgo + i);
            }
            if (i < n) {
                VectorMask<Float> mask = S.indexInRange(i, n);
                load(dy, dyo + i, mask).fma(load(x, xo + i, mask).sub(m).mul(a), load(dgamma, dgo + i, mask))
                        .intoArray(dgamma, dgo + i, mask);
            }
        }
        if (dbeta != null) {
            accumulate(n, dy, dyo, dbeta, dbo);
        }
    }

    /** {@code acc += a}. */
    private static void accumulate(int n, float[] a, int ao, float[] acc, int acco) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            load(a, ao + i).add(load(acc, acco + i)).intoArray(acc, acco + i);
        }
        if (i < n) {
            VectorMask<Float> mask = S.indexInRange(i, n);
            load(a, ao + i, mask).add(load(acc, acco + i, mask)).intoArray(acc, acco + i, mask);
        }
    }

    /** {@code dx = ((g - gm) + (x - m) k) a} with {@code g = dy * gamma} (gamma optional). */
    private static void layerNormDx(int n, float[] x, int xo, float m, float a, float k, float gm,
                                    float[] gamma, int go, float[] dy, int dyo, float[] dx, int dxo) {
        FloatVector vk = FloatVector.broadcast(S, k);
        if (gamma != null) {
            int i = 0;
            for (int bound = S.loopBound(n); i < bound; i += V) {
                FloatVector g = load(dy, dyo + i).mul(load(gamma, go + i));
                load(x, xo + i).sub(m).fma(vk, g.sub(gm)).mul(a).intoArray(dx, dxo + i);
            }
            if (i < n) {
                VectorMask<Float> mask = S.indexInRange(i, n);
                FloatVector g = load(dy, dyo + i, mask).mul(load(gamma, go + i, mask));
                load(x, xo + i, mask).sub(m).fma(vk, g.sub(gm)).mul(a).intoArray(dx, dxo + i, mask);
            }
        } else {
            int i = 0;
            for (int bound = S.loopBound(n); i < bound; i += V) {
                load(x, xo + i).sub(m).fma(vk, load(dy, dyo + i).sub(gm)).mul(a).intoArray(dx, dxo + i);
            }
            if (i < n) {
                VectorMask<Float> mask = S.indexInRange(i, n);
                load(x, xo + i, mask).sub(m).fma(vk, load(dy, dyo + i, mask).sub(gm)).mul(a).intoArray(dx, dxo + i, mask);
            }
        }
    }

    /** {@code dgamma += dy * x * a}. */
    private static void accumulateRmsParams(int n, float[] x, int xo, float a, float[] dy, int dyo,
                                            float[] dgamma, int dgo) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            load(dy, dyo + i).fma(load(x, xo + i).mul(a), load(dgamma, dgo + i)).intoArray(dgamma, dgo + i);
        }
        if (i < n) {
            VectorMask<Float> mask = S.indexInRange(i, n);
            load(dy, dyo + i, mask).fma(load(x, xo + i, mask).mul(a), load(dgamma, dgo + i, mask))
                    .intoArray(dgamma, dgo + i, mask);
        }
    }

    /** {@code dx = (g + x k) a} with {@code g = dy * gamma} (gamma optional). */
    private static void rmsDx(int n, float[] x, int xo, float a, float k, float[] gamma, int go,
                              float[] dy, int dyo, float[] dx, int dxo) {
        FloatVector vk = FloatVector.broadcast(S, k);
        if (gamma != null) {
            int i = 0;
            for (int bound = S.loopBound(n); i < bound; i += V) {
                FloatVector g = load(dy, dyo + i).mul(load(gamma, go + i));
                load(x, xo + i).fma(vk, g).mul(a).intoArray(dx, dxo + i);
            }
            if (i < n) {
                VectorMask<Float> mask = S.indexInRange(i, n);
                FloatVector g = load(dy, dyo + i, mask).mul(load(gamma, go + i, mask));
                load(x, xo + i, mask).fma(vk, g).mul(a).intoArray(dx, dxo + i, mask);
            }
        } else {
            int i = 0;
            for (int bound = S.loopBound(n); i < bound; i += V) {
                load(x, xo + i).fma(vk, load(dy, dyo + i)).mul(a).intoArray(dx, dxo + i);
            }
            if (i < n) {
                VectorMask<Float> mask = S.indexInRange(i, n);
                load(x, xo + i, mask).fma(vk, load(dy, dyo + i, mask)).mul(a).intoArray(dx, dxo + i, mask);
            }
        }
    }

    // ============================================================= BatchNorm, spatial > 1: per channel

    /** The sum of one channel's {@code batch} segments of {@code spatial} floats, {@code stride} apart. */
    private static float channelSum(int batch, int spatial, int stride, float[] a, int base) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0;
        for (int b = 0, o = base; b < batch; b++, o += stride) {
            int i = 0;
            for (int bound = spatial - 2 * V; i <= bound; i += 2 * V) {
                s0 = s0.add(load(a, o + i));
                s1 = s1.add(load(a, o + i + V));
            }
            for (; i < spatial; i += V) {
                s0 = s0.add(load(a, o + i, S.indexInRange(i, spatial)));
            }
        }
        return VectorMath.sumLanes(s0.add(s1));
    }

    /** {@code sum(a - shift)} over one channel. */
    private static float channelShiftedSum(int batch, int spatial, int stride, float[] a, int base, float shift) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0;
        for (int b = 0, o = base; b < batch; b++, o += stride) {
            int i = 0;
            for (int bound = spatial - 2 * V; i <= bound; i += 2 * V) {
                s0 = s0.add(load(a, o + i).sub(shift));
                s1 = s1.add(load(a, o + i + V).sub(shift));
            }
            for (; i < spatial; i += V) {
                VectorMask<Float> mask = S.indexInRange(i, spatial);
                s0 = s0.add(load(a, o + i, mask).sub(shift, mask));
            }
        }
        return VectorMath.sumLanes(s0.add(s1));
    }

    private static float channelSquaredDeviations(int batch, int spatial, int stride, float[] a, int base, float m) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0;
        for (int b = 0, o = base; b < batch; b++, o += stride) {
            int i = 0;
            for (int bound = spatial - 2 * V; i <= bound; i += 2 * V) {
                FloatVector d0 = load(a, o + i).sub(m);
                FloatVector d1 = load(a, o + i + V).sub(m);
                s0 = d0.fma(d0, s0);
                s1 = d1.fma(d1, s1);
            }
            for (; i < spatial; i += V) {
                VectorMask<Float> mask = S.indexInRange(i, spatial);
                FloatVector d = load(a, o + i, mask).sub(m, mask);
                s0 = d.fma(d, s0);
            }
        }
        return VectorMath.sumLanes(s0.add(s1));
    }

    /** {@code sum(a * (x - m))} over one channel. */
    private static float channelSumProductCentred(int batch, int spatial, int stride, float[] a, int ao,
                                                  float[] x, int xo, float m) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0;
        for (int b = 0; b < batch; b++, ao += stride, xo += stride) {
            int i = 0;
            for (int bound = spatial - 2 * V; i <= bound; i += 2 * V) {
                s0 = load(a, ao + i).fma(load(x, xo + i).sub(m), s0);
                s1 = load(a, ao + i + V).fma(load(x, xo + i + V).sub(m), s1);
            }
            for (; i < spatial; i += V) {
                VectorMask<Float> mask = S.indexInRange(i, spatial);
                s0 = load(a, ao + i, mask).fma(load(x, xo + i, mask).sub(m), s0);
            }
        }
        return VectorMath.sumLanes(s0.add(s1));
    }

    /** {@code y = (x - m) * scale + shift} over one channel. */
    private static void channelAffine(int batch, int spatial, int stride, float[] x, int xo, float m, float scale,
                                      float shift, float[] y, int yo) {
        for (int b = 0; b < batch; b++, xo += stride, yo += stride) {
            segmentAffine(spatial, x, xo, m, scale, shift, y, yo);
        }
    }

    private static void segmentAffine(int n, float[] x, int xo, float m, float scale, float shift, float[] y, int yo) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += V) {
            load(x, xo + i).sub(m).fma(scale, shift).intoArray(y, yo + i);
        }
        if (i < n) {
            VectorMask<Float> mask = S.indexInRange(i, n);
            load(x, xo + i, mask).sub(m).fma(scale, shift).intoArray(y, yo + i, mask);
        }
    }

    /** {@code dx = ((dy - dyMean) + (x - m) k) * scale} over one channel. */
    private static void channelDx(int batch, int spatial, int stride, float[] x, int xo, float m,
                                  float scale, float dyMean, float k, float[] dy, int dyo, float[] dx, int dxo) {
        FloatVector vk = FloatVector.broadcast(S, k);
        for (int b = 0; b < batch; b++, xo += stride, dyo += stride, dxo += stride) {
            int i = 0;
            for (int bound = S.loopBound(spatial); i < bound; i += V) {
                load(x, xo + i).sub(m).fma(vk, load(dy, dyo + i).sub(dyMean)).mul(scale).intoArray(dx, dxo + i);
            }
            if (i < spatial) {
                VectorMask<Float> mask = S.indexInRange(i, spatial);
                load(x, xo + i, mask).sub(m).fma(vk, load(dy, dyo + i, mask).sub(dyMean)).mul(scale)
                        .intoArray(dx, dxo + i, mask);
            }
        }
    }

    // ====================================================== BatchNorm, spatial == 1: across channels

    /** Per lane, {@code sum(a - shift)} down {@code rows} rows {@code stride} apart, in four accumulators. */
    private static FloatVector columnShiftedSum(int rows, int stride, float[] a, int o, FloatVector shift,
                                                VectorMask<Float> m) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        int r = 0;
        for (; r + 4 <= rows; r += 4, o += 4 * stride) {
            s0 = s0.add(load(a, o, m).sub(shift));
            s1 = s1.add(load(a, o + stride, m).sub(shift));
            s2 = s2.add(load(a, o + 2 * stride, m).sub(shift));
            s3 = s3.add(load(a, o + 3 * stride, m).sub(shift));
        }
        for (; r < rows; r++, o += stride) {
            s0 = s0.add(load(a, o, m).sub(shift));
        }
        return s0.add(s1).add(s2.add(s3));
    }

    /** Per lane, {@code sum((a - mean)^2)} down the rows (masked-off lanes stay 0). */
    private static FloatVector columnSquaredDeviations(int rows, int stride, float[] a, int o, FloatVector mean,
                                                       VectorMask<Float> m) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        int r = 0;
        for (; r + 4 <= rows; r += 4, o += 4 * stride) {
            FloatVector d0 = load(a, o, m).sub(mean);
            FloatVector d1 = load(a, o + stride, m).sub(mean);
            FloatVector d2 = load(a, o + 2 * stride, m).sub(mean);
            FloatVector d3 = load(a, o + 3 * stride, m).sub(mean);
            s0 = d0.fma(d0, s0);
            s1 = d1.fma(d1, s1);
            s2 = d2.fma(d2, s2);
            s3 = d3.fma(d3, s3);
        }
        for (; r < rows; r++, o += stride) {
            FloatVector d = load(a, o, m).sub(mean);
            s0 = d.fma(d, s0);
        }
        return s0.add(s1).add(s2.add(s3));
    }

    /** {@code y = (x - mean) * scale + shift} down the rows. */
    private static void columnAffine(int rows, int stride, float[] x, int xo, FloatVector mean, FloatVector scale,
                                     FloatVector shift, float[] y, int yo, VectorMask<Float> m) {
        for (int r = 0; r < rows; r++, xo += stride, yo += stride) {
            load(x, xo, m).sub(mean).fma(scale, shift).intoArray(y, yo, m);
        }
    }

    /**
     * Per lane, {@code sum(dy)} and {@code sum(dy * (x - mean))} down the rows, stored in
     * {@code out[0 .. V)} and {@code out[V .. 2V)}.
     */
    private static void columnGradientSums(int rows, int stride, float[] x, int xo, FloatVector mean,
                                           float[] dy, int dyo, VectorMask<Float> m, float[] out) {
        FloatVector sd0 = FloatVector.zero(S), sd1 = sd0, sx0 = sd0, sx1 = sd0;
        int r = 0;
        for (; r + 2 <= rows; r += 2, xo += 2 * stride, dyo += 2 * stride) {
            FloatVector d0 = load(dy, dyo, m), d1 = load(dy, dyo + stride, m);
            sd0 = sd0.add(d0);
            sd1 = sd1.add(d1);
            sx0 = d0.fma(load(x, xo, m).sub(mean), sx0);
            sx1 = d1.fma(load(x, xo + stride, m).sub(mean), sx1);
        }
        for (; r < rows; r++, xo += stride, dyo += stride) {
            FloatVector d = load(dy, dyo, m);
            sd0 = sd0.add(d);
            sx0 = d.fma(load(x, xo, m).sub(mean), sx0);
        }
        sd0.add(sd1).intoArray(out, 0);
        sx0.add(sx1).intoArray(out, V);
    }

    /** {@code dx = ((dy - dyMean) + (x - mean) k) * scale} down the rows. */
    private static void columnDx(int rows, int stride, float[] x, int xo, FloatVector mean, FloatVector scale,
                                 FloatVector dyMean, FloatVector k, float[] dy, int dyo, float[] dx, int dxo,
                                 VectorMask<Float> m) {
        for (int r = 0; r < rows; r++, xo += stride, dyo += stride, dxo += stride) {
            load(x, xo, m).sub(mean).fma(k, load(dy, dyo, m).sub(dyMean)).mul(scale).intoArray(dx, dxo, m);
        }
    }

    /** {@code y = (x - mean) * scale + beta} across one row of channels (eval-mode BatchNorm1d). */
    private static void rowAffine(int n, float[] x, int xo, float[] mean, int mo, float[] scale,
                                  float[] beta, int bo, float[] y, int yo) {
        if (beta != null) {
            int i = 0;
            for (int bound = S.loopBound(n); i < bound; i += V) {
                load(x, xo + i).sub(load(mean, mo + i)).fma(load(scale, i), load(beta, bo + i)).intoArray(y, yo + i);
            }
            if (i < n) {
                VectorMask<Float> m = S.indexInRange(i, n);
                load(x, xo + i, m).sub(load(mean, mo + i, m)).fma(load(scale, i, m), load(beta, bo + i, m))
                        .intoArray(y, yo + i, m);
            }
        } else {
            int i = 0;
            for (int bound = S.loopBound(n); i < bound; i += V) {
                load(x, xo + i).sub(load(mean, mo + i)).mul(load(scale, i)).intoArray(y, yo + i);
            }
            if (i < n) {
                VectorMask<Float> m = S.indexInRange(i, n);
                load(x, xo + i, m).sub(load(mean, mo + i, m)).mul(load(scale, i, m)).intoArray(y, yo + i, m);
            }
        }
    }
}
