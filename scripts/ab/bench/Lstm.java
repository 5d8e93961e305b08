import dev.lanes.kernels.Threads;
import dev.lanes.nn.Generator;
import dev.lanes.nn.GradMode;
import dev.lanes.nn.Tensor;
import dev.lanes.nn.layers.LSTM;

/**
 * One round for scripts/ab/AB.java: LstmBenchmark's workload (LSTM(64 -> 256), 100 steps, batch 32), the median
 * of 9 calls in ms, forward + backward and no-grad forward, on 1 and 2 threads.
 */
public class Lstm {
    static LSTM lstm;
    static Tensor input, upstream;

    public static String names() {
        return "fwd+bwd/1T fwd/1T fwd+bwd/2T fwd/2T (ms)";
    }

    public static double[] once() {
        if (lstm == null) {
            Generator g = new Generator(1);
            lstm = new LSTM(64, 256, 1, true, false, 0f, false, g);
            input = Tensor.randn(g, 100, 32, 64);
            upstream = Tensor.randn(g, 100, 32, 256);
        }
        double[] out = new double[4];
        for (int threads = 1; threads <= 2; threads++) {
            Threads.setCount(threads);
            for (int noGrad = 0; noGrad < 2; noGrad++) {
                double[] ms = new double[9];
                for (int i = 0; i < ms.length; i++) {
                    long t0 = System.nanoTime();
                    if (noGrad == 1) {
                        try (GradMode.Scope ignored = GradMode.noGrad()) {
                            lstm.forward(input);
                        }
                    } else {
                        lstm.zeroGrad();
                        lstm.forward(input).backward(upstream);
                    }
                    ms[i] = (System.nanoTime() - t0) / 1e6;
                }
                java.util.Arrays.sort(ms);
                out[(threads - 1) * 2 + noGrad] = ms[4];
            }
        }
        return out;
    }
}
