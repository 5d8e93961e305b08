package dev.lanes.nn.optim;

import dev.lanes.kernels.Gemm;
import dev.lanes.nn.Tensor;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Muon (MomentUm Orthogonalized by Newton-Schulz), as {@code torch.optim.Muon} ({@code torch/optim/_muon.py},
 * PyTorch 2.9+), for 2-D parameters (the weight matrices of hidden layers); biases, gains, embeddings and
 * other parameters belong in an {@link AdamW} optimizer beside it. Per parameter {@code W} of shape
 * {@code rows x cols}:
 * <pre>
 *   buf    = buf.lerp(grad, 1 - momentum)                    (= momentum * buf + (1 - momentum) * grad)
 *   update = nesterov ? grad.lerp(buf, momentum) : buf
 *   O      = NewtonSchulz(update)
 *   W     *= 1 - lr * weight_decay                           (decoupled weight decay, with the plain lr)
 *   W     -= adjusted_lr * O
 * </pre>
 * That is PyTorch's code. PyTorch's documentation writes the momentum as {@code B = mu B + g} and the Nesterov
 * update as {@code g + mu B}; the code's buffer is exactly {@code (1 - mu)} times that one (both start at zero),
 * and so is its update, and the Newton-Schulz iteration first divides by the Frobenius norm, so both give the
 * same {@code O}; the code's form is kept so that {@code momentum_buffer} in a state dict matches PyTorch's.
 *
 * <p>{@code NewtonSchulz}: {@code X = update} (transposed when {@code rows > cols}, so X is wide),
 * {@code X /= max(||X||_F, eps)}, then {@code ns_steps} times {@code A = X X^T}, {@code B = b A + c A A},
 * {@code X = a X + B X}, with {@code (a, b, c) = (3.4445, -4.7750, 2.0315)}; transposed back. Every product
 * runs on {@link Gemm#sgemm} (the transposed case with Gemm's transpose flags, on the update in its own
 * layout) into scratch matrices kept per parameter, so a step allocates nothing once each parameter has taken
 * one. PyTorch runs this iteration in bfloat16; Lanes runs it in float32, so its result is the same algorithm
 * with about five more bits (the two agree to bfloat16's precision: about 2e-2 relative after five steps).
 *
 * <p>{@code adjusted_lr} is {@code lr * sqrt(max(1, rows / cols))} ({@link AdjustLr#ORIGINAL}, Keller Jordan's,
 * the default) or {@code lr * 0.2 * sqrt(max(rows, cols))} ({@link AdjustLr#MATCH_RMS_ADAMW}, Moonshot's).
 *
 * <p>Options and defaults as PyTorch's, with the tuple {@code ns_coefficients} as three options and
 * {@code adjust_lr_fn} as a code: {@code lr} 1e-3, {@code weight_decay} 0.1, {@code momentum} 0.95,
 * {@code nesterov} true, {@code ns_a} 3.4445, {@code ns_b} -4.775, {@code ns_c} 2.0315, {@code eps} 1e-7,
 * {@code ns_steps} 5 (0 to 99), {@code adjust_lr_fn} 0 ({@link AdjustLr#code()}). State per parameter:
 * {@code momentum_buffer} (no step count, as PyTorch).
 *
 * <pre>{@code
 * var muon = new Muon(hiddenWeights, 0.02);
 * var adamw = new AdamW(everythingElse, 3e-4);
 * }</pre>
 */
public final class Muon extends Optimizer {
    /** PyTorch's {@code adjust_lr_fn}: how the learning rate is scaled for a {@code rows x cols} matrix. */
    public enum AdjustLr {
        /** {@code "original"} (and PyTorch's {@code None}): {@code lr * sqrt(max(1, rows / cols))}. */
        ORIGINAL,
        /** {@code "match_rms_adamw"}: {@code lr * 0.2 * sqrt(max(rows, cols))}, so AdamW's lr and decay carry over. */
        MATCH_RMS_ADAMW;

        /** The value of the {@code adjust_lr_fn} option that selects this. */
        public double code() {
            return ordinal();
        }
    }

    /** Preallocated matrices for one parameter: the iterate and its next value, the Gram matrix and the polynomial. */
    private record Scratch(float[] x, float[] y, float[] gram, float[] poly) {}

    private final Map<Tensor, Scratch> scratch = new IdentityHashMap<>();

    /** Muon over the 2-D {@code params} with PyTorch's default learning rate, 1e-3. */
    public Muon(List<Tensor> params) {
        this(params, 1e-3);
    }

    /** Muon over the 2-D {@code params} with learning rate {@code lr}. */
    public Muon(List<Tensor> params, double lr) {
        defineOption("lr", "learning rate", 1e-3, 0, Double.POSITIVE_INFINITY, false);
        defineOption("weight_decay", "weight_decay value", 0.1, 0, Double.POSITIVE_INFINITY, false);
        defineOption("momentum", "momentum value", 0.95, 0, Double.POSITIVE_INFINITY, false);
        defineFlag("nesterov", true);
        defineOption("ns_a", "Newton-Schulz coefficient a", 3.4445, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, false);
        defineOption("ns_b", "Newton-Schulz coefficient b", -4.7750, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, false);
        defineOption("ns_c", "Newton-Schulz coefficient c", 2.0315, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, false);
        defineOption("eps", "epsilon value", 1e-7, 0, Double.POSITIVE_INFINITY, false);
        // PyTorch: "Number of steps must be less than 100 for computational efficiency".
        defineInteger("ns_steps", "number of Newton-Schulz steps", 5, 0, 99);
        defineInteger("adjust_lr_fn", "adjust_lr_fn code (0 original, 1 match_rms_adamw)", 0, 0, AdjustLr.values().length - 1);
        setDefault("lr", lr);
        addParamGroup(ParamGroup.of(params));
    }

    @Override
    protected String name() {
        return "Muon";
    }

    /** Adds a group; every parameter must be 2-D (a matrix). */
    @Override
    public Muon addParamGroup(ParamGroup group) {
        for (Tensor p : group.params()) {
            if (p != null && p.dim() != 2) {
                throw new IllegalArgumentException("Muon: only supports 2-D parameters (matrices), but a parameter has shape "
                        + Arrays.toString(p.shape()) + "; optimize biases, gains, embeddings and other non-2-D parameters with"
                        + " an AdamW group instead (e.g. new AdamW(others, 3e-4) next to the Muon optimizer)");
            }
        }
        super.addParamGroup(group);
        return this;
    }

    /** Sets the default decoupled weight decay ({@code >= 0}). */
    public Muon weightDecay(double weightDecay) {
        setDefault("weight_decay", weightDecay);
        return this;
    }

    /** Sets the default momentum factor ({@code >= 0}). */
    public Muon momentum(double momentum) {
        setDefault("momentum", momentum);
        return this;
    }

    /** Turns Nesterov momentum on (PyTorch's default) or off by default. */
    public Muon nesterov(boolean nesterov) {
        setDefault("nesterov", nesterov ? 1 : 0);
        return this;
    }

    /** Sets the default coefficients of the quintic Newton-Schulz polynomial (PyTorch's {@code ns_coefficients}). */
    public Muon nsCoefficients(double a, double b, double c) {
        checkOption("ns_a", a);
        checkOption("ns_b", b);
        checkOption("ns_c", c);
        setDefault("ns_a", a);
        setDefault("ns_b", b);
        setDefault("ns_c", c);
        return this;
    }

    /** Sets the default lower bound of the norm the update is divided by ({@code >= 0}). */
    public Muon eps(double eps) {
        setDefault("eps", eps);
        return this;
    }

    /** Sets the default number of Newton-Schulz steps, 0 to 99. */
    public Muon nsSteps(int steps) {
        setDefault("ns_steps", steps);
        return this;
    }

    /** Sets the default learning-rate adjustment. */
    public Muon adjustLrFn(AdjustLr fn) {
        if (fn == null) {
            throw new IllegalArgumentException("Muon: adjust_lr_fn is null (use AdjustLr.ORIGINAL, PyTorch's default)");
        }
        setDefault("adjust_lr_fn", fn.code());
        return this;
    }

    @Override
    protected List<String> stateNames() {
        return List.of("momentum_buffer");
    }

    /** PyTorch's {@code _adjust_lr}, in double. */
    static double adjustedLr(double lr, AdjustLr fn, int rows, int cols) {
        double ratio = fn == AdjustLr.ORIGINAL
                ? Math.sqrt(Math.max(1, (double) rows / cols))
                : 0.2 * Math.sqrt(Math.max(rows, cols));
        return lr * ratio;
    }

    @Override
    public void step() {
        checkGroups();
        for (ParamGroup group : paramGroups()) {
            double lr = group.lr();
            double weightDecay = group.get("weight_decay");
            double momentumD = group.get("momentum");
            // Python-float scalars meet float tensors: rounded once, as PyTorch does.
            float momentum = (float) momentumD;
            float keep = (float) (1 - momentumD);
            boolean nesterov = group.flag("nesterov");
            float a = (float) group.get("ns_a");
            float b = (float) group.get("ns_b");
            float c = (float) group.get("ns_c");
            float eps = (float) group.get("eps");
            int steps = (int) group.get("ns_steps");
            AdjustLr fn = AdjustLr.values()[(int) group.get("adjust_lr_fn")];
            float decay = (float) (1 - lr * weightDecay);
            for (Tensor p : group.params()) {
                Tensor grad = contiguousGrad(p);
                if (grad == null) {
                    continue;
                }
                int rows = p.size(0);
                int cols = p.size(1);
                int n = rows * cols;
                float[] buf = state(p).buffer("momentum_buffer", n, 0f);
                Scratch sc = scratch.computeIfAbsent(p, q -> {
                    int m = Math.min(rows, cols);
                    return new Scratch(new float[n], new float[n], new float[m * m], new float[m * m]);
                });
                float[] g = grad.array();
                int go = grad.arrayOffset();
                float[] x = sc.x;
                // One pass: momentum, the Nesterov update, and its squared Frobenius norm.
                double sumSquares = 0;
                for (int i = 0; i < n; i++) {
                    float gi = g[go + i];
                    float bi = lerp(buf[i], gi, keep);
                    buf[i] = bi;
                    float u = nesterov ? lerp(gi, bi, momentum) : bi;
                    x[i] = u;
                    sumSquares += (double) u * u;
                }
                // PyTorch: X.div_(X.norm().clamp(min=eps)); max keeps a NaN norm NaN, as clamp does.
                float norm = Math.max((float) Math.sqrt(sumSquares), eps);
                for (int i = 0; i < n; i++) {
                    x[i] = x[i] / norm;
                }
                float[] o = newtonSchulz(sc, rows, cols, a, b, c, steps);
                float alpha = (float) -adjustedLr(lr, fn, rows, cols);
                float[] w = p.array();
                int wo = p.arrayOffset();
                for (int i = 0; i < n; i++) {
                    // param.mul_(1 - lr * wd) then param.add_(O, alpha=-adjusted_lr), an fma in ATen.
                    w[wo + i] = Math.fma(o[i], alpha, w[wo + i] * decay);
                }
            }
        }
    }

    /**
     * {@code ns_steps} quintic Newton-Schulz steps on {@code sc.x}, a {@code rows x cols} matrix already divided
     * by its norm; returns the array holding the result (x or y), in the same layout. For {@code rows <= cols}
     * it is PyTorch's iteration on X itself. For {@code rows > cols} PyTorch iterates on {@code X = G^T}; here G
     * stays in place and each product is the transpose of PyTorch's, which Gemm forms from the same dot
     * products: {@code X X^T = G^T G}, and {@code (B X)^T = G B^T}.
     */
    private static float[] newtonSchulz(Scratch sc, int rows, int cols, float a, float b, float c, int steps) {
        boolean tall = rows > cols;
        int m = Math.min(rows, cols);
        float[] x = sc.x;
        float[] y = sc.y;
        float[] gram = sc.gram;
        float[] poly = sc.poly;
        for (int s = 0; s < steps; s++) {
            // gram = X X^T  (m x m)
            if (tall) {
                Gemm.sgemm(true, false, m, m, rows, 1f, x, 0, cols, x, 0, cols, 0f, gram, 0, m);
            } else {
                Gemm.sgemm(false, true, m, m, cols, 1f, x, 0, cols, x, 0, cols, 0f, gram, 0, m);
            }
            // poly = b * gram + c * gram gram   (torch.addmm(gram, gram, gram, beta=b, alpha=c))
            System.arraycopy(gram, 0, poly, 0, m * m);
            Gemm.sgemm(false, false, m, m, m, c, gram, 0, m, gram, 0, m, b, poly, 0, m);
            // X = a * X + poly X   (torch.addmm(X, poly, X, beta=a)); tall: G = a * G + G poly^T
            System.arraycopy(x, 0, y, 0, rows * cols);
            if (tall) {
                Gemm.sgemm(false, true, rows, cols, cols, 1f, x, 0, cols, poly, 0, m, a, y, 0, cols);
            } else {
                Gemm.sgemm(false, false, rows, cols, rows, 1f, poly, 0, m, x, 0, cols, a, y, 0, cols);
            }
            float[] t = x;
            x = y;
            y = t;
        }
        return x;
    }

    /**
     * {@code start.lerp(end, weight)} as ATen's CPU kernel computes it: {@code start + w (end - start)} when
     * {@code |w| < 0.5}, else {@code end + (w - 1)(end - start)}, each one fused multiply-add.
     */
    private static float lerp(float start, float end, float weight) {
        return Math.abs(weight) < 0.5f
                ? Math.fma(weight, end - start, start)
                : Math.fma(weight - 1f, end - start, end);
    }
}
