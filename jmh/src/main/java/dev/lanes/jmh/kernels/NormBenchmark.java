package dev.lanes.jmh.kernels;

import dev.lanes.jmh.Work;
import dev.lanes.kernels.Norms;
import java.util.Arrays;
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
 * Normalization layers ({@link Norms}), forward and backward: LayerNorm and RMSNorm over each row of the
 * {@code rows x cols} block (with gamma, and beta for LayerNorm, eps 1e-5), and BatchNorm in training mode
 * with the block read as {@code N = rows} samples of {@code C = cols} channels, spatial 1 ({@code BatchNorm1d}
 * on {@code (N, C)}; momentum 0.1, running statistics updated). Next to plain scalar loops of the forwards
 * (one thread; two passes per row for the statistics, as Lanes; three passes over the block for BatchNorm).
 *
 * <p>Bytes per element by contract (the {@link dev.lanes.jmh.Work.Bytes} counter of each method, GB/s): forward 8 (read
 * x, write y), backward 12 (read x and dy, write dx); the per-row or per-channel statistics and parameters are not
 * counted. BatchNorm's statistics are over columns, so an implementation that cannot keep the block in cache reads x
 * twice (forward) or x and dy twice (backward).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class NormBenchmark {
    static final float EPS = 1e-5f;
    static final float MOMENTUM = 0.1f;

    /**
     * Input, output, dy, dx; gamma and beta (cols); row statistics (rows) of the LayerNorm and RMSNorm forwards,
     * channel statistics and running statistics (cols) of BatchNorm; parameter gradients (cols).
     */
    public static class Operands {
        int rows, cols, n;
        float[] x, y, dy, dx, gamma, beta, dgamma, dbeta;
        float[] rowMean, rowRstd, rmsRstd;
        float[] saveMean, saveRstd, runningMean, runningVar;

        void allocate(String shape) {
            KernelShape s = new KernelShape(shape);
            rows = s.rows;
            cols = s.cols;
            n = s.n;
            x = s.gaussian(1);
            dy = s.gaussian(2);
            y = new float[n];
            dx = new float[n];
            gamma = KernelShape.uniform(3, cols, 0.5, 1.5);
            beta = KernelShape.gaussian(4, cols, 0.1);
            dgamma = new float[cols];
            dbeta = new float[cols];
            rowMean = new float[rows];
            rowRstd = new float[rows];
            rmsRstd = new float[rows];
            saveMean = new float[cols];
            saveRstd = new float[cols];
            runningMean = new float[cols];
            runningVar = new float[cols];
            Arrays.fill(runningVar, 1f);
            // The saved statistics the backward passes read, from the kernels' own forwards.
            Norms.layerNorm(rows, cols, x, 0, gamma, 0, beta, 0, EPS, y, 0, rowMean, 0, rowRstd, 0);
            Norms.rmsNorm(rows, cols, x, 0, gamma, 0, EPS, y, 0, rmsRstd, 0);
            Norms.batchNormTraining(rows, cols, 1, x, 0, gamma, 0, beta, 0, EPS, MOMENTUM, runningMean, 0,
                    runningVar, 0, y, 0, saveMean, 0, saveRstd, 0);
        }
    }

    @State(Scope.Benchmark)
    public static class LanesState extends Operands {
        @Param({KernelShape.DRAM, KernelShape.CACHE})
        public String shape;

        @Param({"1", "2"})
        public int threads;

        @Setup(Level.Trial)
        public void setUp() {
            KernelShape.setUpLanes(threads);
            allocate(shape);
        }
    }

    @State(Scope.Benchmark)
    public static class LibraryState extends Operands {
        @Param({KernelShape.DRAM, KernelShape.CACHE})
        public String shape;

        @Param({"1", "2"})
        public int threads;

        /** {@code lanes} or {@code java-loop} (one thread only, so not in the default list). */
        @Param({"lanes"})
        public String library;

        boolean loop;

        float[] channelSum, channelSq;

        @Setup(Level.Trial)
        public void setUp() {
            loop = KernelShape.setUpLibrary("NormBenchmark", library, threads);
            allocate(shape);
            channelSum = new float[cols];
            channelSq = new float[cols];
        }
    }

    // ---- LayerNorm

    @Benchmark
    public float[] layerNormForward(LibraryState s, Work.Bytes work) {
        work.gbyte += 8e-9 * s.rows * s.cols;
        if (s.loop) {
            return layerNormForwardLoop(s);
        }
        Norms.layerNorm(s.rows, s.cols, s.x, 0, s.gamma, 0, s.beta, 0, EPS, s.y, 0, s.rowMean, 0, s.rowRstd, 0);
        return s.y;
    }

    @Benchmark
    public float[] layerNormBackward(LanesState s, Work.Bytes work) {
        work.gbyte += 12e-9 * s.rows * s.cols;
        Norms.layerNormBackward(s.rows, s.cols, s.x, 0, s.gamma, 0, s.rowMean, 0, s.rowRstd, 0, s.dy, 0,
                s.dx, 0, s.dgamma, 0, s.dbeta, 0);
        return s.dx;
    }

    private static float[] layerNormForwardLoop(LibraryState s) {
        float[] x = s.x, y = s.y, gamma = s.gamma, beta = s.beta, means = s.rowMean, rstds = s.rowRstd;
        int rows = s.rows, cols = s.cols;
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            float sum = 0f;
            for (int c = 0; c < cols; c++) {
                sum += x[o + c];
            }
            float mean = sum / cols;
            float sq = 0f;
            for (int c = 0; c < cols; c++) {
                float d = x[o + c] - mean;
                sq += d * d;
            }
            float rstd = (float) (1 / Math.sqrt(sq / cols + EPS));
            for (int c = 0; c < cols; c++) {
                y[o + c] = (x[o + c] - mean) * rstd * gamma[c] + beta[c];
            }
            means[r] = mean;
            rstds[r] = rstd;
        }
        return y;
    }

    // ---- RMSNorm

    @Benchmark
    public float[] rmsNormForward(LibraryState s, Work.Bytes work) {
        work.gbyte += 8e-9 * s.rows * s.cols;
        if (s.loop) {
            return rmsNormForwardLoop(s);
        }
        Norms.rmsNorm(s.rows, s.cols, s.x, 0, s.gamma, 0, EPS, s.y, 0, s.rmsRstd, 0);
        return s.y;
    }

    @Benchmark
    public float[] rmsNormBackward(LanesState s, Work.Bytes work) {
        work.gbyte += 12e-9 * s.rows * s.cols;
        Norms.rmsNormBackward(s.rows, s.cols, s.x, 0, s.gamma, 0, s.rmsRstd, 0, s.dy, 0, s.dx, 0, s.dgamma, 0);
        return s.dx;
    }

    private static float[] rmsNormForwardLoop(LibraryState s) {
        float[] x = s.x, y = s.y, gamma = s.gamma, rstds = s.rmsRstd;
        int rows = s.rows, cols = s.cols;
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            float sq = 0f;
            for (int c = 0; c < cols; c++) {
                sq += x[o + c] * x[o + c];
            }
            float rstd = (float) (1 / Math.sqrt(sq / cols + EPS));
            for (int c = 0; c < cols; c++) {
                y[o + c] = x[o + c] * rstd * gamma[c];
            }
            rstds[r] = rstd;
        }
        return y;
    }

    // ---- BatchNorm, training mode, N = rows, C = cols, spatial 1

    @Benchmark
    public float[] batchNormForward(LibraryState s, Work.Bytes work) {
        work.gbyte += 8e-9 * s.rows * s.cols;
        if (s.loop) {
            return batchNormForwardLoop(s);
        }
        Norms.batchNormTraining(s.rows, s.cols, 1, s.x, 0, s.gamma, 0, s.beta, 0, EPS, MOMENTUM, s.runningMean, 0,
                s.runningVar, 0, s.y, 0, s.saveMean, 0, s.saveRstd, 0);
        return s.y;
    }

    @Benchmark
    public float[] batchNormBackward(LanesState s, Work.Bytes work) {
        work.gbyte += 12e-9 * s.rows * s.cols;
        Norms.batchNormBackward(s.rows, s.cols, 1, s.x, 0, s.gamma, 0, s.saveMean, 0, s.saveRstd, 0, s.dy, 0,
                s.dx, 0, s.dgamma, 0, s.dbeta, 0);
        return s.dx;
    }

    /** Channel sums, then channel sums of squared deviations, then the normalization: three passes, row order. */
    private static float[] batchNormForwardLoop(LibraryState s) {
        float[] x = s.x, y = s.y, gamma = s.gamma, beta = s.beta;
        float[] sum = s.channelSum, sq = s.channelSq, mean = s.saveMean, rstd = s.saveRstd;
        int rows = s.rows, cols = s.cols;
        Arrays.fill(sum, 0f);
        Arrays.fill(sq, 0f);
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            for (int c = 0; c < cols; c++) {
                sum[c] += x[o + c];
            }
        }
        for (int c = 0; c < cols; c++) {
            mean[c] = sum[c] / rows;
        }
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            for (int c = 0; c < cols; c++) {
                float d = x[o + c] - mean[c];
                sq[c] += d * d;
            }
        }
        for (int c = 0; c < cols; c++) {
            float var = sq[c] / rows;
            rstd[c] = (float) (1 / Math.sqrt(var + EPS));
            s.runningMean[c] = (1 - MOMENTUM) * s.runningMean[c] + MOMENTUM * mean[c];
            s.runningVar[c] = (1 - MOMENTUM) * s.runningVar[c] + MOMENTUM * var * rows / (rows - 1);
            // Fold gamma into the scale once per channel, as any hand-written loop would.
            sq[c] = rstd[c] * gamma[c];
            sum[c] = beta[c] - mean[c] * sq[c];
        }
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            for (int c = 0; c < cols; c++) {
                y[o + c] = x[o + c] * sq[c] + sum[c];
            }
        }
        return y;
    }
}
