package dev.lanes.nn.layers;

import dev.lanes.nn.Tensor;
import java.util.Arrays;

/**
 * Additive float attention masks, the form Lanes' attention takes: {@code 0} lets a key take part,
 * {@code -inf} hides it. PyTorch also accepts boolean masks, with two opposite conventions:
 * {@code nn.MultiheadAttention} and the Transformer layers read {@code True} as <em>not allowed</em>,
 * {@code F.scaled_dot_product_attention} reads {@code True} as <em>allowed</em>. Lanes tensors are float, so
 * the helpers below turn either kind of boolean mask into the additive one.
 */
public final class AttentionMasks {
    private AttentionMasks() {}

    /**
     * {@code nn.Transformer.generate_square_subsequent_mask(size)}: a {@code (size, size)} causal mask,
     * {@code -inf} above the diagonal (position {@code i} sees {@code 0..i}), {@code 0} elsewhere.
     */
    public static Tensor squareSubsequentMask(int size) {
        return causal(size, size);
    }

    /** The top-left causal mask {@code (l, s)} of {@code is_causal=True}: query {@code i} sees keys {@code 0..i}. */
    public static Tensor causal(int l, int s) {
        if (l < 0 || s < 0) {
            throw new IllegalArgumentException("AttentionMasks.causal: sizes must be >= 0, got l = " + l + ", s = " + s);
        }
        float[] m = new float[l * s];
        for (int i = 0; i < l; i++) {
            for (int j = i + 1; j < s; j++) {
                m[i * s + j] = Float.NEGATIVE_INFINITY;
            }
        }
        return Tensor.wrap(m, l, s);
    }

    /**
     * A boolean mask in {@code nn.MultiheadAttention}'s convention ({@code true} = the key is NOT allowed,
     * e.g. padding) as an additive mask of the given shape: {@code true} becomes {@code -inf}, {@code false} 0.
     */
    public static Tensor fromNotAllowed(boolean[] notAllowed, int... shape) {
        return fromBooleans("fromNotAllowed", notAllowed, true, shape);
    }

    /**
     * A boolean mask in {@code F.scaled_dot_product_attention}'s convention ({@code true} = allowed) as an
     * additive mask of the given shape: {@code false} becomes {@code -inf}, {@code true} 0.
     */
    public static Tensor fromAllowed(boolean[] allowed, int... shape) {
        return fromBooleans("fromAllowed", allowed, false, shape);
    }

    /**
     * A 0/1 tensor in {@code nn.MultiheadAttention}'s convention (1 = not allowed, as PyTorch's
     * {@code True}) as an additive mask: 1 becomes {@code -inf}, 0 stays 0. Other values are refused.
     */
    public static Tensor fromNotAllowed(Tensor zeroOne) {
        float[] v = zeroOne.toArray();
        boolean[] b = new boolean[v.length];
        for (int i = 0; i < v.length; i++) {
            if (v[i] != 0f && v[i] != 1f) {
                throw new IllegalArgumentException("AttentionMasks.fromNotAllowed: a 0/1 mask was expected, element " + i
                        + " of the mask of shape " + Arrays.toString(zeroOne.shape()) + " is " + v[i]);
            }
            b[i] = v[i] == 1f;
        }
        return fromBooleans("fromNotAllowed", b, true, zeroOne.shape());
    }

    /**
     * A key padding mask {@code (N, maxLen)} for sequences of the given lengths: key {@code j} of sequence
     * {@code n} is hidden ({@code -inf}) when {@code j >= lengths[n]}.
     */
    public static Tensor keyPadding(int[] lengths, int maxLen) {
        float[] m = new float[lengths.length * maxLen];
        for (int n = 0; n < lengths.length; n++) {
            if (lengths[n] < 0 || lengths[n] > maxLen) {
                throw new IllegalArgumentException("AttentionMasks.keyPadding: lengths[" + n + "] = " + lengths[n]
                        + " is not within 0.." + maxLen);
            }
            Arrays.fill(m, n * maxLen + lengths[n], (n + 1) * maxLen, Float.NEGATIVE_INFINITY);
        }
        return Tensor.wrap(m, lengths.length, maxLen);
    }

    private static Tensor fromBooleans(String op, boolean[] mask, boolean hideWhen, int[] shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        if (n != mask.length) {
            throw new IllegalArgumentException("AttentionMasks." + op + ": " + mask.length + " values do not fill shape "
                    + Arrays.toString(shape));
        }
        float[] m = new float[mask.length];
        for (int i = 0; i < m.length; i++) {
            m[i] = mask[i] == hideWhen ? Float.NEGATIVE_INFINITY : 0f;
        }
        return Tensor.wrap(m, shape);
    }
}
