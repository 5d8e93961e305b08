package dev.lanes.kernels.internal;

import dev.lanes.kernels.gemm.GemmBackend;
import dev.lanes.kernels.gemm.ScalarGemm;

/**
 * Chooses, once, whether kernels run on the Vector API or on their scalar twins (Lucene's pattern).
 *
 * <p>The Vector API implementation is created reflectively so that nothing in {@code jdk.incubator.vector}
 * is touched when the module is absent; callers hold the chosen backend in a {@code static final} field,
 * so their call sites see one implementation class and stay monomorphic.
 */
public final class KernelProvider {
    private static final String VECTOR_GEMM = "dev.lanes.kernels.gemm.VectorGemm";
    private static final KernelProvider INSTANCE = create();

    private final GemmBackend gemm;
    private final String fallbackReason;

    private KernelProvider(GemmBackend gemm, String fallbackReason) {
        this.gemm = gemm;
        this.fallbackReason = fallbackReason;
    }

    public static KernelProvider get() {
        return INSTANCE;
    }

    public GemmBackend gemm() {
        return gemm;
    }

    /** True when the kernels run on the Vector API. */
    public boolean vectorized() {
        return fallbackReason == null;
    }

    /** Why the scalar twins are in use, or null when they are not. */
    public String fallbackReason() {
        return fallbackReason;
    }

    private static KernelProvider create() {
        String reason = vectorUnavailableReason();
        if (reason == null) {
            try {
                GemmBackend vector = (GemmBackend) Class.forName(VECTOR_GEMM).getDeclaredConstructor().newInstance();
                return new KernelProvider(vector, null);
            } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                reason = "the Vector API failed to start (" + e + ")";
            }
        }
        System.getLogger("dev.lanes").log(System.Logger.Level.WARNING,
                "Lanes runs on its scalar kernels, several times slower, because " + reason
                        + ". To use SIMD, start the JVM with --add-modules jdk.incubator.vector (JDK 25+).");
        return new KernelProvider(new ScalarGemm(), reason);
    }

    /** Null when the Vector API can be used, else the reason in words. */
    private static String vectorUnavailableReason() {
        if (Boolean.getBoolean("lanes.scalar")) {
            return "the system property lanes.scalar=true asks for it";
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return "the module jdk.incubator.vector is not loaded";
        }
        String vmInfo = System.getProperty("java.vm.info", "");
        if (vmInfo.contains("interpreted mode")) {
            return "the JVM runs interpreted only (-Xint), where vector code is slower than scalar code";
        }
        if (vmInfo.contains("emulated-client")) {
            return "the C2 compiler is off (-XX:TieredStopAtLevel below 4), and only C2 compiles vector code";
        }
        return null;
    }
}
