/**
 * Lanes kernels: BLAS-style SIMD kernels over {@code float[]} written with the JDK Vector API.
 *
 * <p>The Vector API module is optional ({@code requires static}): without
 * {@code --add-modules jdk.incubator.vector} every kernel runs on its scalar twin and one line is logged.
 */
module dev.lanes.kernels {
    requires static jdk.incubator.vector;

    exports dev.lanes.kernels;
}
