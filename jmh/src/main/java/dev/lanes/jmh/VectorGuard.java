package dev.lanes.jmh;

import dev.lanes.kernels.Lanes;

/**
 * Stops a benchmark that would silently measure the scalar twins. The usual cause: a command-line
 * {@code -jvmArgsAppend} replaces the {@code @Fork} arguments, {@code --add-modules} included.
 */
public final class VectorGuard {
    private VectorGuard() {}

    /** Throws unless Lanes runs on the Vector API, or {@code -Dlanes.bench.allowScalar=true} asks to measure the twins. */
    public static void requireVectorized() {
        if (!Lanes.vectorized() && !Boolean.getBoolean("lanes.bench.allowScalar")) {
            throw new IllegalStateException(Lanes.describe() + ". The benchmark JVM needs "
                    + "--add-modules=jdk.incubator.vector; a -jvmArgsAppend on the JMH command line replaces the "
                    + "@Fork arguments, so repeat it there (or pass -Dlanes.bench.allowScalar=true to time the "
                    + "scalar twins on purpose).");
        }
    }
}
