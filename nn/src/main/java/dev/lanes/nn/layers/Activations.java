package dev.lanes.nn.layers;

import dev.lanes.nn.F;
import dev.lanes.nn.Tensor;

/**
 * The activation modules ({@code torch.nn.ReLU}, {@code GELU}, ...), each a thin wrapper over the
 * functional form. Grouped in one file because each is three lines.
 */
public final class Activations {
    private Activations() {}

    /** {@code torch.nn.ReLU}. */
    public static final class ReLU extends Module {
        @Override
        public Tensor forward(Tensor x) {
            return x.relu();
        }
    }

    /** {@code torch.nn.GELU(approximate='none' | 'tanh')}. */
    public static final class GELU extends Module {
        private final String approximate;

        public GELU() {
            this("none");
        }

        public GELU(String approximate) {
            if (!approximate.equals("none") && !approximate.equals("tanh")) {
                throw new IllegalArgumentException("GELU: approximate must be 'none' or 'tanh', got '" + approximate + "'");
            }
            this.approximate = approximate;
        }

        /** {@code "none"} (the exact erf form) or {@code "tanh"}. */
        public String approximate() {
            return approximate;
        }

        @Override
        public Tensor forward(Tensor x) {
            return F.gelu(x, approximate);
        }

        @Override
        protected String extraRepr() {
            return "approximate='" + approximate + "'";
        }
    }

    /** {@code torch.nn.SiLU}. */
    public static final class SiLU extends Module {
        @Override
        public Tensor forward(Tensor x) {
            return x.silu();
        }
    }

    /** {@code torch.nn.Sigmoid}. */
    public static final class Sigmoid extends Module {
        @Override
        public Tensor forward(Tensor x) {
            return x.sigmoid();
        }
    }

    /** {@code torch.nn.Tanh}. */
    public static final class Tanh extends Module {
        @Override
        public Tensor forward(Tensor x) {
            return x.tanh();
        }
    }

    /** {@code torch.nn.LeakyReLU(negative_slope=0.01)}. */
    public static final class LeakyReLU extends Module {
        private final float slope;

        public LeakyReLU() {
            this(0.01f);
        }

        public LeakyReLU(float negativeSlope) {
            this.slope = negativeSlope;
        }

        public float negativeSlope() {
            return slope;
        }

        @Override
        public Tensor forward(Tensor x) {
            return x.leakyRelu(slope);
        }

        @Override
        protected String extraRepr() {
            return "negative_slope=" + slope;
        }
    }

    /** {@code torch.nn.ELU(alpha=1.0)}. */
    public static final class ELU extends Module {
        private final float alpha;

        public ELU() {
            this(1f);
        }

        public ELU(float alpha) {
            this.alpha = alpha;
        }

        public float alpha() {
            return alpha;
        }

        @Override
        public Tensor forward(Tensor x) {
            return x.elu(alpha);
        }

        @Override
        protected String extraRepr() {
            return "alpha=" + alpha;
        }
    }

    /** {@code torch.nn.Softplus(beta=1, threshold=20)}. */
    public static final class Softplus extends Module {
        private final float beta, threshold;

        public Softplus() {
            this(1f, 20f);
        }

        public Softplus(float beta, float threshold) {
            this.beta = beta;
            this.threshold = threshold;
        }

        public float beta() {
            return beta;
        }

        public float threshold() {
            return threshold;
        }

        @Override
        public Tensor forward(Tensor x) {
            return x.softplus(beta, threshold);
        }

        @Override
        protected String extraRepr() {
            return "beta=" + beta + ", threshold=" + threshold;
        }
    }

    /** {@code torch.nn.Softmax(dim)}. */
    public static final class Softmax extends Module {
        private final int dim;

        public Softmax(int dim) {
            this.dim = dim;
        }

        /** The dimension the softmax runs over, as given (may be negative). */
        public int dim() {
            return dim;
        }

        @Override
        public Tensor forward(Tensor x) {
            return x.softmax(dim);
        }

        @Override
        protected String extraRepr() {
            return "dim=" + dim;
        }
    }

    /** {@code torch.nn.LogSoftmax(dim)}. */
    public static final class LogSoftmax extends Module {
        private final int dim;

        public LogSoftmax(int dim) {
            this.dim = dim;
        }

        /** The dimension the log-softmax runs over, as given (may be negative). */
        public int dim() {
            return dim;
        }

        @Override
        public Tensor forward(Tensor x) {
            return x.logSoftmax(dim);
        }

        @Override
        protected String extraRepr() {
            return "dim=" + dim;
        }
    }

    /** {@code torch.nn.Identity}. */
    public static final class Identity extends Module {
        @Override
        public Tensor forward(Tensor x) {
            return x;
        }
    }
}
