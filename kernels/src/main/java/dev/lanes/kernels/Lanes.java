package dev.lanes.kernels;

import dev.lanes.kernels.internal.KernelProvider;

/** What Lanes detected about this JVM and machine, for logs, demos and benchmark reports. */
public final class Lanes {
    private Lanes() {}

    /** True when kernels run on the Vector API, false when they run on their scalar twins. */
    public static boolean vectorized() {
        return KernelProvider.get().vectorized();
    }

    /**
     * The width of the vectors the kernels use, in bits (512 with AVX-512, 256 with AVX2, 128 with NEON or
     * SSE), or 0 when they run on the scalar twins.
     */
    public static int vectorBitSize() {
        // VectorMath is touched only when the Vector API module is present, so this is safe without it.
        return vectorized() ? dev.lanes.kernels.internal.VectorMath.S.vectorBitSize() : 0;
    }

    /**
     * Whether the CPU does fused multiply-add, which the kernels' {@code fma} lanewise operations need to be one
     * instruction: "FMA" or "no FMA" from the CPU flags Linux reports ({@code fma} on x86; every 64-bit ARM
     * core has it), or "" when this cannot be told (another OS).
     */
    public static String fma() {
        String arch = System.getProperty("os.arch");
        if (arch.equals("aarch64")) {
            return "FMA";
        }
        try (var lines = java.nio.file.Files.lines(java.nio.file.Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("flags")).findFirst()
                    .map(l -> java.util.Arrays.asList(l.substring(l.indexOf(':') + 1).trim().split("\\s+")).contains("fma")
                            ? "FMA" : "no FMA")
                    .orElse("");
        } catch (java.io.IOException | RuntimeException e) {
            return "";
        }
    }

    /**
     * One line such as {@code "Lanes: vector (512-bit, 16 floats per vector, micro-kernel 8x32), FMA, 2
     * threads, JDK 25.0.3 (Eclipse Adoptium), Linux amd64, 2 processors"}; when on the scalar twins, it says
     * why.
     */
    public static String describe() {
        KernelProvider provider = KernelProvider.get();
        String kernels = provider.vectorized()
                ? Gemm.implementation()
                : "scalar kernels (" + provider.fallbackReason() + ")";
        String fma = fma();
        return "Lanes: " + kernels + (fma.isEmpty() ? "" : ", " + fma) + ", " + Threads.count() + " thread" + (Threads.count() == 1 ? "" : "s")
                + ", JDK " + Runtime.version() + " (" + System.getProperty("java.vendor") + "), "
                + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", "
                + Runtime.getRuntime().availableProcessors() + " processors";
    }
}
