package dev.lanes.kernels.gemm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The in-register transposes, element by element, at the vector length this JVM runs (8 or 16 lanes). */
class TransposeKernelsTest {
    @Test
    void transposesOneBlockWithOffsetsAndStrides() {
        assumeTrue(TransposeKernels.SUPPORTED, "no transpose for " + TransposeKernels.V + " lanes");
        int v = TransposeKernels.V, nr = TransposeKernels.NR, ldb = 3 * v + 5, src = 7, d = 3;
        float[] b = new float[src + v * ldb];
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) random.nextDouble();
        }
        float[] dst = new float[d + v * nr];
        if (v == 16) {
            TransposeKernels.transpose16(b, src, ldb, dst, d);
        } else {
            TransposeKernels.transpose8(b, src, ldb, dst, d);
        }
        for (int q = 0; q < v; q++) {
            for (int j = 0; j < v; j++) {
                assertEquals(b[src + j * ldb + q], dst[d + q * nr + j], "step " + q + ", row " + j);
            }
            for (int j = v; j < nr && d + q * nr + j < dst.length; j++) {
                assertEquals(0f, dst[d + q * nr + j], "wrote past the block at step " + q);
            }
        }
    }
}
