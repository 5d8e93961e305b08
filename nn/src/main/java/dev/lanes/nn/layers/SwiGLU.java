package dev.lanes.nn.layers;

import dev.lanes.kernels.Activation;
import dev.lanes.nn.Generator;
import dev.lanes.nn.Tensor;

/**
 * The SwiGLU feed-forward block of Llama: {@code w2(silu(w1(x)) * w3(x))} with {@code w1}, {@code w3}
 * {@code (hidden, dim)} and {@code w2 (dim, hidden)}, named and ordered as in Meta's Llama code
 * ({@code w1}, {@code w2}, {@code w3}), so its weights load from a Llama {@code feed_forward}. The SiLU is
 * fused into {@code w1}'s GEMM. Weights have {@code nn.Linear}'s initialisation.
 */
public class SwiGLU extends Module {
    private final Linear w1, w2, w3;

    /** Without biases, as Llama. */
    public SwiGLU(int dim, int hidden) {
        this(dim, hidden, false, null);
    }

    public SwiGLU(int dim, int hidden, boolean bias, Generator generator) {
        if (dim <= 0 || hidden <= 0) {
            throw new IllegalArgumentException("SwiGLU: dim (" + dim + ") and hidden (" + hidden + ") must be > 0");
        }
        w1 = registerModule("w1", new Linear(dim, hidden, bias, Activation.SILU, generator));
        w2 = registerModule("w2", new Linear(hidden, dim, bias, Activation.IDENTITY, generator));
        w3 = registerModule("w3", new Linear(dim, hidden, bias, Activation.IDENTITY, generator));
    }

    @Override
    public Tensor forward(Tensor x) {
        return w2.forward(w1.forward(x).mul(w3.forward(x)));
    }
}
