package dev.lanes.kernels.gemm;

/**
 * The blocking parameters of the packed GEMM, in one place (BLIS keeps one such table per CPU family).
 *
 * <ul>
 *   <li>{@code mr x nr}: the register tile of the micro-kernel. {@code nr} is two vectors of the preferred
 *       species; {@code mr} rows are chosen so the {@code 2 * mr} accumulators, two B vectors and one
 *       broadcast fit in the vector register file without spilling (16 registers on AVX2, 32 on AVX-512).</li>
 *   <li>{@code kc}: depth of one packed panel. A {@code kc x nr} micro-panel of B stays in L1 while the
 *       micro-kernel walks down the {@code mc x kc} block of A.</li>
 *   <li>{@code mc}: rows of A packed per block; the block ({@code mc * kc * 4} bytes) stays in L2.</li>
 *   <li>{@code nc}: columns of B packed per panel; the panel ({@code kc * nc * 4} bytes) is shared by all
 *       threads and lives in L3.</li>
 * </ul>
 *
 * The figures behind the defaults are in {@code docs/gemm.md}.
 */
public record GemmConfig(int mr, int nrVectors, int kc, int mc, int nc) {

    public GemmConfig {
        if (mr != 4 && mr != 6 && mr != 8 && mr != 12) {
            throw new IllegalArgumentException("no micro-kernel with mr = " + mr + " (have 4, 6, 8, 12)");
        }
        if (nrVectors != 2) {
            throw new IllegalArgumentException("micro-kernels are two vectors wide, got " + nrVectors);
        }
        if (kc < 1 || mc < mr || mc % mr != 0 || nc < 1) {
            throw new IllegalArgumentException("bad blocking kc=" + kc + " mc=" + mc + " nc=" + nc + " for mr=" + mr);
        }
    }

    /** The defaults for a vector of {@code lanes} floats, from measurements on AVX2 and AVX-512 machines. */
    public static GemmConfig forLanes(int lanes) {
        return switch (lanes) {
            case 16 -> new GemmConfig(8, 2, 256, 128, 4096);  // AVX-512: 8 x 32 tile, 16 accumulators
            case 8 -> new GemmConfig(4, 2, 256, 96, 4096);    // AVX2: 4 x 16 tile, 8 accumulators
            default -> new GemmConfig(4, 2, 256, 64, 2048);   // 128-bit vectors and anything else
        };
    }
}
