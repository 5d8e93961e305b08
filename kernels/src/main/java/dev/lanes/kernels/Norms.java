package dev.lanes.kernels;

import dev.lanes.kernels.internal.Checks;
import dev.lanes.kernels.internal.Chunks;
import dev.lanes.kernels.internal.KernelProvider;
import dev.lanes.kernels.ops.ScalarNorms;
import dev.lanes.kernels.ops.VectorNorms;

/**
 * Normalization layers, forward and backward, with PyTorch's definitions: LayerNorm, RMSNorm, their fused
 * residual-add forms, and BatchNorm (training and eval mode).
 *
 * <p><b>Layouts.</b> Every block is row-major and contiguous from its offset. The row norms work on
 * {@code rows x cols} blocks and normalize each row over its {@code cols} values (PyTorch's
 * {@code normalized_shape} flattened to {@code cols}, the leading dimensions flattened to {@code rows});
 * their per-row statistics ({@code mean}, {@code rstd}) are {@code rows} floats and their parameters
 * ({@code gamma}, {@code beta}) {@code cols} floats. BatchNorm works on {@code (batch, channels, spatial)}
 * blocks, element {@code x[(i * channels + c) * spatial + s]}: {@code BatchNorm1d} on {@code (N, C)} is
 * {@code spatial = 1}, on {@code (N, C, L)} {@code spatial = L}, {@code BatchNorm2d} on {@code (N, C, H, W)}
 * {@code spatial = H * W}; its statistics and parameters are {@code channels} floats.
 *
 * <p><b>Optional operands.</b> Arguments documented as nullable may be null (their offset is then ignored):
 * a null {@code gamma} means a scale of 1 ({@code elementwise_affine=False}, {@code affine=False} or no
 * {@code weight}), a null {@code beta} a shift of 0 ({@code bias=False}), a null statistics output is not
 * written (inference), a null gradient output is not computed. Gradient outputs are <em>overwritten</em>,
 * never accumulated into; add them to running totals yourself if a parameter is shared.
 *
 * <p><b>Numerics.</b> Means and variances are computed from the row (or channel) already in cache in two
 * passes, the variance as the mean of squared deviations from the mean (biased, as PyTorch normalizes; never
 * {@code E[x^2] - E[x]^2}), so they stay accurate when the mean is large compared with the spread (BatchNorm
 * also sums its values as deviations from the channel's first one). Sums use float vector accumulators whose
 * lanes are added in a fixed order; {@code rstd = 1 / sqrt(var + eps)} and the BatchNorm running statistics
 * are computed in double and rounded once. Outputs are formed as {@code (x - mean) * rstd * gamma + beta}
 * and input gradients as {@code ((g - mean(g)) + (x - mean) k) * rstd}, so that nothing large cancels after
 * rounding. Results agree with PyTorch's float32 CPU kernels to a few units in the last place of the values
 * involved (the tests state the tolerances). In-place use (an output the same region as an input of the
 * same shape) is allowed; partially overlapping regions are not.
 *
 * <p><b>Threads.</b> Large blocks run on the {@link Threads} pool in pieces that depend only on the shape:
 * rows for the row norms, channels for BatchNorm. The parameter gradients of the row norms are sums over
 * rows: each fixed block of rows sums its share into its own partial, and the partials are added in block
 * order, so every result has the same bits for any thread count.
 *
 * <p>Arguments are checked before anything is written; a bad one throws {@link IllegalArgumentException}
 * naming the routine and the argument, and leaves every output (running statistics included) untouched.
 */
public final class Norms {
    private static final boolean VECTOR = KernelProvider.get().vectorized();

    /** At most this many row blocks hold partial parameter gradients (the scratch is at most 32 x cols per gradient). */
    private static final int MAX_ROW_BLOCKS = 32;

    /** BatchNorm1d on {@code (N, C)} splits its channels into groups of this many (a few cache lines per row). */
    private static final int CHANNEL_GROUP = 64;

    private Norms() {}

    // ================================================================================== LayerNorm

    /**
     * LayerNorm over the last dimension ({@code torch.nn.functional.layer_norm(x, (cols,), gamma, beta, eps)},
     * and {@code torch.native_layer_norm}'s saved statistics): for each row,
     * {@code mean = sum(x) / cols}, {@code var = sum((x - mean)^2) / cols} (biased),
     * {@code rstd = 1 / sqrt(var + eps)} and {@code y = (x - mean) * rstd * gamma + beta}.
     * For {@code cols == 0}, {@code mean} is 0 and {@code rstd} NaN, as PyTorch.
     *
     * @param rows  number of rows, {@code >= 0}
     * @param cols  values per row (the normalized size), {@code >= 0}
     * @param x     input, {@code rows x cols} from {@code xOff}
     * @param gamma scale ({@code weight}), {@code cols} floats from {@code gOff}; nullable (scale 1)
     * @param beta  shift ({@code bias}), {@code cols} floats from {@code bOff}; nullable (shift 0)
     * @param eps   added to the variance, {@code > 0} and finite (PyTorch's default is 1e-5)
     * @param y     output, {@code rows x cols} from {@code yOff}; may be {@code x} itself (in place)
     * @param mean  output, each row's mean, {@code rows} floats from {@code meanOff}; nullable
     * @param rstd  output, each row's {@code 1 / sqrt(var + eps)}, {@code rows} floats from {@code rstdOff}; nullable
     */
    public static void layerNorm(int rows, int cols, float[] x, int xOff, float[] gamma, int gOff,
                                 float[] beta, int bOff, float eps, float[] y, int yOff,
                                 float[] mean, int meanOff, float[] rstd, int rstdOff) {
        String routine = "Norms.layerNorm";
        long size = Checks.block(routine, rows, cols);
        Checks.span(routine, "x", x, xOff, size);
        Checks.optionalSpan(routine, "gamma", gamma, gOff, cols);
        Checks.optionalSpan(routine, "beta", beta, bOff, cols);
        Checks.positive(routine, "eps", eps);
        Checks.span(routine, "y", y, yOff, size);
        Checks.optionalSpan(routine, "mean", mean, meanOff, rows);
        Checks.optionalSpan(routine, "rstd", rstd, rstdOff, rows);
        Chunks.rows(rows, cols, (from, to) -> {
            int e = from * cols;
            if (VECTOR) {
                VectorNorms.layerNorm(to - from, cols, x, xOff + e, gamma, gOff, beta, bOff, eps, y, yOff + e,
                        mean, meanOff + from, rstd, rstdOff + from);
            } else {
                ScalarNorms.layerNorm(to - from, cols, x, xOff + e, gamma, gOff, beta, bOff, eps, y, yOff + e,
                        mean, meanOff + from, rstd, rstdOff + from);
            }
        });
    }

    /**
     * The gradients of {@link #layerNorm} given the upstream gradient {@code dy}, with PyTorch's formulas
     * ({@code native_layer_norm_backward}): with {@code g = dy * gamma} and {@code xhat = (x - mean) * rstd},
     * per row {@code dx = rstd * (g - sum(g) / cols - xhat * sum(g * xhat) / cols)}, and over all rows
     * {@code dgamma = sum(dy * xhat)}, {@code dbeta = sum(dy)}.
     *
     * <p>{@code dx}, {@code dgamma} and {@code dbeta} are <em>written</em>, not accumulated into. This is
     * also the backward of {@link #addLayerNorm}: call it on the written {@code sum}; the resulting
     * {@code dx} is the gradient of both {@code x} and {@code residual} (add it to the gradient flowing into
     * the residual stream).
     *
     * @param x      the forward's input, {@code rows x cols} from {@code xOff}
     * @param gamma  the forward's scale, {@code cols} floats; nullable (scale 1)
     * @param mean   the forward's saved row means, {@code rows} floats from {@code meanOff}
     * @param rstd   the forward's saved row rstd, {@code rows} floats from {@code rstdOff}
     * @param dy     the gradient of the output, {@code rows x cols} from {@code dyOff}
     * @param dx     output, the gradient of {@code x}, {@code rows x cols} from {@code dxOff}; nullable
     *               (not needed); may be {@code dy} itself
     * @param dgamma output, the gradient of {@code gamma}, {@code cols} floats from {@code dgOff}; nullable
     * @param dbeta  output, the gradient of {@code beta}, {@code cols} floats from {@code dbOff}; nullable
     */
    public static void layerNormBackward(int rows, int cols, float[] x, int xOff, float[] gamma, int gOff,
                                         float[] mean, int meanOff, float[] rstd, int rstdOff,
                                         float[] dy, int dyOff, float[] dx, int dxOff,
                                         float[] dgamma, int dgOff, float[] dbeta, int dbOff) {
        String routine = "Norms.layerNormBackward";
        long size = Checks.block(routine, rows, cols);
        Checks.span(routine, "x", x, xOff, size);
        Checks.optionalSpan(routine, "gamma", gamma, gOff, cols);
        Checks.span(routine, "mean", mean, meanOff, rows);
        Checks.span(routine, "rstd", rstd, rstdOff, rows);
        Checks.span(routine, "dy", dy, dyOff, size);
        Checks.optionalSpan(routine, "dx", dx, dxOff, size);
        Checks.optionalSpan(routine, "dgamma", dgamma, dgOff, cols);
        Checks.optionalSpan(routine, "dbeta", dbeta, dbOff, cols);
        RowBlock body = (r0, n, pg, pgo, pb, pbo) -> {
            int e = r0 * cols;
            if (VECTOR) {
                VectorNorms.layerNormBackward(n, cols, x, xOff + e, gamma, gOff, mean, meanOff + r0, rstd, rstdOff + r0,
                        dy, dyOff + e, dx, dxOff + e, pg, pgo, pb, pbo);
            } else {
                ScalarNorms.layerNormBackward(n, cols, x, xOff + e, gamma, gOff, mean, meanOff + r0, rstd, rstdOff + r0,
                        dy, dyOff + e, dx, dxOff + e, pg, pgo, pb, pbo);
            }
        };
        runRowBlocks(rows, cols, dx != null, body, dgamma, dgOff, dbeta, dbOff);
    }

    /**
     * Fused residual add and LayerNorm, one pass over memory: {@code sum = x + residual} (written, since a
     * Transformer block needs it as its next residual) and {@code y = layerNorm(sum)} exactly as
     * {@link #layerNorm} computes it (the same bits). The backward is {@link #layerNormBackward} on
     * {@code sum}; its {@code dx} is the gradient of both {@code x} and {@code residual}. {@code gamma},
     * {@code beta}, {@code eps}, {@code mean} and {@code rstd} are as in {@link #layerNorm}.
     *
     * @param x        input, {@code rows x cols} from {@code xOff}
     * @param residual the residual stream, {@code rows x cols} from {@code rOff}
     * @param sum      output, {@code x + residual}, {@code rows x cols} from {@code sOff}; may be {@code x} or
     *                 {@code residual} itself (in place)
     * @param y        output, {@code rows x cols} from {@code yOff}; may be {@code x}, or {@code residual} when
     *                 {@code sum} is not
     */
    public static void addLayerNorm(int rows, int cols, float[] x, int xOff, float[] residual, int rOff,
                                    float[] sum, int sOff, float[] gamma, int gOff, float[] beta, int bOff,
                                    float eps, float[] y, int yOff, float[] mean, int meanOff,
                                    float[] rstd, int rstdOff) {
        String routine = "Norms.addLayerNorm";
        long size = Checks.block(routine, rows, cols);
        Checks.span(routine, "x", x, xOff, size);
        Checks.span(routine, "residual", residual, rOff, size);
        Checks.span(routine, "sum", sum, sOff, size);
        Checks.optionalSpan(routine, "gamma", gamma, gOff, cols);
        Checks.optionalSpan(routine, "beta", beta, bOff, cols);
        Checks.positive(routine, "eps", eps);
        Checks.span(routine, "y", y, yOff, size);
        Checks.optionalSpan(routine, "mean", mean, meanOff, rows);
        Checks.optionalSpan(routine, "rstd", rstd, rstdOff, rows);
        Chunks.rows(rows, cols, (from, to) -> {
            int e = from * cols;
            if (VECTOR) {
                VectorNorms.addLayerNorm(to - from, cols, x, xOff + e, residual, rOff + e, sum, sOff + e,
                        gamma, gOff, beta, bOff, eps, y, yOff + e, mean, meanOff + from, rstd, rstdOff + from);
            } else {
                ScalarNorms.addLayerNorm(to - from, cols, x, xOff + e, residual, rOff + e, sum, sOff + e,
                        gamma, gOff, beta, bOff, eps, y, yOff + e, mean, meanOff + from, rstd, rstdOff + from);
            }
        });
    }

    // ==================================================================================== RMSNorm

    /**
     * RMSNorm over the last dimension ({@code torch.nn.functional.rms_norm(x, (cols,), gamma, eps)}): per row
     * {@code rstd = 1 / sqrt(sum(x^2) / cols + eps)} and {@code y = x * rstd * gamma}. PyTorch's
     * {@code nn.RMSNorm} defaults {@code eps} to None, meaning {@code torch.finfo(torch.float32).eps}
     * ({@code 1.1920929e-7}); pass that value explicitly here. For {@code cols == 0}, {@code rstd} is NaN.
     *
     * @param x     input, {@code rows x cols} from {@code xOff}
     * @param gamma scale ({@code weight}), {@code cols} floats from {@code gOff}; nullable (scale 1)
     * @param eps   added to the mean square, {@code > 0} and finite
     * @param y     output, {@code rows x cols} from {@code yOff}; may be {@code x} itself
     * @param rstd  output, each row's {@code 1 / sqrt(mean(x^2) + eps)}, {@code rows} floats from
     *              {@code rstdOff}; nullable
     */
    public static void rmsNorm(int rows, int cols, float[] x, int xOff, float[] gamma, int gOff, float eps,
                               float[] y, int yOff, float[] rstd, int rstdOff) {
        String routine = "Norms.rmsNorm";
        long size = Checks.block(routine, rows, cols);
        Checks.span(routine, "x", x, xOff, size);
        Checks.optionalSpan(routine, "gamma", gamma, gOff, cols);
        Checks.positive(routine, "eps", eps);
        Checks.span(routine, "y", y, yOff, size);
        Checks.optionalSpan(routine, "rstd", rstd, rstdOff, rows);
        Chunks.rows(rows, cols, (from, to) -> {
            int e = from * cols;
            if (VECTOR) {
                VectorNorms.rmsNorm(to - from, cols, x, xOff + e, gamma, gOff, eps, y, yOff + e, rstd, rstdOff + from);
            } else {
                ScalarNorms.rmsNorm(to - from, cols, x, xOff + e, gamma, gOff, eps, y, yOff + e, rstd, rstdOff + from);
            }
        });
    }

    /**
     * The gradients of {@link #rmsNorm}, as PyTorch's autograd of {@code rms_norm}: with
     * {@code g = dy * gamma}, per row {@code dx = rstd * g - x * rstd^3 * sum(g * x) / cols}, and over all
     * rows {@code dgamma = sum(dy * x * rstd)}. {@code dx} and {@code dgamma} are written, not accumulated
     * into. Also the backward of {@link #addRmsNorm}, called on its {@code sum} (whose gradient is that of
     * both {@code x} and {@code residual}).
     *
     * @param x      the forward's input, {@code rows x cols} from {@code xOff}
     * @param gamma  the forward's scale, {@code cols} floats; nullable (scale 1)
     * @param rstd   the forward's saved row rstd, {@code rows} floats from {@code rstdOff}
     * @param dy     the gradient of the output, {@code rows x cols} from {@code dyOff}
     * @param dx     output, the gradient of {@code x}, {@code rows x cols}; nullable; may be {@code dy} itself
     * @param dgamma output, the gradient of {@code gamma}, {@code cols} floats from {@code dgOff}; nullable
     */
    public static void rmsNormBackward(int rows, int cols, float[] x, int xOff, float[] gamma, int gOff,
                                       float[] rstd, int rstdOff, float[] dy, int dyOff, float[] dx, int dxOff,
                                       float[] dgamma, int dgOff) {
        String routine = "Norms.rmsNormBackward";
        long size = Checks.block(routine, rows, cols);
        Checks.span(routine, "x", x, xOff, size);
        Checks.optionalSpan(routine, "gamma", gamma, gOff, cols);
        Checks.span(routine, "rstd", rstd, rstdOff, rows);
        Checks.span(routine, "dy", dy, dyOff, size);
        Checks.optionalSpan(routine, "dx", dx, dxOff, size);
        Checks.optionalSpan(routine, "dgamma", dgamma, dgOff, cols);
        RowBlock body = (r0, n, pg, pgo, unused, unusedOff) -> {
            int e = r0 * cols;
            if (VECTOR) {
                VectorNorms.rmsNormBackward(n, cols, x, xOff + e, gamma, gOff, rstd, rstdOff + r0,
                        dy, dyOff + e, dx, dxOff + e, pg, pgo);
            } else {
                ScalarNorms.rmsNormBackward(n, cols, x, xOff + e, gamma, gOff, rstd, rstdOff + r0,
                        dy, dyOff + e, dx, dxOff + e, pg, pgo);
            }
        };
        runRowBlocks(rows, cols, dx != null, body, dgamma, dgOff, null, 0);
    }

    /**
     * Fused residual add and RMSNorm: {@code sum = x + residual} (written) and {@code y = rmsNorm(sum)},
     * the same bits as {@link #rmsNorm} of {@code sum}, in one pass over memory. The backward is
     * {@link #rmsNormBackward} on {@code sum}. The other arguments are as in {@link #rmsNorm}.
     *
     * @param residual the residual stream, {@code rows x cols} from {@code rOff}
     * @param sum      output, {@code x + residual}, {@code rows x cols} from {@code sOff}; may be {@code x} or
     *                 {@code residual} itself
     */
    public static void addRmsNorm(int rows, int cols, float[] x, int xOff, float[] residual, int rOff,
                                  float[] sum, int sOff, float[] gamma, int gOff, float eps, float[] y, int yOff,
                                  float[] rstd, int rstdOff) {
        String routine = "Norms.addRmsNorm";
        long size = Checks.block(routine, rows, cols);
        Checks.span(routine, "x", x, xOff, size);
        Checks.span(routine, "residual", residual, rOff, size);
        Checks.span(routine, "sum", sum, sOff, size);
        Checks.optionalSpan(routine, "gamma", gamma, gOff, cols);
        Checks.positive(routine, "eps", eps);
        Checks.span(routine, "y", y, yOff, size);
        Checks.optionalSpan(routine, "rstd", rstd, rstdOff, rows);
        Chunks.rows(rows, cols, (from, to) -> {
            int e = from * cols;
            if (VECTOR) {
                VectorNorms.addRmsNorm(to - from, cols, x, xOff + e, residual, rOff + e, sum, sOff + e,
                        gamma, gOff, eps, y, yOff + e, rstd, rstdOff + from);
            } else {
                ScalarNorms.addRmsNorm(to - from, cols, x, xOff + e, residual, rOff + e, sum, sOff + e,
                        gamma, gOff, eps, y, yOff + e, rstd, rstdOff + from);
            }
        });
    }

    // ================================================================================== BatchNorm

    /**
     * BatchNorm in training mode ({@code torch.nn.BatchNorm1d/2d} in {@code train()}, i.e.
     * {@code F.batch_norm(x, running_mean, running_var, gamma, beta, training=True, momentum, eps)}): per
     * channel over its {@code batch * spatial} values, {@code mean}, biased {@code var},
     * {@code rstd = 1 / sqrt(var + eps)}, {@code y = (x - mean) * rstd * gamma + beta}; then
     * {@code runningMean = (1 - momentum) * runningMean + momentum * mean} and
     * {@code runningVar = (1 - momentum) * runningVar + momentum * var * count / (count - 1)} (the unbiased
     * variance, as PyTorch).
     *
     * @param batch       N, {@code >= 0}
     * @param channels    C, {@code >= 0}
     * @param spatial     values per sample and channel (1, L, or H * W), {@code >= 0};
     *                    {@code batch * spatial} must be at least 2 (PyTorch: "Expected more than 1 value per
     *                    channel when training")
     * @param x           input, {@code batch x channels x spatial} from {@code xOff}
     * @param gamma       scale ({@code weight}), {@code channels} floats; nullable ({@code affine=False})
     * @param beta        shift ({@code bias}), {@code channels} floats; nullable
     * @param eps         added to the variance, {@code > 0} and finite (PyTorch's default is 1e-5)
     * @param momentum    weight of the new statistic in the running averages, in {@code [0, 1]} (PyTorch's
     *                    default is 0.1; its {@code momentum=None} cumulative average is
     *                    {@code 1 / num_batches_tracked}, which the caller passes here)
     * @param runningMean updated in place, {@code channels} floats from {@code rmOff}; nullable
     *                    ({@code track_running_stats=False})
     * @param runningVar  updated in place, {@code channels} floats from {@code rvOff}; nullable
     * @param y           output, {@code batch x channels x spatial} from {@code yOff}; may be {@code x}
     * @param saveMean    output, each channel's batch mean, {@code channels} floats; nullable
     * @param saveRstd    output, each channel's {@code 1 / sqrt(var + eps)} (PyTorch's {@code save_invstd}),
     *                    {@code channels} floats; nullable
     */
    public static void batchNormTraining(int batch, int channels, int spatial, float[] x, int xOff,
                                         float[] gamma, int gOff, float[] beta, int bOff, float eps, float momentum,
                                         float[] runningMean, int rmOff, float[] runningVar, int rvOff,
                                         float[] y, int yOff, float[] saveMean, int smOff,
                                         float[] saveRstd, int srOff) {
        String routine = "Norms.batchNormTraining";
        long size = checkBatchShape(routine, batch, channels, spatial);
        long count = (long) batch * spatial;
        if (count < 2) {
            throw new IllegalArgumentException(routine + ": expected more than 1 value per channel when training, got"
                    + " batch * spatial = " + batch + " * " + spatial + " = " + count);
        }
        Checks.span(routine, "x", x, xOff, size);
        Checks.optionalSpan(routine, "gamma", gamma, gOff, channels);
        Checks.optionalSpan(routine, "beta", beta, bOff, channels);
        Checks.positive(routine, "eps", eps);
        Checks.inRange(routine, "momentum", momentum, 0, 1);
        Checks.optionalSpan(routine, "runningMean", runningMean, rmOff, channels);
        Checks.optionalSpan(routine, "runningVar", runningVar, rvOff, channels);
        Checks.span(routine, "y", y, yOff, size);
        Checks.optionalSpan(routine, "saveMean", saveMean, smOff, channels);
        Checks.optionalSpan(routine, "saveRstd", saveRstd, srOff, channels);
        if (channels == 0) {
            return;
        }
        forChannels(batch, channels, spatial, (c0, c1) -> {
            if (VECTOR) {
                VectorNorms.batchNormTraining(batch, channels, spatial, c0, c1, x, xOff, gamma, gOff, beta, bOff,
                        eps, momentum, runningMean, rmOff, runningVar, rvOff, y, yOff, saveMean, smOff, saveRstd, srOff);
            } else {
                ScalarNorms.batchNormTraining(batch, channels, spatial, c0, c1, x, xOff, gamma, gOff, beta, bOff,
                        eps, momentum, runningMean, rmOff, runningVar, rvOff, y, yOff, saveMean, smOff, saveRstd, srOff);
            }
        });
    }

    /**
     * BatchNorm in eval mode ({@code eval()}, or {@code F.batch_norm(..., training=False)}):
     * {@code y = (x - runningMean) / sqrt(runningVar + eps) * gamma + beta}, per channel.
     *
     * @param x           input, {@code batch x channels x spatial} from {@code xOff}
     * @param gamma       scale, {@code channels} floats; nullable
     * @param beta        shift, {@code channels} floats; nullable
     * @param runningMean the running mean, {@code channels} floats from {@code rmOff}
     * @param runningVar  the running variance, {@code channels} floats from {@code rvOff}
     * @param eps         added to the variance, {@code > 0} and finite
     * @param y           output, {@code batch x channels x spatial} from {@code yOff}; may be {@code x}
     */
    public static void batchNormInference(int batch, int channels, int spatial, float[] x, int xOff,
                                          float[] gamma, int gOff, float[] beta, int bOff,
                                          float[] runningMean, int rmOff, float[] runningVar, int rvOff,
                                          float eps, float[] y, int yOff) {
        String routine = "Norms.batchNormInference";
        long size = checkBatchShape(routine, batch, channels, spatial);
        Checks.span(routine, "x", x, xOff, size);
        Checks.optionalSpan(routine, "gamma", gamma, gOff, channels);
        Checks.optionalSpan(routine, "beta", beta, bOff, channels);
        Checks.span(routine, "runningMean", runningMean, rmOff, channels);
        Checks.span(routine, "runningVar", runningVar, rvOff, channels);
        Checks.positive(routine, "eps", eps);
        Checks.span(routine, "y", y, yOff, size);
        if (size == 0) {
            return;
        }
        int sample = channels * spatial;
        Chunks.rows(batch, sample, (from, to) -> {
            int e = from * sample;
            if (VECTOR) {
                VectorNorms.batchNormInference(to - from, channels, spatial, x, xOff + e, gamma, gOff, beta, bOff,
                        runningMean, rmOff, runningVar, rvOff, eps, y, yOff + e);
            } else {
                ScalarNorms.batchNormInference(to - from, channels, spatial, x, xOff + e, gamma, gOff, beta, bOff,
                        runningMean, rmOff, runningVar, rvOff, eps, y, yOff + e);
            }
        });
    }

    /**
     * The gradients of {@link #batchNormTraining} (PyTorch's {@code native_batch_norm_backward} with
     * {@code train=True}): per channel, with {@code xhat = (x - saveMean) * saveRstd} and {@code count =
     * batch * spatial}, {@code dx = gamma * saveRstd * (dy - sum(dy) / count - xhat * sum(dy * xhat) / count)},
     * {@code dgamma = sum(dy * xhat)}, {@code dbeta = sum(dy)}. All three are written, not accumulated into.
     * (In eval mode the gradient is simply {@code dx = dy * gamma / sqrt(runningVar + eps)}.)
     *
     * @param x        the forward's input, {@code batch x channels x spatial} from {@code xOff}
     * @param gamma    the forward's scale, {@code channels} floats; nullable
     * @param saveMean the forward's {@code saveMean}, {@code channels} floats from {@code smOff}
     * @param saveRstd the forward's {@code saveRstd}, {@code channels} floats from {@code srOff}
     * @param dy       the gradient of the output, {@code batch x channels x spatial} from {@code dyOff}
     * @param dx       output, the gradient of {@code x}, same shape; nullable; may be {@code dy} itself
     * @param dgamma   output, {@code channels} floats from {@code dgOff}; nullable
     * @param dbeta    output, {@code channels} floats from {@code dbOff}; nullable
     */
    public static void batchNormBackward(int batch, int channels, int spatial, float[] x, int xOff,
                                         float[] gamma, int gOff, float[] saveMean, int smOff,
                                         float[] saveRstd, int srOff, float[] dy, int dyOff, float[] dx, int dxOff,
                                         float[] dgamma, int dgOff, float[] dbeta, int dbOff) {
        String routine = "Norms.batchNormBackward";
        long size = checkBatchShape(routine, batch, channels, spatial);
        Checks.span(routine, "x", x, xOff, size);
        Checks.optionalSpan(routine, "gamma", gamma, gOff, channels);
        Checks.span(routine, "saveMean", saveMean, smOff, channels);
        Checks.span(routine, "saveRstd", saveRstd, srOff, channels);
        Checks.span(routine, "dy", dy, dyOff, size);
        Checks.optionalSpan(routine, "dx", dx, dxOff, size);
        Checks.optionalSpan(routine, "dgamma", dgamma, dgOff, channels);
        Checks.optionalSpan(routine, "dbeta", dbeta, dbOff, channels);
        if (channels == 0 || (dx == null && dgamma == null && dbeta == null)) {
            return;
        }
        forChannels(batch, channels, spatial, (c0, c1) -> {
            if (VECTOR) {
                VectorNorms.batchNormBackward(batch, channels, spatial, c0, c1, x, xOff, gamma, gOff,
                        saveMean, smOff, saveRstd, srOff, dy, dyOff, dx, dxOff, dgamma, dgOff, dbeta, dbOff);
            } else {
                ScalarNorms.batchNormBackward(batch, channels, spatial, c0, c1, x, xOff, gamma, gOff,
                        saveMean, smOff, saveRstd, srOff, dy, dyOff, dx, dxOff, dgamma, dgOff, dbeta, dbOff);
            }
        });
    }

    // ================================================================================== internals

    private static long checkBatchShape(String routine, int batch, int channels, int spatial) {
        Checks.nonNegative(routine, "batch", batch);
        Checks.nonNegative(routine, "channels", channels);
        Checks.nonNegative(routine, "spatial", spatial);
        return (long) batch * channels * spatial;
    }

    /**
     * Runs {@code body} over channel ranges, in parallel when large. Each channel's arithmetic is the same
     * whatever range it falls in, so the split does not change any bit. With {@code spatial == 1} the ranges
     * are whole groups of {@link #CHANNEL_GROUP} channels, so that threads do not share cache lines of a row.
     * Call only with {@code channels > 0} (so {@code batch * spatial} fits in an int).
     */
    private static void forChannels(int batch, int channels, int spatial, Chunks.Range body) {
        int count = batch * spatial;
        if (spatial != 1) {
            Chunks.rows(channels, count, body);
            return;
        }
        int groups = (channels + CHANNEL_GROUP - 1) / CHANNEL_GROUP;
        int groupSize = (int) Math.min(Integer.MAX_VALUE, (long) CHANNEL_GROUP * Math.max(1, batch));
        Chunks.rows(groups, groupSize, (g0, g1) ->
                body.run(g0 * CHANNEL_GROUP, Math.min(channels, g1 * CHANNEL_GROUP)));
    }

    /** A row-norm backward over rows {@code [r0, r0 + n)}, writing its parameter-gradient sums to the partials. */
    @FunctionalInterface
    private interface RowBlock {
        void run(int r0, int n, float[] partialGamma, int pgOff, float[] partialBeta, int pbOff);
    }

    /**
     * The rows a parameter-gradient partial sum covers: at least {@link Chunks#GRAIN} elements (worth a task),
     * at most {@link #MAX_ROW_BLOCKS} blocks. Depends on the shape only, never on the thread count.
     */
    static int blockRows(int rows, int cols) {
        int byCount = (rows + MAX_ROW_BLOCKS - 1) / MAX_ROW_BLOCKS;
        int bySize = Math.max(1, Chunks.GRAIN / Math.max(1, cols));
        return Math.max(1, Math.min(rows, Math.max(byCount, bySize)));
    }

    /**
     * Runs a row-norm backward: rows in parallel when only {@code dx} is wanted; otherwise in fixed row
     * blocks, each writing its own partial parameter gradients, then the partials added in block order.
     */
    private static void runRowBlocks(int rows, int cols, boolean wantDx, RowBlock body,
                                     float[] dgamma, int dgOff, float[] dbeta, int dbOff) {
        if (dgamma == null && dbeta == null) {
            if (wantDx) {
                Chunks.rows(rows, cols, (from, to) -> body.run(from, to - from, null, 0, null, 0));
            }
            return;
        }
        int blockRows = blockRows(rows, cols);
        int blocks = (rows + blockRows - 1) / blockRows;
        int parts = (dgamma != null ? 1 : 0) + (dbeta != null ? 1 : 0);
        if (blocks <= 1 || (long) blocks * parts * cols > Integer.MAX_VALUE - 16) {
            body.run(0, rows, dgamma, dgOff, dbeta, dbOff); // also zeroes them when rows == 0
            return;
        }
        int stride = parts * cols;
        int betaAt = dgamma != null ? cols : 0;
        float[] partial = new float[blocks * stride];
        Chunks.rows(blocks, blockRows * cols, (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                int r0 = b * blockRows;
                body.run(r0, Math.min(rows, r0 + blockRows) - r0, dgamma != null ? partial : null, b * stride,
                        dbeta != null ? partial : null, b * stride + betaAt);
            }
        });
        if (dgamma != null) {
            addBlocks(blocks, cols, partial, 0, stride, dgamma, dgOff);
        }
        if (dbeta != null) {
            addBlocks(blocks, cols, partial, betaAt, stride, dbeta, dbOff);
        }
    }

    /** {@code out = partial[block 0] + partial[block 1] + ...}, added in block order. */
    private static void addBlocks(int blocks, int cols, float[] partial, int first, int stride, float[] out, int off) {
        System.arraycopy(partial, first, out, off, cols);
        for (int b = 1; b < blocks; b++) {
            int p = first + b * stride;
            for (int j = 0; j < cols; j++) {
                out[off + j] += partial[p + j];
            }
        }
    }
}
