package dev.lanes.kernels.gemm;

/**
 * The blocking parameters of the packed GEMM, in one place (BLIS keeps one such table per CPU family).
 *
 * <ul>
 *   <li>{@code mr x nr}: the register tile of the micro-kernel. {@code nr} is two vectors of the preferred
 *       species; {@code mr} rows are chosen so the {@code 2 * mr} accumulators, two B vectors and one
 *       broadcast fit in the vector register file (16 registers on AVX2, 32 on AVX-512).</li>
 *   <li>{@code kc}: depth of one block. The {@code mr x kc} micro-panel of A stays in L1 while the
 *       micro-kernel sweeps the B block.</li>
 *   <li>{@code nc}: columns of B packed per block; the block ({@code kc * nc * 4} bytes) stays in L2, so
 *       it is sized to about half of L2.</li>
 * </ul>
 *
 * The measurements behind the defaults are in {@code docs/gemm.md}.
 */
public record GemmConfig(int mr, int kc, int nc) {
    /** Largest {@code mr} with a generated micro-kernel. */
    public static final int MAX_MR = 12;

    public GemmConfig {
        if (mr != 4 && mr != 6 && mr != 8 && mr != 12) {
            throw new IllegalArgumentException("no micro-kernel with mr = " + mr + " (have 4, 6, 8, 12)");
        }
        if (kc < 1 || nc < 1) {
            throw new IllegalArgumentException("bad blocking kc=" + kc + " nc=" + nc);
        }
    }

    /** The defaults for a vector of {@code lanes} floats, from measurements on AVX2 and AVX-512 machines. */
    public static GemmConfig forLanes(int lanes) {
        return switch (lanes) {
            case 16 -> new GemmConfig(8, 256, 512);   // AVX-512: 8 x 32 tile, 16 accumulators, 1 MB L2
            case 8 -> new GemmConfig(6, 256, 256);    // AVX2: 6 x 16 tile, 12 accumulators, 512 KB L2
            default -> new GemmConfig(4, 256, 256);   // 128-bit vectors and anything else
        };
    }
}
