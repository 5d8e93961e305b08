package dev.lanes.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.Random;

/** Shared helpers for the kernel tests: awkward sizes, random spans at offsets, tolerant comparisons. */
public final class KernelTesting {
    /**
     * Sizes that exercise empty spans, tails shorter than any vector, exact multiples of 4, 8 and 16 lanes,
     * and (70001) the split into parallel chunks.
     */
    public static final int[] SIZES = {0, 1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 64, 100, 1000, 4097, 70001};

    /** Offsets used in front of every operand. */
    public static final int OFFSET = 5;

    private KernelTesting() {}

    /** {@code OFFSET + n + 3} floats: garbage around {@code n} uniform values in [lo, hi) at {@code OFFSET}. */
    public static float[] span(Random random, int n, float lo, float hi) {
        float[] a = new float[OFFSET + n + 3];
        for (int i = 0; i < a.length; i++) {
            a[i] = i >= OFFSET && i < OFFSET + n ? lo + (hi - lo) * random.nextFloat() : 1e30f;
        }
        return a;
    }

    /** An output buffer of the same layout as {@link #span}, filled with a sentinel. */
    public static float[] output(int n) {
        float[] a = new float[OFFSET + n + 3];
        Arrays.fill(a, -7.5e29f);
        return a;
    }

    /**
     * Asserts {@code |got - want| <= abs + rel * |want|} element-wise over {@code n} values at
     * {@code OFFSET} (NaN must match NaN), and that the padding around them is untouched.
     */
    public static void assertClose(String what, float[] want, float[] got, int n, double rel, double abs) {
        for (int i = 0; i < got.length; i++) {
            if (i < OFFSET || i >= OFFSET + n) {
                if (got[i] != -7.5e29f && got[i] != 1e30f) {
                    fail(what + ": wrote outside its span at index " + i);
                }
                continue;
            }
            float w = want[i], g = got[i];
            if (Float.isNaN(w) || Float.isNaN(g)) {
                if (!(Float.isNaN(w) && Float.isNaN(g))) {
                    fail(what + "[" + (i - OFFSET) + "] = " + g + ", want " + w);
                }
                continue;
            }
            if (Float.isInfinite(w) || Float.isInfinite(g)) {
                assertEquals(w, g, what + "[" + (i - OFFSET) + "]");
                continue;
            }
            double err = Math.abs((double) g - w);
            if (err > abs + rel * Math.abs(w)) {
                fail(what + "[" + (i - OFFSET) + "] of " + n + " = " + g + ", want " + w + " (error " + err + ")");
            }
        }
    }

    /** Asserts the two arrays hold the same bits. */
    public static void assertSameBits(String what, float[] want, float[] got) {
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                fail(what + ": differs at index " + i + ": " + got[i] + " vs " + want[i]);
            }
        }
    }

    /** Runs {@code body} with the Lanes pool set to {@code threads}, restoring the previous count. */
    public static void withThreads(int threads, Runnable body) {
        int before = Threads.count();
        Threads.setCount(threads);
        try {
            body.run();
        } finally {
            Threads.setCount(before);
        }
    }
    /**
     * The bytes one call of {@code call} allocates on this thread once warm: rounds of {@code calls} calls
     * until a round stays under {@code bound} bytes a call or {@code seconds} have passed (C2 can take seconds
     * to compile every path when the build keeps both cores busy; a kernel that allocates or boxes stays above
     * the bound in every round). Skips the test (an assumption) on the scalar twins or without per-thread
     * allocation counts. Through reflection: the kernels module does not read java.management.
     */
    public static long warmAllocationPerCall(Runnable call, int calls, long bound, int seconds) {
        try {
            Object mx = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
            Class<?> bean = Class.forName("com.sun.management.ThreadMXBean");
            org.junit.jupiter.api.Assumptions.assumeTrue(
                    dev.lanes.kernels.internal.KernelProvider.get().vectorized() && bean.isInstance(mx)
                            && (boolean) bean.getMethod("isThreadAllocatedMemoryEnabled").invoke(mx),
                    "vector kernels and per-thread allocation counts");
            java.lang.reflect.Method allocated = bean.getMethod("getThreadAllocatedBytes", long.class);
            long thread = Thread.currentThread().threadId();
            long perCall = Long.MAX_VALUE;
            long deadline = System.nanoTime() + seconds * 1_000_000_000L;
            while (perCall >= bound && System.nanoTime() < deadline) {
                long before = (long) allocated.invoke(mx, thread);
                for (int i = 0; i < calls; i++) {
                    call.run();
                }
                perCall = ((long) allocated.invoke(mx, thread) - before) / calls;
            }
            return perCall;
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }
}
