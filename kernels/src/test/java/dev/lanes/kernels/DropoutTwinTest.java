package dev.lanes.kernels;

import static dev.lanes.kernels.KernelTesting.OFFSET;
import static dev.lanes.kernels.KernelTesting.SIZES;
import static dev.lanes.kernels.KernelTesting.output;
import static dev.lanes.kernels.KernelTesting.span;

import dev.lanes.kernels.ops.DropoutHash;
import dev.lanes.kernels.ops.ScalarDropout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Dropout's vectorized mask is the same integer hash as its scalar twin, so the results are the same bits. */
class DropoutTwinTest {
    @Test
    void vectorMaskEqualsScalarMask() {
        Random random = new Random(17);
        for (float p : new float[] {0f, 0.1f, 0.5f, 0.9f, 1f}) {
            for (int n : SIZES) {
                long seed = random.nextLong();
                float[] x = span(random, n, -3f, 3f);
                float[] want = output(n), got = output(n);
                ScalarDropout.apply(n, 0, DropoutHash.key0(seed), DropoutHash.key1(seed), DropoutHash.threshold(p),
                        p == 1f ? 0f : 1f / (1f - p), x, OFFSET, want, OFFSET);
                Dropout.forward(n, p, seed, x, OFFSET, got, OFFSET);
                KernelTesting.assertSameBits("dropout p=" + p + " n=" + n, want, got);
            }
        }
    }
}
