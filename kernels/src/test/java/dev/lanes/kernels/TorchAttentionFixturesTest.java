package dev.lanes.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * {@code torch.nn.functional.scaled_dot_product_attention} (float32, CPU math backend) and its autograd
 * gradients ({@code fixtures/kernels/attention.txt}, from {@code scripts/fixtures/gen_attention_fixtures.py}):
 * equal lengths, an explicit scale, causal with {@code tq < tk} and {@code tq > tk} (top-left aligned), a
 * causal case spanning several tiles, a boolean key-padding mask per batch, and a shared float mask with
 * {@code -inf} entries and a query row that sees no key (PyTorch: zeros, zero gradients).
 *
 * <p>Tolerances: both sides compute in float with different summation orders and exponentials, so each
 * result is compared with {@code |got - want| <= 4e-6 * max(1, max|want|)} (about 32 ulp of the largest
 * value; the largest error measured, on every vector width and the scalar twin, is 5e-7 of it, in
 * causal_tiles' dk, a sum over 130 queries), and logsumexp with {@code 4e-6 * max(1, |want|)}.
 */
class TorchAttentionFixturesTest {
    private static final Fixtures F = TorchFixturesTest.load("attention.txt");
    private static final String[] CASES = {"basic", "scaled", "causal_short_q", "causal_long_q", "causal_tiles",
        "padding", "float_mask"};
    private static final int OFF = 7;
    private static final float SENTINEL = -7.0e30f;

    private static float[] placed(float[] x) {
        float[] a = new float[OFF + x.length + 3];
        Arrays.fill(a, 1e30f);
        System.arraycopy(x, 0, a, OFF, x.length);
        return a;
    }

    private static float[] output(int n) {
        float[] a = new float[OFF + n + 3];
        Arrays.fill(a, SENTINEL);
        return a;
    }

    private static void assertNear(String what, float[] want, float[] got, double tol, boolean perElement) {
        double scale = 1;
        for (float w : want) {
            if (Float.isFinite(w)) {
                scale = Math.max(scale, Math.abs(w));
            }
        }
        for (int i = 0; i < got.length; i++) {
            if (i < OFF || i >= OFF + want.length) {
                if (got[i] != SENTINEL) {
                    fail(what + ": wrote outside its span at " + i);
                }
                continue;
            }
            float w = want[i - OFF], g = got[i];
            if (Float.isInfinite(w)) {
                assertEquals(w, g, what + "[" + (i - OFF) + "]");
                continue;
            }
            double bound = tol * (perElement ? Math.max(1, Math.abs(w)) : scale);
            if (!(Math.abs((double) g - w) <= bound)) {
                fail(what + "[" + (i - OFF) + "] = " + g + ", want " + w + " (bound " + bound + ")");
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> matchesPyTorch() {
        return Stream.of(CASES).map(c -> DynamicTest.dynamicTest(c, () -> {
            int[] qs = F.get(c + "_q").shape(), ks = F.get(c + "_k").shape();
            int bh = qs[0], tq = qs[1], d = qs[2], tk = ks[1];
            float scale = F.scalar(c + "_scale");
            boolean causal = F.scalar(c + "_causal") != 0;
            float[] mask = null;
            int maskStride = 0;
            if (F.has(c + "_mask")) {
                mask = placed(F.floats(c + "_mask"));
                maskStride = F.scalar(c + "_maskshared") != 0 ? 0 : tq * tk;
            }
            float[] q = placed(F.floats(c + "_q")), k = placed(F.floats(c + "_k")), v = placed(F.floats(c + "_v"));
            float[] dOut = placed(F.floats(c + "_dout"));
            float[] out = output(bh * tq * d), lse = output(bh * tq);
            Attention.forward(bh, tq, tk, d, q, OFF, k, OFF, v, OFF, mask, OFF, maskStride, causal, scale,
                    out, OFF, lse, OFF);
            assertNear(c + " out", F.floats(c + "_out"), out, 4e-6, false);
            assertNear(c + " lse", F.floats(c + "_lse"), lse, 4e-6, true);
            float[] dq = output(bh * tq * d), dk = output(bh * tk * d), dv = output(bh * tk * d);
            Attention.backward(bh, tq, tk, d, q, OFF, k, OFF, v, OFF, mask, OFF, maskStride, causal, scale,
                    out, OFF, lse, OFF, dOut, OFF, dq, OFF, dk, OFF, dv, OFF);
            assertNear(c + " dq", F.floats(c + "_dq"), dq, 4e-6, false);
            assertNear(c + " dk", F.floats(c + "_dk"), dk, 4e-6, false);
            assertNear(c + " dv", F.floats(c + "_dv"), dv, 4e-6, false);
        }));
    }
}
