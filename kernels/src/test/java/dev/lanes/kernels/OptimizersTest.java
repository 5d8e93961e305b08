package dev.lanes.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.lanes.kernels.ops.ScalarOptimizers;
import dev.lanes.kernels.ops.VectorOptimizers;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.function.Executable;

/**
 * The fused optimizer updates: the front end (vector kernels when the Vector API is on, chunked on the pool
 * for large spans) against the scalar twins, bit for bit; replays of PyTorch runs; argument checks.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OptimizersTest {
    /**
     * Sizes for every option combination: empty, tail only, one vector (16 at 512 bits) and around it, several
     * vectors and a tail. Larger sizes run in {@link #largeSpansRunInChunksAndMatchTheTwin}, once per
     * optimizer: until C2 has compiled the kernels, every vector operation is boxed (interpreter, C1) and costs
     * about a microsecond, so elements processed early cost most of this test's time.
     */
    private static final int[] SIZES = {0, 1, 3, 7, 15, 16, 17, 31, 33, 100};
    /** 1000, and 70000: above the parallel threshold (4 x 16384 elements), five chunks. */
    private static final int[] LARGE = {1000, 70_000};
    private static final int STEPS = 3;
    /** Elements before each span (different per array, so a mixed-up offset shows) and after it. */
    private static final int[] OFFSETS = {3, 5, 1, 7, 2};
    private static final int GUARD = 4;

    /** Which implementation a call goes to: the public front end, or one of the kernels directly. */
    private enum Impl { FRONT_END, VECTOR, SCALAR }

    /** One optimizer configuration, applied to a {@link Spans} at a given step (1-based). */
    private interface Update {
        void apply(Impl impl, Spans s, long step);
    }

    /** How a state array starts: non-negative (running squares) or signed (averages, buffers). */
    private enum Kind { SQUARE, SIGNED }

    /** Param, grad and up to three state arrays, each with its own offset and guard elements around. */
    private static final class Spans {
        final int n;
        final float[][] arrays;

        Spans(int n, float[][] arrays) {
            this.n = n;
            this.arrays = arrays;
        }

        float[] a(int k) {
            return arrays[k];
        }

        int off(int k) {
            return OFFSETS[k];
        }

        Spans copy() {
            float[][] c = new float[arrays.length][];
            for (int k = 0; k < arrays.length; k++) {
                c[k] = arrays[k] == null ? null : arrays[k].clone();
            }
            return new Spans(n, c);
        }
    }

    // Random numbers are drawn once: the 70000-element cases would otherwise spend most of the test in Random.
    private static final int POOL = 70_000 + 16;
    private static final float[][] GAUSS = new float[8][POOL];

    static {
        Random r = new Random(20250101);
        for (float[] row : GAUSS) {
            for (int i = 0; i < POOL; i++) {
                row[i] = (float) r.nextGaussian();
            }
        }
    }

    private static float[] fill(int len, int row, int shift, float scale, boolean abs) {
        float[] a = new float[len];
        for (int i = 0; i < len; i++) {
            float x = GAUSS[row][(i + shift) % POOL] * scale;
            a[i] = abs ? Math.abs(x) : x;
        }
        return a;
    }

    private static Spans spans(int n, Kind... state) {
        float[][] arrays = new float[2 + state.length][];
        arrays[0] = fill(OFFSETS[0] + n + GUARD, 0, n, 1f, false);
        arrays[1] = new float[OFFSETS[1] + n + GUARD]; // the gradient is set before each step
        for (int k = 0; k < state.length; k++) {
            int len = OFFSETS[2 + k] + n + GUARD;
            arrays[2 + k] = state[k] == Kind.SQUARE ? fill(len, 2 + k, n, 0.5f, true) : fill(len, 2 + k, n, 0.1f, false);
        }
        return new Spans(n, arrays);
    }

    /** The gradient of each step: magnitudes over a few decades, some exact zeros. */
    private static final float[][] GRADS = new float[STEPS + 1][POOL];

    static {
        for (int step = 1; step <= STEPS; step++) {
            for (int i = 0; i < POOL; i++) {
                float x = GAUSS[5 + step % 3][(i * 7 + step) % POOL];
                float mag = GAUSS[4][(i + 13 * step) % POOL];
                GRADS[step][i] = (i + step) % 11 == 0 ? 0f : x * (float) Math.exp(mag);
            }
        }
    }

    private static void setGrad(Spans s, int step) {
        System.arraycopy(GRADS[step], 0, s.a(1), 0, s.a(1).length);
    }

    // ---------------------------------------------------------------- twins

    /** One option combination of one optimizer, and how its state arrays start. */
    private record Config(String name, Update update, Kind... state) {}

    private static Config sgd(float momentum, float dampening, boolean nesterov, float wd, boolean maximize) {
        float lr = 0.05f;
        return new Config(String.format(Locale.ROOT, "sgd(momentum=%s, dampening=%s, nesterov=%s, wd=%s, maximize=%s)",
                momentum, dampening, nesterov, wd, maximize), (impl, s, step) -> {
                    if (impl == Impl.FRONT_END) {
                        Optimizers.sgd(s.n, s.a(0), s.off(0), s.a(1), s.off(1), s.a(2), s.off(2),
                                lr, momentum, dampening, wd, nesterov, maximize, step == 1);
                    } else if (impl == Impl.VECTOR) {
                        VectorOptimizers.sgd(s.n, s.a(0), s.off(0), s.a(1), s.off(1), s.a(2), s.off(2),
                                lr, momentum, dampening, wd, nesterov, maximize, step == 1);
                    } else {
                        ScalarOptimizers.sgd(s.n, s.a(0), s.off(0), s.a(1), s.off(1), s.a(2), s.off(2),
                                lr, momentum, dampening, wd, nesterov, maximize, step == 1);
                    }
                }, Kind.SIGNED);
    }

    private static Config adagrad(float lrDecay, float wd, boolean maximize) {
        return new Config(String.format(Locale.ROOT, "adagrad(lrDecay=%s, wd=%s, maximize=%s)", lrDecay, wd, maximize),
                (impl, s, step) -> {
                    if (impl == Impl.FRONT_END) {
                        Optimizers.adagrad(s.n, s.a(0), s.off(0), s.a(1), s.off(1), s.a(2), s.off(2),
                                0.1f, lrDecay, wd, 1e-10f, step, maximize);
                    } else if (impl == Impl.VECTOR) {
                        VectorOptimizers.adagrad(s.n, s.a(0), s.off(0), s.a(1), s.off(1), s.a(2), s.off(2),
                                0.1f, lrDecay, wd, 1e-10f, step, maximize);
                    } else {
                        ScalarOptimizers.adagrad(s.n, s.a(0), s.off(0), s.a(1), s.off(1), s.a(2), s.off(2),
                                0.1f, lrDecay, wd, 1e-10f, step, maximize);
                    }
                }, Kind.SQUARE);
    }

    private static Config rmsprop(boolean centered, float momentum, float alpha, float wd, boolean maximize) {
        return new Config(String.format(Locale.ROOT, "rmsprop(centered=%s, momentum=%s, alpha=%s, wd=%s, maximize=%s)",
                centered, momentum, alpha, wd, maximize), (impl, s, step) -> {
                    float[] ga = centered ? s.a(3) : null;
                    float[] buf = momentum > 0 ? s.a(4) : null;
                    if (impl == Impl.FRONT_END) {
                        Optimizers.rmsprop(s.n, s.a(0), s.off(0), s.a(1), s.off(1), s.a(2), s.off(2),
                                ga, s.off(3), buf, s.off(4), 0.01f, alpha, 1e-8f, wd, momentum, centered, maximize);
                    } else if (impl == Impl.VECTOR) {
                        VectorOptimizers.rmsprop(s.n, s.a(0), s.off(0), s.a(1), s.off(1), s.a(2), s.off(2),
                                ga, s.off(3), buf, s.off(4), 0.01f, alpha, 1e-8f, wd, momentum, centered, maximize);
                    } else {
                        ScalarOptimizers.rmsprop(s.n, s.a(0), s.off(0), s.a(1), s.off(1), s.a(2), s.off(2),
                                ga, s.off(3), buf, s.off(4), 0.01f, alpha, 1e-8f, wd, momentum, centered, maximize);
                    }
                }, Kind.SQUARE, Kind.SIGNED, Kind.SIGNED); // squareAvg starts mostly above gradAvg^2, as in real runs
    }

    private static Config adam(boolean decoupled, boolean amsgrad, float beta1, float wd, boolean maximize) {
        return new Config(String.format(Locale.ROOT, "adam(decoupled=%s, amsgrad=%s, beta1=%s, wd=%s, maximize=%s)",
                decoupled, amsgrad, beta1, wd, maximize), (impl, s, step) -> {
                    float[] vmax = amsgrad ? s.a(4) : null;
                    if (impl == Impl.FRONT_END) {
                        Optimizers.adam(s.n, s.a(0), s.off(0), s.a(1), s.off(1), s.a(2), s.off(2),
                                s.a(3), s.off(3), vmax, s.off(4), 0.01f, beta1, 0.999f, 1e-8f, wd,
                                decoupled, amsgrad, maximize, step);
                    } else if (impl == Impl.VECTOR) {
                        VectorOptimizers.adam(s.n, s.a(0), s.off(0), s.a(1), s.off(1), s.a(2), s.off(2),
                                s.a(3), s.off(3), vmax, s.off(4), 0.01f, beta1, 0.999f, 1e-8f, wd,
                                decoupled, amsgrad, maximize, step);
                    } else {
                        ScalarOptimizers.adam(s.n, s.a(0), s.off(0), s.a(1), s.off(1), s.a(2), s.off(2),
                                s.a(3), s.off(3), vmax, s.off(4), 0.01f, beta1, 0.999f, 1e-8f, wd,
                                decoupled, amsgrad, maximize, step);
                    }
                }, Kind.SIGNED, Kind.SQUARE, Kind.SQUARE);
    }

    @Test
    void sgdMatchesTwinBitForBit() {
        int cases = 0;
        for (float momentum : new float[] {0f, 0.9f}) {
            for (float dampening : new float[] {0f, 0.25f}) {
                for (boolean nesterov : new boolean[] {false, true}) {
                    if (momentum == 0 && (dampening != 0 || nesterov) || nesterov && dampening != 0) {
                        continue;
                    }
                    for (float wd : new float[] {0f, 0.01f}) {
                        for (boolean maximize : new boolean[] {false, true}) {
                            compareTwins(sgd(momentum, dampening, nesterov, wd, maximize), SIZES, STEPS);
                            cases++;
                        }
                    }
                }
            }
        }
        assertEquals(16, cases);
    }

    @Test
    void adagradMatchesTwinBitForBit() {
        for (float lrDecay : new float[] {0f, 0.1f}) {
            for (float wd : new float[] {0f, 0.05f}) {
                for (boolean maximize : new boolean[] {false, true}) {
                    compareTwins(adagrad(lrDecay, wd, maximize), SIZES, STEPS);
                }
            }
        }
    }

    /*
     * RMSprop and Adam: every specialised loop (centered x momentum; AMSGrad, with Adam's and AdamW's weight
     * decay) with the options folded inside a loop (weight decay on/off, maximize, lerp's two forms) in the four
     * combinations that cover every pair of them, which is what the folds can get wrong. The full product
     * would double the test's time, spent mostly in not-yet-compiled vector code.
     */
    private static final boolean[][] PAIRWISE = {
        {false, false, false}, {false, true, true}, {true, false, true}, {true, true, false},
    };

    @Test
    void rmspropMatchesTwinBitForBit() {
        for (boolean centered : new boolean[] {false, true}) {
            for (float momentum : new float[] {0f, 0.9f}) {
                for (boolean[] options : PAIRWISE) {
                    float wd = options[0] ? 0.01f : 0f;
                    boolean maximize = options[1];
                    float alpha = options[2] ? 0.3f : 0.99f; // 1 - 0.3 takes lerp's other form
                    compareTwins(rmsprop(centered, momentum, alpha, wd, maximize), SIZES, STEPS);
                }
            }
        }
    }

    @Test
    void adamMatchesTwinBitForBit() {
        for (boolean decoupled : new boolean[] {false, true}) {
            for (boolean amsgrad : new boolean[] {false, true}) {
                for (boolean[] options : PAIRWISE) {
                    float wd = options[0] ? 0.05f : 0f;
                    boolean maximize = options[1];
                    float beta1 = options[2] ? 0.3f : 0.9f; // 1 - 0.3 takes lerp's other form
                    compareTwins(adam(decoupled, amsgrad, beta1, wd, maximize), SIZES, STEPS);
                }
            }
        }
    }

    /**
     * Spans above the parallel threshold run in chunks on the pool, each chunk a kernel call with every offset
     * advanced by the chunk start: still the twin's bits. One configuration per optimizer that touches all of
     * its arrays (a chunk offset missed on any array shows), one step: at this point the kernels still run
     * mostly in C1-compiled code, where every vector operation is boxed. Runs last, so they are warmest.
     */
    @Test
    @Order(Integer.MAX_VALUE)
    void largeSpansRunInChunksAndMatchTheTwin() {
        List<Impl> frontEnd = List.of(Impl.FRONT_END); // below the threshold, the front end is the vector kernel
        compareTwins(sgd(0.9f, 0f, true, 0.01f, true), LARGE, 1, frontEnd);
        compareTwins(adagrad(0.1f, 0.05f, true), LARGE, 1, frontEnd);
        compareTwins(rmsprop(true, 0.9f, 0.3f, 0.01f, true), LARGE, 1, frontEnd);
        compareTwins(adam(true, true, 0.3f, 0.05f, true), LARGE, 1, frontEnd);
    }

    /**
     * Runs {@code steps} steps of {@code c} through the scalar twin and through each tested implementation, on
     * every size, and requires the whole arrays (guards included) to be the same bits after each step: all
     * compute the same correctly rounded float operations in the same order.
     */
    private static void compareTwins(Config c, int[] sizes, int steps) {
        // The vector kernels directly too, so this cannot pass on twins alone if the front end fell back.
        compareTwins(c, sizes, steps, Lanes.vectorized() ? List.of(Impl.FRONT_END, Impl.VECTOR) : List.of(Impl.FRONT_END));
    }

    private static void compareTwins(Config c, int[] sizes, int steps, List<Impl> tested) {
        for (int n : sizes) {
            Spans twin = spans(n, c.state());
            float[] start = twin.a(0).clone();
            List<Spans> runs = new ArrayList<>();
            for (int k = 0; k < tested.size(); k++) {
                runs.add(twin.copy());
            }
            for (int step = 1; step <= steps; step++) {
                setGrad(twin, step);
                c.update().apply(Impl.SCALAR, twin, step);
                for (int r = 0; r < runs.size(); r++) {
                    Spans run = runs.get(r);
                    setGrad(run, step);
                    c.update().apply(tested.get(r), run, step);
                    for (int k = 0; k < run.arrays.length; k++) {
                        assertSameBits(c.name() + " " + tested.get(r) + ", n=" + n + ", step " + step + ", array " + k,
                                twin.a(k), run.a(k));
                    }
                }
            }
            // The update must have done something: the parameter moved (and only inside its span).
            int moved = 0;
            for (int i = 0; i < start.length; i++) {
                boolean inside = i >= OFFSETS[0] && i < OFFSETS[0] + n;
                if (start[i] != twin.a(0)[i]) {
                    assertTrue(inside, c.name() + ", n=" + n + ": element " + i + " outside the span was written");
                    moved++;
                }
            }
            assertTrue(moved >= n * 0.8, c.name() + ", n=" + n + ": only " + moved + " parameters moved");
        }
    }

    private static void assertSameBits(String what, float[] want, float[] got) {
        if (want == null) {
            assertEquals(null, got, what);
            return;
        }
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToIntBits(want[i]) != Float.floatToIntBits(got[i])) {
                fail(what + ", element " + i + ": twin " + want[i] + ", tested " + got[i] + " ("
                        + Math.abs(want[i] - got[i]) / Math.ulp(want[i]) + " ulps)");
            }
        }
    }

    // ---------------------------------------------------------------- PyTorch

    private static final String[] FIXTURES = {
        "sgd_plain", "sgd_momentum", "sgd_dampening_decay", "sgd_nesterov_decay", "sgd_maximize_decay",
        "sgd_maximize_plain",
        "adagrad_plain", "adagrad_decay", "adagrad_maximize",
        "rmsprop_plain", "rmsprop_centered_decay", "rmsprop_momentum", "rmsprop_centered_momentum_maximize",
        "rmsprop_defaults",
        "adam_plain", "adam_decay", "adam_amsgrad_maximize", "adam_defaults",
        "adamw_plain", "adamw_amsgrad", "adamw_defaults",
    };

    /*
     * Tolerances against PyTorch, as err <= rel * |want| + abs * max|want over the tensor|.
     *
     * The kernels do PyTorch's float operations in PyTorch's order (fma where ATen's vector code uses fmadd), so
     * SGD matches to the bit. What remains is PyTorch's CPU sqrt: MKL's vsSqrt, within 1 ulp but not correctly
     * rounded (off by one ulp on ~15% of floats), where Lanes' sqrt is IEEE. That ulp moves parameters by at
     * most a few ulps (measured: 4 ulps, 3.9e-7 relative), and state by a few ulps too, except where a momentum
     * buffer nearly cancels (m * buf + g / avg, terms of ~8 giving 1e-3): there the error is small against the
     * terms but large against the result (measured: 1.1e-4 relative, 3.4e-7 of the tensor's largest value).
     */
    private static final double PARAM_REL = 1e-6;
    private static final double PARAM_ABS = 1e-7;
    private static final double STATE_REL = 1e-6;
    private static final double STATE_OF_MAX = 1e-6;
    /*
     * The *_defaults cases use PyTorch's double hyper-parameters (alpha 0.99, betas 0.9/0.999, eps 1e-8). Adam
     * and RMSprop take them as doubles, so 1 - 0.999 is rounded once as in PyTorch. Adagrad's and SGD's
     * take floats; their defaults (0, 1e-10) do not show the difference.
     */

    @Test
    void replaysPyTorchRuns() {
        List<String> summary = new ArrayList<>();
        for (String name : FIXTURES) {
            Fixtures f = Fixtures.load("optim/" + name + ".txt");
            double[] worst = replay(name, f);
            summary.add(String.format(Locale.ROOT, "%-36s param: %4.0f ulps, %.2g relative, %.2g of max; state: %.2g relative, %.2g of max",
                    name, worst[0], worst[1], worst[4], worst[2], worst[3]));
        }
        System.out.println("Optimizers vs PyTorch (" + (Lanes.vectorized() ? "vector" : "scalar") + "):\n  "
                + String.join("\n  ", summary));
    }

    /** Replays one fixture; returns the worst error seen, {ulps, relative}. */
    private static double[] replay(String name, Fixtures f) {
        String kind = name.substring(0, name.indexOf('_'));
        int steps = f.ints("steps")[0];
        float[] param0 = f.floats("param_0");
        int n = param0.length;
        int po = 2;
        int go = 5;
        int so = 1;
        float[] p = new float[po + n + 3];
        System.arraycopy(param0, 0, p, po, n);
        float[] g = new float[go + n];
        String[] keys = switch (kind) {
            case "sgd" -> new String[] {"momentum_buffer"};
            case "adagrad" -> new String[] {"sum"};
            case "rmsprop" -> new String[] {"square_avg", "grad_avg", "momentum_buffer"};
            case "adam", "adamw" -> new String[] {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
            default -> throw new IllegalStateException(name);
        };
        float[][] state = new float[keys.length][];
        for (int k = 0; k < keys.length; k++) {
            // State PyTorch never creates (no momentum, not centered, no AMSGrad) is passed as null.
            if (f.has(keys[k] + "_1")) {
                state[k] = new float[so + n];
                if (f.has(keys[k] + "_0")) {
                    System.arraycopy(f.floats(keys[k] + "_0"), 0, state[k], so, n);
                }
            }
        }
        float lr = f.scalar("lr");
        double[] worst = {0, 0, 0, 0, 0};
        for (int step = 1; step <= steps; step++) {
            System.arraycopy(f.floats("grad_" + step), 0, g, go, n);
            switch (kind) {
                case "sgd" -> Optimizers.sgd(n, p, po, g, go, state[0], so, lr, f.scalar("momentum"),
                        f.scalar("dampening"), f.scalar("weight_decay"), flag(f, "nesterov"), flag(f, "maximize"),
                        step == 1);
                case "adagrad" -> Optimizers.adagrad(n, p, po, g, go, state[0], so, lr, f.scalar("lr_decay"),
                        f.scalar("weight_decay"), f.scalar("eps"), step, flag(f, "maximize"));
                // PyTorch's hyper-parameters are Python floats; these kernels take them as doubles.
                case "rmsprop" -> Optimizers.rmsprop(n, p, po, g, go, state[0], so, state[1], so, state[2], so,
                        f.number("lr"), f.number("alpha"), f.scalar("eps"), f.scalar("weight_decay"), f.scalar("momentum"),
                        flag(f, "centered"), flag(f, "maximize"));
                case "adam" -> Optimizers.adam(n, p, po, g, go, state[0], so, state[1], so, state[2], so, f.number("lr"),
                        f.number("beta1"), f.number("beta2"), f.scalar("eps"), f.number("weight_decay"),
                        flag(f, "decoupled_weight_decay"), flag(f, "amsgrad"), flag(f, "maximize"), step);
                case "adamw" -> {
                    assertTrue(flag(f, "decoupled_weight_decay"), name);
                    Optimizers.adamW(n, p, po, g, go, state[0], so, state[1], so, state[2], so, f.number("lr"),
                            f.number("beta1"), f.number("beta2"), f.scalar("eps"), f.number("weight_decay"),
                            flag(f, "amsgrad"), flag(f, "maximize"), step);
                }
                default -> throw new IllegalStateException(name);
            }
            compare(name + " step " + step + " param", f.floats("param_" + step), p, po, true, worst);
            for (int k = 0; k < keys.length; k++) {
                if (state[k] != null) {
                    compare(name + " step " + step + " " + keys[k], f.floats(keys[k] + "_" + step), state[k], so,
                            false, worst);
                }
            }
        }
        return worst;
    }

    private static boolean flag(Fixtures f, String name) {
        return f.has(name) && f.ints(name)[0] != 0;
    }

    /**
     * Compares one tensor; {@code worst} collects {param ulps, param relative, state relative, state error over
     * the tensor's largest magnitude}.
     */
    private static void compare(String what, float[] want, float[] got, int off, boolean isParam,
                                double[] worst) {
        double scale = 0;
        for (float w : want) {
            scale = Math.max(scale, Math.abs(w));
        }
        for (int i = 0; i < want.length; i++) {
            float w = want[i];
            float x = got[off + i];
            if (Float.isNaN(w) && Float.isNaN(x)) {
                continue;
            }
            double err = Math.abs((double) x - w);
            double rel = w == 0 ? (err == 0 ? 0 : Double.POSITIVE_INFINITY) : err / Math.abs(w);
            if (isParam) {
                worst[0] = Math.max(worst[0], err / Math.ulp(w));
                worst[1] = Math.max(worst[1], rel);
                worst[4] = Math.max(worst[4], scale == 0 ? 0 : err / scale);
            } else {
                worst[2] = Math.max(worst[2], rel);
                worst[3] = Math.max(worst[3], scale == 0 ? 0 : err / scale);
            }
            double tolerance = isParam ? PARAM_REL * Math.abs(w) + PARAM_ABS : STATE_REL * Math.abs(w) + STATE_OF_MAX * scale;
            if (!(err <= tolerance) || Float.isNaN(x) != Float.isNaN(w)) {
                fail(what + ", element " + i + ": PyTorch " + w + ", Lanes " + x + " (error " + err + ", tolerance "
                        + tolerance + ")");
            }
        }
    }

    // ---------------------------------------------------------------- numbers by hand

    @Test
    void handComputedSteps() {
        // SGD: 1 - 0.1 * 0.5.
        float[] p = {1f};
        Optimizers.sgd(1, p, 0, new float[] {0.5f}, 0, null, 0, 0.1f, 0f, 0f, 0f, false, false, true);
        assertEquals(0.95f, p[0], 1e-7f);

        // SGD momentum 0.9, two steps of gradient 1: buf = 1, then 1.9; p = 0 - 0.1 - 0.19.
        p = new float[] {0f};
        float[] buf = {123f}; // ignored on the first step
        Optimizers.sgd(1, p, 0, new float[] {1f}, 0, buf, 0, 0.1f, 0.9f, 0f, 0f, false, false, true);
        assertEquals(1f, buf[0]);
        Optimizers.sgd(1, p, 0, new float[] {1f}, 0, buf, 0, 0.1f, 0.9f, 0f, 0f, false, false, false);
        assertEquals(1.9f, buf[0], 1e-6f);
        assertEquals(-0.29f, p[0], 1e-6f);

        // Adam's first step moves by lr * sign(g) (bias correction makes m^ = g, v^ = g^2).
        p = new float[] {1f};
        float[] m = {0f};
        float[] v = {0f};
        Optimizers.adam(1, p, 0, new float[] {2f}, 0, m, 0, v, 0, null, 0, 0.1f, 0.9f, 0.999f, 1e-8f, 0f,
                false, false, false, 1);
        assertEquals(0.9f, p[0], 1e-6f);
        assertEquals(0.2f, m[0], 1e-7f);
        assertEquals(0.004f, v[0], 1e-7f); // (1 - 0.999f) * 4 = 0.0039999485: 0.999f is not 0.999

        // AdamW decays the parameter first: 1 * (1 - 0.1 * 0.5) - 0.1.
        p = new float[] {1f};
        Optimizers.adamW(1, p, 0, new float[] {2f}, 0, new float[1], 0, new float[1], 0, null, 0, 0.1f, 0.9f,
                0.999f, 1e-8f, 0.5f, false, false, 1);
        assertEquals(0.85f, p[0], 1e-6f);

        // Adagrad: sum = 4, p = 1 - 0.1 * 2 / (2 + 0); second step with lr_decay 1: clr = 0.1 / 2.
        p = new float[] {1f};
        float[] sum = {0f};
        Optimizers.adagrad(1, p, 0, new float[] {2f}, 0, sum, 0, 0.1f, 1f, 0f, 0f, 1, false);
        assertEquals(4f, sum[0]);
        assertEquals(0.9f, p[0], 1e-7f);
        Optimizers.adagrad(1, p, 0, new float[] {0f}, 0, sum, 0, 0.1f, 1f, 0f, 0f, 2, false);
        assertEquals(0.9f, p[0], 1e-7f);

        // RMSprop, alpha 0.5: sq = 0.5 * 4 = 2, p = 1 - 0.1 * 2 / sqrt 2.
        p = new float[] {1f};
        Optimizers.rmsprop(1, p, 0, new float[] {2f}, 0, new float[1], 0, null, 0, null, 0, 0.1f, 0.5f, 0f, 0f, 0f,
                false, false);
        assertEquals(1 - 0.2 / Math.sqrt(2), p[0], 1e-7);
    }

    // ---------------------------------------------------------------- special values

    @Test
    void nonFiniteGradientsPropagateAndWeightDecayOffIgnoresTheParameter() {
        for (Impl impl : Impl.values()) {
            if (impl == Impl.VECTOR && !Lanes.vectorized()) {
                continue;
            }
            int n = 37;
            float[] p = new float[n];
            float[] g = new float[n];
            for (int i = 0; i < n; i++) {
                p[i] = 1f;
                g[i] = 0.5f;
            }
            g[3] = Float.NaN;
            g[20] = Float.POSITIVE_INFINITY;
            p[33] = Float.POSITIVE_INFINITY; // with weight decay 0 it stays +Inf (0 * Inf would be NaN)
            float[] m = new float[n];
            float[] v = new float[n];
            if (impl == Impl.FRONT_END) {
                Optimizers.adam(n, p, 0, g, 0, m, 0, v, 0, null, 0, 0.01f, 0.9f, 0.999f, 1e-8f, 0f, false, false,
                        false, 1);
            } else if (impl == Impl.VECTOR) {
                VectorOptimizers.adam(n, p, 0, g, 0, m, 0, v, 0, null, 0, 0.01f, 0.9f, 0.999f, 1e-8f, 0f, false,
                        false, false, 1);
            } else {
                ScalarOptimizers.adam(n, p, 0, g, 0, m, 0, v, 0, null, 0, 0.01f, 0.9f, 0.999f, 1e-8f, 0f, false,
                        false, false, 1);
            }
            assertTrue(Float.isNaN(p[3]) && Float.isNaN(m[3]) && Float.isNaN(v[3]), impl + " NaN gradient");
            assertTrue(Float.isNaN(p[20]), impl + " Inf gradient: Inf / Inf"); // m / sqrt(v) = Inf / Inf
            assertEquals(Float.POSITIVE_INFINITY, v[20], impl.toString());
            assertEquals(Float.POSITIVE_INFINITY, p[33], impl.toString());
            assertEquals(0.99f, p[0], 1e-6f, impl.toString());

            float[] q = {Float.POSITIVE_INFINITY, 1f};
            float[] buf = new float[2];
            if (impl == Impl.FRONT_END) {
                Optimizers.sgd(2, q, 0, new float[] {1f, 1f}, 0, buf, 0, 0.1f, 0.9f, 0f, 0f, true, false, true);
            } else if (impl == Impl.VECTOR) {
                VectorOptimizers.sgd(2, q, 0, new float[] {1f, 1f}, 0, buf, 0, 0.1f, 0.9f, 0f, 0f, true, false, true);
            } else {
                ScalarOptimizers.sgd(2, q, 0, new float[] {1f, 1f}, 0, buf, 0, 0.1f, 0.9f, 0f, 0f, true, false, true);
            }
            assertEquals(Float.POSITIVE_INFINITY, q[0], impl.toString());
            assertEquals(1f - 0.1f * 1.9f, q[1], 1e-6f, impl.toString());
        }
    }

    @Test
    void unusedOptionalArraysMayBeNullAndEpsZeroIsAllowed() {
        float[] g = {0.5f, -2f, 3f};
        float[] p1 = {1f, 2f, 3f};
        float[] p2 = p1.clone();
        Optimizers.rmsprop(3, p1, 0, g, 0, new float[3], 0, null, 0, null, 0, 0.01f, 0.9f, 0f, 0f, 0f, false, false);
        float[] unusedGa = {7f, 7f, 7f};
        float[] unusedBuf = {9f, 9f, 9f};
        Optimizers.rmsprop(3, p2, 0, g, 0, new float[3], 0, unusedGa, 0, unusedBuf, 0, 0.01f, 0.9f, 0f, 0f, 0f,
                false, false);
        assertArrayEquals(p1, p2);
        assertArrayEquals(new float[] {7f, 7f, 7f}, unusedGa);
        assertArrayEquals(new float[] {9f, 9f, 9f}, unusedBuf);
        assertTrue(p1[0] < 1f && p1[1] > 2f && p1[2] < 3f, java.util.Arrays.toString(p1));
    }

    // ---------------------------------------------------------------- argument checks

    @Test
    void badArgumentsThrowAndLeaveEverythingUntouched() {
        int n = 20;
        float[] p = fill(n, 0, 0, 1f, false);
        float[] g = fill(n, 1, 0, 1f, false);
        float[] a = fill(n, 2, 0, 0.5f, true);
        float[] b = fill(n, 3, 0, 0.5f, true);
        float[] c = fill(n, 4, 0, 0.5f, true);
        float[] shortArray = new float[n - 1];
        float[][] all = {p, g, a, b, c, shortArray};

        // SGD
        rejected("n", all, () -> Optimizers.sgd(-1, p, 0, g, 0, a, 0, 0.1f, 0.9f, 0f, 0f, false, false, false));
        rejected("param", all, () -> Optimizers.sgd(n, null, 0, g, 0, a, 0, 0.1f, 0.9f, 0f, 0f, false, false, false));
        rejected("param", all, () -> Optimizers.sgd(n, shortArray, 0, g, 0, a, 0, 0.1f, 0.9f, 0f, 0f, false, false, false));
        rejected("grad", all, () -> Optimizers.sgd(n, p, 0, g, 1, a, 0, 0.1f, 0.9f, 0f, 0f, false, false, false));
        rejected("grad", all, () -> Optimizers.sgd(n, p, 0, g, -1, a, 0, 0.1f, 0.9f, 0f, 0f, false, false, false));
        rejected("momentumBuffer", all, () -> Optimizers.sgd(n, p, 0, g, 0, null, 0, 0.1f, 0.9f, 0f, 0f, false, false, false));
        rejected("momentumBuffer", all, () -> Optimizers.sgd(n, p, 0, g, 0, shortArray, 0, 0.1f, 0.9f, 0f, 0f, false, false, false));
        rejected("lr", all, () -> Optimizers.sgd(n, p, 0, g, 0, a, 0, -0.1f, 0.9f, 0f, 0f, false, false, false));
        rejected("lr", all, () -> Optimizers.sgd(n, p, 0, g, 0, a, 0, Float.NaN, 0.9f, 0f, 0f, false, false, false));
        rejected("lr", all, () -> Optimizers.sgd(n, p, 0, g, 0, a, 0, Float.POSITIVE_INFINITY, 0.9f, 0f, 0f, false, false, false));
        rejected("momentum", all, () -> Optimizers.sgd(n, p, 0, g, 0, a, 0, 0.1f, -0.9f, 0f, 0f, false, false, false));
        rejected("dampening", all, () -> Optimizers.sgd(n, p, 0, g, 0, a, 0, 0.1f, 0.9f, Float.NaN, 0f, false, false, false));
        rejected("weightDecay", all, () -> Optimizers.sgd(n, p, 0, g, 0, a, 0, 0.1f, 0.9f, 0f, -1e-4f, false, false, false));
        rejected("Nesterov", all, () -> Optimizers.sgd(n, p, 0, g, 0, a, 0, 0.1f, 0f, 0f, 0f, true, false, false));
        rejected("Nesterov", all, () -> Optimizers.sgd(n, p, 0, g, 0, a, 0, 0.1f, 0.9f, 0.1f, 0f, true, false, false));

        // Adagrad
        rejected("stateSum", all, () -> Optimizers.adagrad(n, p, 0, g, 0, null, 0, 0.1f, 0f, 0f, 1e-10f, 1, false));
        rejected("stateSum", all, () -> Optimizers.adagrad(n, p, 0, g, 0, a, 1, 0.1f, 0f, 0f, 1e-10f, 1, false));
        rejected("lr", all, () -> Optimizers.adagrad(n, p, 0, g, 0, a, 0, -1f, 0f, 0f, 1e-10f, 1, false));
        rejected("lrDecay", all, () -> Optimizers.adagrad(n, p, 0, g, 0, a, 0, 0.1f, -0.1f, 0f, 1e-10f, 1, false));
        rejected("weightDecay", all, () -> Optimizers.adagrad(n, p, 0, g, 0, a, 0, 0.1f, 0f, Float.NaN, 1e-10f, 1, false));
        rejected("eps", all, () -> Optimizers.adagrad(n, p, 0, g, 0, a, 0, 0.1f, 0f, 0f, -1e-10f, 1, false));
        rejected("step", all, () -> Optimizers.adagrad(n, p, 0, g, 0, a, 0, 0.1f, 0f, 0f, 1e-10f, 0, false));

        // RMSprop
        rejected("squareAvg", all, () -> Optimizers.rmsprop(n, p, 0, g, 0, shortArray, 0, b, 0, c, 0, 0.01f, 0.99f, 1e-8f, 0f, 0.9f, true, false));
        rejected("gradAvg", all, () -> Optimizers.rmsprop(n, p, 0, g, 0, a, 0, null, 0, c, 0, 0.01f, 0.99f, 1e-8f, 0f, 0.9f, true, false));
        rejected("gradAvg", all, () -> Optimizers.rmsprop(n, p, 0, g, 0, a, 0, shortArray, 0, c, 0, 0.01f, 0.99f, 1e-8f, 0f, 0.9f, true, false));
        rejected("gradAvg", all, () -> Optimizers.rmsprop(n, p, 0, g, 0, a, 0, shortArray, 0, c, 0, 0.01f, 0.99f, 1e-8f, 0f, 0.9f, false, false));
        rejected("momentumBuffer", all, () -> Optimizers.rmsprop(n, p, 0, g, 0, a, 0, b, 0, null, 0, 0.01f, 0.99f, 1e-8f, 0f, 0.9f, true, false));
        rejected("momentumBuffer", all, () -> Optimizers.rmsprop(n, p, 0, g, 0, a, 0, b, 0, c, 5, 0.01f, 0.99f, 1e-8f, 0f, 0.9f, true, false));
        rejected("lr", all, () -> Optimizers.rmsprop(n, p, 0, g, 0, a, 0, b, 0, c, 0, -0.01f, 0.99f, 1e-8f, 0f, 0.9f, true, false));
        rejected("alpha", all, () -> Optimizers.rmsprop(n, p, 0, g, 0, a, 0, b, 0, c, 0, 0.01f, 1.01f, 1e-8f, 0f, 0.9f, true, false));
        rejected("alpha", all, () -> Optimizers.rmsprop(n, p, 0, g, 0, a, 0, b, 0, c, 0, 0.01f, -0.5f, 1e-8f, 0f, 0.9f, true, false));
        rejected("eps", all, () -> Optimizers.rmsprop(n, p, 0, g, 0, a, 0, b, 0, c, 0, 0.01f, 0.99f, -1e-8f, 0f, 0.9f, true, false));
        rejected("weightDecay", all, () -> Optimizers.rmsprop(n, p, 0, g, 0, a, 0, b, 0, c, 0, 0.01f, 0.99f, 1e-8f, -1f, 0.9f, true, false));
        rejected("momentum", all, () -> Optimizers.rmsprop(n, p, 0, g, 0, a, 0, b, 0, c, 0, 0.01f, 0.99f, 1e-8f, 0f, -0.9f, true, false));

        // Adam / AdamW
        rejected("expAvg", all, () -> Optimizers.adam(n, p, 0, g, 0, shortArray, 0, b, 0, c, 0, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, false, true, false, 1));
        rejected("expAvgSq", all, () -> Optimizers.adam(n, p, 0, g, 0, a, 0, null, 0, c, 0, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, false, true, false, 1));
        rejected("maxExpAvgSq", all, () -> Optimizers.adam(n, p, 0, g, 0, a, 0, b, 0, null, 0, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, false, true, false, 1));
        rejected("maxExpAvgSq", all, () -> Optimizers.adamW(n, p, 0, g, 0, a, 0, b, 0, shortArray, 0, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, true, false, 1));
        rejected("lr", all, () -> Optimizers.adam(n, p, 0, g, 0, a, 0, b, 0, c, 0, -1e-3f, 0.9f, 0.999f, 1e-8f, 0f, false, true, false, 1));
        rejected("beta1", all, () -> Optimizers.adam(n, p, 0, g, 0, a, 0, b, 0, c, 0, 1e-3f, 1f, 0.999f, 1e-8f, 0f, false, true, false, 1));
        rejected("beta1", all, () -> Optimizers.adam(n, p, 0, g, 0, a, 0, b, 0, c, 0, 1e-3f, Float.NaN, 0.999f, 1e-8f, 0f, false, true, false, 1));
        rejected("beta2", all, () -> Optimizers.adam(n, p, 0, g, 0, a, 0, b, 0, c, 0, 1e-3f, 0.9f, -0.1f, 1e-8f, 0f, false, true, false, 1));
        rejected("eps", all, () -> Optimizers.adamW(n, p, 0, g, 0, a, 0, b, 0, c, 0, 1e-3f, 0.9f, 0.999f, -1e-8f, 0f, true, false, 1));
        rejected("weightDecay", all, () -> Optimizers.adamW(n, p, 0, g, 0, a, 0, b, 0, c, 0, 1e-3f, 0.9f, 0.999f, 1e-8f, -0.01f, true, false, 1));
        rejected("step", all, () -> Optimizers.adam(n, p, 0, g, 0, a, 0, b, 0, c, 0, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, false, true, false, 0));

        // The same arguments with the fault removed are accepted, and do write (so "untouched" above means something).
        float[] before = p.clone();
        Optimizers.adam(n, p, 0, g, 0, a, 0, b, 0, c, 0, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, false, true, false, 1);
        assertTrue(!java.util.Arrays.equals(before, p));
    }

    /** Asserts that {@code call} throws IllegalArgumentException mentioning {@code name} and writes nothing. */
    private static void rejected(String name, float[][] arrays, Executable call) {
        float[][] before = new float[arrays.length][];
        for (int k = 0; k < arrays.length; k++) {
            before[k] = arrays[k].clone();
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call, name);
        assertTrue(e.getMessage().contains(name), "message should name " + name + ": " + e.getMessage());
        assertTrue(e.getMessage().startsWith("Optimizers."), e.getMessage());
        for (int k = 0; k < arrays.length; k++) {
            assertArrayEquals(before[k], arrays[k], "array " + k + " was written before the check of " + name);
        }
    }
}
