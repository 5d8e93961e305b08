package dev.lanes.jmh.nn;

import dev.lanes.jmh.VectorGuard;
import dev.lanes.jmh.Work;
import dev.lanes.kernels.Lanes;
import dev.lanes.kernels.Threads;
import dev.lanes.nn.ConvOps;
import dev.lanes.nn.Generator;
import dev.lanes.nn.GradMode;
import dev.lanes.nn.Tensor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link ConvOps#conv2d} (im2col + GEMM) on the MNIST CNN's convolutions at batch 64, 3x3 kernels with
 * padding 1: {@code 1x32@28} is {@code Conv2d(1, 32, 3, padding=1)} on 28x28 (the first layer; its input,
 * the image, needs no gradient), {@code 32x64@14} is {@code Conv2d(32, 64, 3, padding=1)} on 14x14 (the
 * second, after a 2x2 max pool; its input needs a gradient), {@code 32x64@28} the second layer's weights on
 * 28x28. {@code forward} runs in a no-grad scope; {@code forwardBackward} records the graph and
 * back-propagates a fixed upstream gradient into the weight, the bias and (for inner layers) the input.
 * GFLOP/s of the forward = {@code 2 N C_out C_in 9 H W / time}; the backward is twice that (once without
 * the input gradient).
 *
 * <p>The heap is fixed and pre-touched: every call allocates its output (6-13 MB here) and on this VM the
 * first touch of a fresh heap page is so slow that, without it, iterations that happened not to run a GC
 * took 10-30x longer than the others (23 ms instead of 1.1 ms for {@code 1x32@28} forward).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC", "-Xms2g", "-Xmx2g",
        "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public class ConvBenchmark {
    static final int BATCH = 64;

    /** {@code CinxCout@HW}. */
    @Param({"1x32@28", "32x64@14", "32x64@28"})
    public String layer;

    @Param({"1", "2"})
    public int threads;

    private Tensor x, weight, bias, upstream;
    /** GFLOP of one forward call, and of one forward + backward call (the backward is two GEMMs, or one). */
    private double forwardGflop, stepGflop;
    private float[] xData, wData, bData;
    private final int[] stride = {1}, padding = {1}, dilation = {1};

    @Setup(Level.Trial)
    public void setUp() {
        VectorGuard.requireVectorized();
        Threads.setCount(threads);
        System.out.println();
        System.out.println(Lanes.describe());
        String[] parts = layer.split("[x@]");
        int cin = Integer.parseInt(parts[0]), cout = Integer.parseInt(parts[1]), hw = Integer.parseInt(parts[2]);
        Generator g = new Generator(3);
        x = Tensor.rand(g, BATCH, cin, hw, hw).requiresGrad(cin > 1);
        float bound = (float) (1 / Math.sqrt(cin * 9.0));
        weight = Tensor.rand(g, cout, cin, 3, 3).mul(2 * bound).sub(bound).requiresGrad(true);
        bias = Tensor.rand(g, cout).mul(2 * bound).sub(bound).requiresGrad(true);
        upstream = Tensor.randn(g, BATCH, cout, hw, hw);
        forwardGflop = 2.0 * BATCH * cout * cin * 9 * hw * hw / 1e9;
        stepGflop = forwardGflop * (cin > 1 ? 3 : 2);
        xData = x.toArray();
        wData = weight.toArray();
        bData = bias.toArray();
        // The direct variant computes the same convolution.
        float[] want;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            want = conv().toArray();
        }
        float[] got = direct();
        for (int i = 0; i < want.length; i++) {
            if (Math.abs(want[i] - got[i]) > 1e-4f * (1 + Math.abs(want[i]))) {
                throw new IllegalStateException("directForward differs from ConvOps.conv2d at " + i + ": " + got[i]
                        + " vs " + want[i]);
            }
        }
    }

    @Benchmark
    public Tensor forward(Work.Flop work) {
        work.gflop += forwardGflop;
        return conv();
    }

    private Tensor conv() {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return ConvOps.conv2d(x, weight, bias, stride, padding, dilation, 1);
        }
    }

    /**
     * A direct convolution for comparison (forward only, 3x3, stride 1, padding 1): per sample, each input
     * plane is copied once into a zero-padded plane of width {@code W + 2}; each output plane is then 9
     * shifted multiply-adds over that width (one long loop per tap, which C2 vectorises), compacted to
     * {@code W} columns with the bias. Same threads as the Lanes call: samples are split over the pool.
     */
    @Benchmark
    public float[] directForward(Work.Flop work) {
        work.gflop += forwardGflop;
        return direct();
    }

    private float[] direct() {
        int n = x.size(0), cin = x.size(1), cout = weight.size(0), h = x.size(2), w = x.size(3);
        int wp = w + 2, hp = h + 2, span = h * wp;
        float[] xv = xData, wv = wData, bv = bData;
        float[] out = new float[n * cout * h * w];
        Threads.parallelFor(n, s -> {
            float[] padded = new float[cin * hp * wp];
            float[] acc = new float[span];
            for (int c = 0; c < cin; c++) {
                for (int r = 0; r < h; r++) {
                    System.arraycopy(xv, ((s * cin + c) * h + r) * w, padded, c * hp * wp + (r + 1) * wp + 1, w);
                }
            }
            for (int co = 0; co < cout; co++) {
                java.util.Arrays.fill(acc, 0f);
                for (int c = 0; c < cin; c++) {
                    for (int t = 0; t < 9; t++) {
                        float k = wv[(co * cin + c) * 9 + t];
                        int off = c * hp * wp + (t / 3) * wp + t % 3;
                        for (int i = 0; i < span - 2; i++) {
                            acc[i] += k * padded[off + i];
                        }
                    }
                }
                int o = (s * cout + co) * h * w;
                float b = bv[co];
                for (int r = 0; r < h; r++) {
                    for (int q = 0; q < w; q++) {
                        out[o + r * w + q] = acc[r * wp + q] + b;
                    }
                }
            }
        });
        return out;
    }

    @Benchmark
    public Tensor forwardBackward(Work.Flop work) {
        work.gflop += stepGflop;
        x.zeroGrad();
        weight.zeroGrad();
        bias.zeroGrad();
        Tensor y = ConvOps.conv2d(x, weight, bias, stride, padding, dilation, 1);
        y.backward(upstream);
        return weight.grad();
    }
}
