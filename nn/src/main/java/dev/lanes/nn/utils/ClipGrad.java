package dev.lanes.nn.utils;

import dev.lanes.kernels.Elementwise;
import dev.lanes.kernels.Reductions;
import dev.lanes.nn.GradMode;
import dev.lanes.nn.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Gradient clipping, like {@code torch.nn.utils.clip_grad_norm_} and {@code clip_grad_value_}. Call it
 * between {@code backward()} and the optimizer's {@code step()}:
 *
 * <pre>{@code
 * loss.backward();
 * double norm = ClipGrad.clipGradNorm(model.parameters(), 1.0);
 * optimizer.step();
 * }</pre>
 *
 * Parameters without a gradient are skipped; a parameter listed twice counts once (PyTorch would count and
 * scale it twice). The gradients are changed in place.
 */
public final class ClipGrad {
    private ClipGrad() {}

    /** {@link #clipGradNorm(List, double, double, boolean)} with the 2-norm and no error on a non-finite norm. */
    public static double clipGradNorm(List<Tensor> params, double maxNorm) {
        return clipGradNorm(params, maxNorm, 2.0, false);
    }

    /** {@link #clipGradNorm(List, double, double, boolean)} with no error on a non-finite norm. */
    public static double clipGradNorm(List<Tensor> params, double maxNorm, double normType) {
        return clipGradNorm(params, maxNorm, normType, false);
    }

    /**
     * Scales all gradients together so that their total norm is at most {@code maxNorm}, as
     * {@code torch.nn.utils.clip_grad_norm_}: the total norm is the {@code normType}-norm of all gradients
     * as if concatenated into one vector ({@code max |g|} for infinity), and every gradient is multiplied by
     * {@code min(1, maxNorm / (total + 1e-6))}. A non-finite total (a NaN or infinite gradient) throws
     * when {@code errorIfNonfinite}; otherwise, as in PyTorch, the gradients are scaled by the resulting
     * NaN or 0 factor.
     *
     * <p>The 2-norm sums squares with the kernels ({@code Reductions.sumSquares}, float within a block,
     * double across blocks) and adds the parameters' sums in double; like PyTorch's float32 norm, a sum of
     * squares beyond the float range is infinite. Other orders are summed in double.
     *
     * @param maxNorm the largest total norm allowed, {@code >= 0} ({@code Infinity} clips nothing)
     * @param normType the order p of the norm, {@code > 0}, or {@link Double#POSITIVE_INFINITY}
     * @return the total norm of the gradients before clipping (0 when none has a gradient)
     * @throws ArithmeticException if {@code errorIfNonfinite} and the total norm is NaN or infinite
     *     (nothing is changed)
     */
    public static double clipGradNorm(List<Tensor> params, double maxNorm, double normType, boolean errorIfNonfinite) {
        String routine = "ClipGrad.clipGradNorm";
        if (!(maxNorm >= 0)) {
            throw new IllegalArgumentException(routine + ": max_norm = " + maxNorm + " must be >= 0");
        }
        checkNormType(routine, normType);
        List<Tensor> grads = grads(routine, params);
        double total = norm(grads, normType);
        if (errorIfNonfinite && !Double.isFinite(total)) {
            throw new ArithmeticException(routine + ": the total norm of order " + normType + " of the gradients is " + total
                    + " (non-finite), so it cannot be clipped; pass errorIfNonfinite = false to scale the gradients by it anyway");
        }
        double coef = maxNorm / (total + 1e-6);
        if (!(coef >= 1)) { // NaN scales too, as torch.clamp(nan, max=1) is nan
            float c = (float) coef;
            try (GradMode.Scope ignored = GradMode.noGrad()) {
                for (Tensor g : grads) {
                    if (g.isContiguous()) {
                        Elementwise.scale(g.numel(), c, g.array(), g.arrayOffset(), g.array(), g.arrayOffset());
                    } else {
                        g.mul_(c);
                    }
                }
            }
        }
        return total;
    }

    /**
     * The {@code normType}-norm of the tensors' values as if concatenated, like
     * {@code torch.nn.utils.get_total_norm}; 0 for an empty list. Useful to log gradient norms:
     * {@code totalNorm(params.stream().map(Tensor::grad).filter(Objects::nonNull).toList(), 2)}.
     */
    public static double totalNorm(List<Tensor> tensors, double normType) {
        String routine = "ClipGrad.totalNorm";
        checkNormType(routine, normType);
        if (tensors == null) {
            throw new IllegalArgumentException(routine + ": tensors is null");
        }
        for (int i = 0; i < tensors.size(); i++) {
            if (tensors.get(i) == null) {
                throw new IllegalArgumentException(routine + ": tensor " + i + " is null");
            }
        }
        return norm(tensors, normType);
    }

    /**
     * Clamps every gradient element into {@code [-clipValue, clipValue]}, as
     * {@code torch.nn.utils.clip_grad_value_} (a NaN stays NaN).
     *
     * @param clipValue the largest magnitude allowed, {@code >= 0}
     */
    public static void clipGradValue(List<Tensor> params, double clipValue) {
        String routine = "ClipGrad.clipGradValue";
        if (!(clipValue >= 0)) {
            throw new IllegalArgumentException(routine + ": clip_value = " + clipValue + " must be >= 0");
        }
        float c = (float) clipValue;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            for (Tensor g : grads(routine, params)) {
                if (g.isContiguous()) {
                    Elementwise.clamp(g.numel(), -c, c, g.array(), g.arrayOffset(), g.array(), g.arrayOffset());
                } else {
                    g.copy_(g.clamp(-c, c));
                }
            }
        }
    }

    private static void checkNormType(String routine, double normType) {
        if (!(normType > 0)) {
            throw new IllegalArgumentException(routine + ": norm_type = " + normType + " must be > 0 or Infinity");
        }
    }

    /** The distinct parameters' gradients, skipping parameters without one; the list is checked first. */
    private static List<Tensor> grads(String routine, List<Tensor> params) {
        if (params == null) {
            throw new IllegalArgumentException(routine + ": params is null");
        }
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Tensor> grads = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i);
            if (p == null) {
                throw new IllegalArgumentException(routine + ": parameter " + i + " is null");
            }
            if (seen.add(p) && p.grad() != null) {
                grads.add(p.grad());
            }
        }
        return grads;
    }

    private static double norm(List<Tensor> tensors, double p) {
        double acc = 0;
        for (Tensor t : tensors) {
            if (t.numel() == 0) {
                continue;
            }
            Tensor c = t.contiguous();
            float[] a = c.array();
            int off = c.arrayOffset(), n = c.numel();
            if (p == 2) {
                acc += Reductions.sumSquares(n, a, off);
            } else if (p == Double.POSITIVE_INFINITY) {
                for (int i = 0; i < n; i++) {
                    acc = Math.max(acc, Math.abs(a[off + i])); // Math.max keeps a NaN
                }
            } else if (p == 1) {
                for (int i = 0; i < n; i++) {
                    acc += Math.abs(a[off + i]);
                }
            } else {
                for (int i = 0; i < n; i++) {
                    acc += Math.pow(Math.abs(a[off + i]), p);
                }
            }
        }
        if (p == 2) {
            return Math.sqrt(acc);
        }
        if (p == Double.POSITIVE_INFINITY || p == 1) {
            return acc;
        }
        return Math.pow(acc, 1 / p);
    }
}
