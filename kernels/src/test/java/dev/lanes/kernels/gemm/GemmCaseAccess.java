package dev.lanes.kernels.gemm;

import dev.lanes.kernels.Activation;
import dev.lanes.kernels.Gemm;
import java.util.SplittableRandom;

/** Lets tests of the public {@link Gemm} reuse {@link GemmCase}'s operands and reference. */
public final class GemmCaseAccess {
    private GemmCaseAccess() {}

    /** Runs one random case through {@link Gemm#sgemm} (or {@link Gemm#sgemmFused}) and checks it. */
    public static void checkFront(SplittableRandom random, boolean transA, boolean transB, int m, int n, int k,
                                  float alpha, float beta, boolean fused, Activation act) {
        int biasOff = fused ? random.nextInt(3) : 0;
        float[] bias = fused ? GemmCase.filled(random, Math.max(n, 1) + biasOff) : null;
        // Unpadded operands (leading dimension = row length, no offsets) reach the contiguous fast paths.
        GemmCase gemm = new GemmCase(random, transA, transB, m, n, k, alpha, beta, random.nextBoolean(), bias,
                biasOff, fused ? act : Activation.IDENTITY);
        float[] out = gemm.c.clone();
        if (fused) {
            Gemm.sgemmFused(transA, transB, m, n, k, alpha, gemm.a, gemm.aOff, gemm.lda, gemm.b, gemm.bOff,
                    gemm.ldb, beta, out, gemm.cOff, gemm.ldc, bias, biasOff, act);
        } else {
            Gemm.sgemm(transA, transB, m, n, k, alpha, gemm.a, gemm.aOff, gemm.lda, gemm.b, gemm.bOff,
                    gemm.ldb, beta, out, gemm.cOff, gemm.ldc);
        }
        gemm.assertMatchesReference(out, "Gemm via " + Gemm.implementation());
    }
}
