import dev.lanes.kernels.Gemm;
import dev.lanes.kernels.Threads;

/**
 * One round for scripts/ab/AB.java: GFLOP/s of single-threaded products shaped like weight gradients
 * ({@code T}: A transposed, as {@code dY^T X}) and their row-major twins ({@code N}), best of 5 timings of
 * about 0.3 GFLOP each.
 */
public class WeightGradientGemm {
    static final int[][] SHAPES = {{1024, 320, 256, 1}, {1024, 320, 256, 0}, {1024, 320, 1600, 1}, {1024, 320, 1600, 0},
        {1024, 64, 256, 1}, {512, 512, 512, 0}};
    static float[][] a, b, c;

    public static String names() {
        StringBuilder sb = new StringBuilder();
        for (int[] s : SHAPES) {
            sb.append(String.format("%s%dx%dx%d ", s[3] == 1 ? "T" : "N", s[0], s[1], s[2]));
        }
        return sb.append("(GFLOP/s)").toString();
    }

    public static double[] once() {
        Threads.setCount(1);
        if (a == null) {
            java.util.Random r = new java.util.Random(1);
            a = new float[SHAPES.length][];
            b = new float[SHAPES.length][];
            c = new float[SHAPES.length][];
            for (int i = 0; i < SHAPES.length; i++) {
                int m = SHAPES[i][0], n = SHAPES[i][1], k = SHAPES[i][2];
                a[i] = new float[k * m];
                b[i] = new float[k * n];
                c[i] = new float[m * n];
                for (int j = 0; j < a[i].length; j++) {
                    a[i][j] = r.nextFloat();
                }
                for (int j = 0; j < b[i].length; j++) {
                    b[i][j] = r.nextFloat();
                }
            }
        }
        double[] out = new double[SHAPES.length];
        for (int i = 0; i < SHAPES.length; i++) {
            int m = SHAPES[i][0], n = SHAPES[i][1], k = SHAPES[i][2];
            boolean transA = SHAPES[i][3] == 1;
            int reps = (int) Math.max(1, 3e8 / (2.0 * m * n * k));
            long best = Long.MAX_VALUE;
            for (int t = 0; t < 5; t++) {
                long t0 = System.nanoTime();
                for (int q = 0; q < reps; q++) {
                    Gemm.sgemm(transA, false, m, n, k, 1f, a[i], 0, transA ? m : k, b[i], 0, n, 0f, c[i], 0, n);
                }
                best = Math.min(best, System.nanoTime() - t0);
            }
            out[i] = 2.0 * m * n * k * reps / best;
        }
        return out;
    }
}
