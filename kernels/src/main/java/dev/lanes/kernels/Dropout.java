package dev.lanes.kernels;

import dev.lanes.kernels.internal.Checks;
import dev.lanes.kernels.internal.Chunks;
import dev.lanes.kernels.internal.KernelProvider;
import dev.lanes.kernels.ops.DropoutHash;
import dev.lanes.kernels.ops.ScalarDropout;
import dev.lanes.kernels.ops.VectorDropout;

/**
 * Inverted dropout, as {@code torch.nn.functional.dropout(x, p, training=True)}: each element is zeroed
 * with probability {@code p} and the others are scaled by {@code 1 / (1 - p)}; {@code p = 1} zeroes
 * everything and {@code p = 0} copies. Like PyTorch, which multiplies by a 0/1 mask, a dropped NaN or
 * infinity gives NaN.
 *
 * <p>The mask comes from a counter-based hash of {@code (seed, element index)} (see {@code DropoutHash}):
 * the same seed gives the same mask on any thread count, and {@link #backward} regenerates it rather than
 * storing it. Use a fresh seed for every forward call (the nn layer draws one from its generator). The
 * element index counts from the start of the span, so a mask is the same whatever the offsets.
 */
public final class Dropout {
    private static final boolean VECTOR = KernelProvider.get().vectorized();

    private Dropout() {}

    /** {@code y = x * mask / (1 - p)} with the mask of {@code seed}. */
    public static void forward(int n, float p, long seed, float[] x, int xOff, float[] y, int yOff) {
        apply("Dropout.forward", "x", "y", n, p, seed, x, xOff, y, yOff);
    }

    /** {@code dx = dy * mask / (1 - p)}, the same mask as the {@link #forward} call with this seed. */
    public static void backward(int n, float p, long seed, float[] dy, int dyOff, float[] dx, int dxOff) {
        apply("Dropout.backward", "dy", "dx", n, p, seed, dy, dyOff, dx, dxOff);
    }

    /** True when element {@code index} of a call with this seed and probability is kept. */
    public static boolean keeps(long seed, float p, int index) {
        Checks.inRange("Dropout.keeps", "p", p, 0, 1);
        return DropoutHash.uniform24(DropoutHash.key0(seed), DropoutHash.key1(seed), index) >= DropoutHash.threshold(p);
    }

    private static void apply(String routine, String inName, String outName, int n, float p, long seed,
                              float[] x, int xOff, float[] y, int yOff) {
        Checks.nonNegative(routine, "n", n);
        Checks.inRange(routine, "p", p, 0, 1);
        Checks.span(routine, inName, x, xOff, n);
        Checks.span(routine, outName, y, yOff, n);
        int key0 = DropoutHash.key0(seed), key1 = DropoutHash.key1(seed);
        int threshold = DropoutHash.threshold(p);
        float scale = p == 1f ? 0f : 1f / (1f - p);
        Chunks.elements(n, (from, to) -> {
            if (VECTOR) {
                VectorDropout.apply(to - from, from, key0, key1, threshold, scale, x, xOff + from, y, yOff + from);
            } else {
                ScalarDropout.apply(to - from, from, key0, key1, threshold, scale, x, xOff + from, y, yOff + from);
            }
        });
    }
}
