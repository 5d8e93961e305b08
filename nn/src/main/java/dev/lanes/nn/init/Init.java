package dev.lanes.nn.init;

import dev.lanes.nn.Generator;
import dev.lanes.nn.GradMode;
import dev.lanes.nn.Tensor;

/**
 * Weight initialisation with the definitions of {@code torch.nn.init}. Each fills a tensor in place (without
 * recording autograd) from {@code generator} and returns it. Fan-in and fan-out are PyTorch's: for a weight
 * of shape {@code (out, in, k1, k2, ...)}, {@code fan_in = in * k1 * k2 ...} and {@code fan_out = out * k1 * k2 ...}.
 */
public final class Init {
    private Init() {}

    public static Tensor uniform(Tensor t, float lo, float hi, Generator generator) {
        float[] v = new float[t.numel()];
        for (int i = 0; i < v.length; i++) {
            v[i] = generator.uniform(lo, hi);
        }
        return fill(t, v);
    }

    public static Tensor normal(Tensor t, float mean, float std, Generator generator) {
        float[] v = new float[t.numel()];
        for (int i = 0; i < v.length; i++) {
            v[i] = mean + std * generator.nextGaussian();
        }
        return fill(t, v);
    }

    public static Tensor constant(Tensor t, float value) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            t.fill_(value);
        }
        return t;
    }

    public static Tensor zeros(Tensor t) {
        return constant(t, 0f);
    }

    public static Tensor ones(Tensor t) {
        return constant(t, 1f);
    }

    /** Glorot: uniform in {@code +-gain * sqrt(6 / (fan_in + fan_out))}. */
    public static Tensor xavierUniform(Tensor t, float gain, Generator generator) {
        int[] fans = fans(t);
        float bound = (float) (gain * Math.sqrt(6.0 / (fans[0] + fans[1])));
        return uniform(t, -bound, bound, generator);
    }

    /** Glorot: normal with {@code std = gain * sqrt(2 / (fan_in + fan_out))}. */
    public static Tensor xavierNormal(Tensor t, float gain, Generator generator) {
        int[] fans = fans(t);
        return normal(t, 0f, (float) (gain * Math.sqrt(2.0 / (fans[0] + fans[1]))), generator);
    }

    /**
     * He: uniform in {@code +-gain * sqrt(3 / fan)}, with {@code gain = sqrt(2 / (1 + a^2))} for leaky ReLU
     * slope {@code a} ({@code nonlinearity='leaky_relu'}, PyTorch's default); {@code fanIn} chooses
     * {@code mode='fan_in'} (default) or {@code 'fan_out'}.
     */
    public static Tensor kaimingUniform(Tensor t, double a, boolean fanIn, Generator generator) {
        int[] fans = fans(t);
        double gain = Math.sqrt(2.0 / (1 + a * a));
        float bound = (float) (gain * Math.sqrt(3.0 / (fanIn ? fans[0] : fans[1])));
        return uniform(t, -bound, bound, generator);
    }

    /** He: normal with {@code std = gain / sqrt(fan)}, gain as in {@link #kaimingUniform}. */
    public static Tensor kaimingNormal(Tensor t, double a, boolean fanIn, Generator generator) {
        int[] fans = fans(t);
        double gain = Math.sqrt(2.0 / (1 + a * a));
        return normal(t, 0f, (float) (gain / Math.sqrt(fanIn ? fans[0] : fans[1])), generator);
    }

    /** {@code [fan_in, fan_out]} of a weight of at least two dimensions. */
    public static int[] fans(Tensor t) {
        int[] s = t.shape();
        if (s.length < 2) {
            throw new IllegalArgumentException("fan in and fan out can not be computed for a tensor with fewer than 2 dimensions, "
                    + "shape " + java.util.Arrays.toString(s));
        }
        int receptive = 1;
        for (int d = 2; d < s.length; d++) {
            receptive *= s[d];
        }
        return new int[] {s[1] * receptive, s[0] * receptive};
    }

    private static Tensor fill(Tensor t, float[] values) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            t.copy_(Tensor.wrap(values, t.shape()));
        }
        return t;
    }
}
