package dev.lanes.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import dev.lanes.nn.layers.Activations;
import dev.lanes.nn.layers.Module;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The nn module's tensor ops against PyTorch (CPU, float32): forward values and the gradients autograd gives
 * for a random upstream gradient, from {@code src/test/resources/fixtures/nn/ops.txt}, written by
 * {@code scripts/fixtures/gen_nn_fixtures.py}.
 *
 * <p>This class also holds the comparison helpers shared by {@code TorchLayersFixturesTest} and
 * {@code TorchLossesFixturesTest}. Rule: shapes must be equal, NaN and infinities must match exactly, and
 * finite values must satisfy {@code |lanes - torch| <= rtol * |torch| + atol}, with the tolerance stated
 * next to each op family. The largest errors per family are printed (lines prefixed {@code torch-fixtures nn}).
 */
class TorchOpsFixturesTest {
    /**
     * The default tolerance: 1e-5 relative + 1e-6 absolute. Element-wise ops are correctly rounded or within
     * a few ulps in both libraries, and the short sums here (at most 5 terms per output, or 60 for the full
     * reductions) differ only by summation order, a few ulps of the largest partial sum.
     */
    static final double RTOL = 1e-5, ATOL = 1e-6;

    private static final Map<String, double[]> WORST = new TreeMap<>();

    static Fixtures load(String name) {
        return Fixtures.load("nn/" + name);
    }

    /** A tensor with the fixture's shape and values (integer tensors as exact floats), with no grad. */
    static Tensor tensor(Fixtures f, String key) {
        Fixtures.Entry e = f.get(key);
        return Tensor.of(e.floats(), e.shape());
    }

    /** A leaf that requires grad, from the fixture. */
    static Tensor leaf(Fixtures f, String key) {
        return tensor(f, key).requiresGrad(true);
    }

    /** Asserts {@code actual} has the fixture's shape and matches its values (see the class comment). */
    static void assertClose(String family, String what, Fixtures.Entry expected, Tensor actual, double rtol, double atol) {
        assertNotNull(actual, what + ": Lanes gave null");
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        assertClose(family, what, expected.floats(), actual.toArray(), rtol, atol);
    }

    static void assertClose(String family, String what, float[] expected, float[] actual, double rtol, double atol) {
        assertEquals(expected.length, actual.length, what + ": length");
        double maxAbs = 0, maxRel = 0, maxUsed = 0;
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i], a = actual[i];
            if (Float.isNaN(e) || Float.isNaN(a) || Float.isInfinite(e) || Float.isInfinite(a)) {
                if (!(Float.isNaN(e) && Float.isNaN(a)) && e != a) {
                    fail(what + "[" + i + "]: PyTorch " + e + ", Lanes " + a);
                }
                continue;
            }
            double diff = Math.abs((double) a - e), tol = rtol * Math.abs(e) + atol;
            if (diff > tol) {
                fail(what + "[" + i + "]: PyTorch " + e + ", Lanes " + a + ", |diff| " + diff + " > tolerance " + tol
                        + " (rtol " + rtol + ", atol " + atol + ")");
            }
            maxAbs = Math.max(maxAbs, diff);
            if (e != 0) {
                maxRel = Math.max(maxRel, diff / Math.abs(e));
            }
            maxUsed = Math.max(maxUsed, tol == 0 ? 0 : diff / tol);
        }
        record(family, maxAbs, maxRel, maxUsed);
    }

    static synchronized void record(String family, double maxAbs, double maxRel, double used) {
        WORST.merge(family, new double[] {maxAbs, maxRel, used},
                (x, y) -> new double[] {Math.max(x[0], y[0]), Math.max(x[1], y[1]), Math.max(x[2], y[2])});
    }

    /** Prints the largest errors of the families starting with {@code prefix}. */
    static synchronized void printWorst(String prefix) {
        WORST.forEach((name, w) -> {
            if (name.startsWith(prefix)) {
                System.out.printf("torch-fixtures nn %-34s max |err| %.3g, max rel err %.3g, %.0f%% of tolerance%n",
                        name, w[0], w[1], 100 * w[2]);
            }
        });
    }

    /**
     * One fixture case {@code name}: its inputs become leaves ({@link #in}), {@link #check} compares the output
     * with {@code name.y}, back-propagates {@code name.dy} and compares each leaf's gradient with {@code name.d<key>}.
     */
    static final class Case {
        final Fixtures f;
        final String family, name;
        final Map<String, Tensor> leaves = new LinkedHashMap<>();

        Case(Fixtures f, String family, String name) {
            this.f = f;
            this.family = family;
            this.name = name;
        }

        Tensor in(String key) {
            Tensor t = leaf(f, name + "." + key);
            leaves.put(key, t);
            return t;
        }

        /** An input without grad (targets, indices). */
        Tensor constant(String key) {
            return tensor(f, name + "." + key);
        }

        float param(String key) {
            return f.scalar(name + "." + key);
        }

        void check(Tensor y, double rtol, double atol) {
            check(y, rtol, atol, rtol, atol);
        }

        void check(Tensor y, double rtol, double atol, double gradRtol, double gradAtol) {
            assertClose(family, name + " forward", f.get(name + ".y"), y, rtol, atol);
            y.backward(tensor(f, name + ".dy"));
            for (Map.Entry<String, Tensor> e : leaves.entrySet()) {
                assertClose(family + " (grad)", name + " d" + e.getKey(), f.get(name + ".d" + e.getKey()),
                        e.getValue().grad(), gradRtol, gradAtol);
            }
        }
    }

    private static final Fixtures OPS = load("ops.txt");

    @AfterAll
    static void printErrors() {
        printWorst("op ");
    }

    @Test
    void broadcastingArithmetic() {
        for (String op : List.of("add", "sub", "mul", "div")) {
            for (String pair : List.of("same", "row", "col", "mid", "left", "outer", "scalar")) {
                Case c = new Case(OPS, "op broadcast " + op, op + "_" + pair);
                Tensor a = c.in("a"), b = c.in("b");
                Tensor y = switch (op) {
                    case "add" -> a.add(b);
                    case "sub" -> a.sub(b);
                    case "mul" -> a.mul(b);
                    default -> a.div(b);
                };
                c.check(y, RTOL, ATOL);
            }
        }
    }

    /**
     * Every matmul form: 1-D x 1-D, promotions of 1-D operands, batched, broadcast batch dimensions, transposed
     * views read in place. Tolerance 1e-5 relative + 2e-6 absolute: sums of at most 5 products (the gradients
     * of broadcast batches sum up to 3 of those), whose order and fused multiply-adds differ from PyTorch's.
     */
    @Test
    void matmulForms() {
        for (String kind : List.of("vv", "vm", "mv", "mm", "bm", "mb", "bb", "bcast", "bv", "vb", "tA", "tB", "tAB", "btA")) {
            Case c = new Case(OPS, "op matmul", "matmul_" + kind);
            Tensor a = c.in("a"), b = c.in("b");
            Tensor y = switch (kind) {
                case "tA" -> a.t().matmul(b);
                case "tB" -> a.matmul(b.t());
                case "tAB" -> a.t().matmul(b.t());
                case "btA" -> a.transpose(-1, -2).matmul(b);
                default -> a.matmul(b);
            };
            c.check(y, RTOL, 2e-6);
        }
    }

    /** Sums, means, variances and maxima over all elements and over dims 0, 1, -1 of a (3, 4, 5) tensor. */
    @Test
    void reductions() {
        Case all = new Case(OPS, "op reduction", "sum_all");
        all.check(all.in("x").sum(), RTOL, ATOL);
        all = new Case(OPS, "op reduction", "mean_all");
        all.check(all.in("x").mean(), RTOL, ATOL);
        all = new Case(OPS, "op reduction", "max_all");
        all.check(all.in("x").max(), 0, 0);
        Tensor ax = tensor(OPS, "argmax.x");
        for (int d : new int[] {0, 1, -1}) {
            String dn = d == -1 ? "m1" : String.valueOf(d);
            for (boolean k : new boolean[] {false, true}) {
                String kn = k ? "k" : "nk";
                Case c = new Case(OPS, "op reduction", "sum_d" + dn + "_" + kn);
                c.check(c.in("x").sum(d, k), RTOL, ATOL);
                c = new Case(OPS, "op reduction", "mean_d" + dn + "_" + kn);
                c.check(c.in("x").mean(d, k), RTOL, ATOL);
                // max picks an element: exact, and its gradient is dy placed at the argmax
                c = new Case(OPS, "op reduction", "max_d" + dn + "_" + kn);
                c.check(c.in("x").max(d, k), 0, 0);
                for (int corr : new int[] {0, 1}) {
                    c = new Case(OPS, "op reduction", "var_d" + dn + "_c" + corr + "_" + kn);
                    c.check(c.in("x").var(d, corr, k), RTOL, ATOL);
                }
                Fixtures.Entry am = OPS.get("argmax_d" + dn + "_" + kn + ".y");
                Tensor idx = ax.argmax(d, k);
                assertArrayEquals(am.shape(), idx.shape(), "argmax shape, dim " + d + " keepdim " + k);
                assertArrayEquals(am.floats(), idx.toArray(), "argmax, dim " + d + " keepdim " + k);
            }
        }
    }

    @Test
    void softmaxAndLogSoftmaxOverEachDim() {
        for (int d : new int[] {0, 1, -1}) {
            String dn = d == -1 ? "m1" : String.valueOf(d);
            Case c = new Case(OPS, "op softmax", "softmax_d" + dn);
            c.check(c.in("x").softmax(d), RTOL, ATOL);
            c = new Case(OPS, "op softmax", "log_softmax_d" + dn);
            c.check(F.logSoftmax(c.in("x"), d), RTOL, ATOL);
        }
    }

    @Test
    void unaryMath() {
        Map<String, UnaryOperator<Tensor>> ops = new LinkedHashMap<>();
        ops.put("exp", Tensor::exp);
        ops.put("log", Tensor::log);
        ops.put("sqrt", Tensor::sqrt);
        ops.put("abs", Tensor::abs);
        ops.put("neg", Tensor::neg);
        ops.put("rsub", x -> x.rsub(2f));
        ops.put("scalar_chain", x -> x.mul(2.5f).sub(1f).div(4f).add(3f));
        for (Map.Entry<String, UnaryOperator<Tensor>> e : ops.entrySet()) {
            Case c = new Case(OPS, "op unary", e.getKey());
            c.check(e.getValue().apply(c.in("x")), RTOL, ATOL);
        }
        for (String p : List.of("pow2", "pow3", "pow05", "powm15")) {
            Case c = new Case(OPS, "op unary", p);
            c.check(c.in("x").pow(c.param("p")), RTOL, ATOL);
        }
        // clamp: inputs on the bounds (PyTorch passes the gradient there: the bounds are inclusive) and next to them
        Case c = new Case(OPS, "op unary", "clamp");
        c.check(c.in("x").clamp(c.param("lo"), c.param("hi")), 0, 0);
    }

    /** gather with repeated indices: the backward accumulates; both are exact. */
    @Test
    void gather() {
        Case c = new Case(OPS, "op gather", "gather_d1");
        c.check(c.in("x").gather(1, c.constant("index")), 0, 0);
        c = new Case(OPS, "op gather", "gather_d0");
        c.check(c.in("x").gather(0, c.constant("index")), 0, 0);
    }

    /** Chains of transpose / permute / reshape / slice / select / expand / movedim / flatten with gradients. */
    @Test
    void viewChains() {
        Case c = new Case(OPS, "op view chain", "chain1");
        Tensor x = c.in("x"), w = c.in("w_");
        c.check(x.transpose(0, 2).reshape(4, 6).slice(1, 1, 5).permute(1, 0).mul(w), 0, 0);

        c = new Case(OPS, "op view chain", "chain2");
        x = c.in("x");
        w = c.in("w_");
        c.check(x.permute(2, 0, 1).select(1, 2).unsqueeze(0).expand(2, 5, 4).mul(w).sum(-1, false), RTOL, ATOL);

        c = new Case(OPS, "op view chain", "chain3");
        x = c.in("x");
        w = c.in("w_");
        c.check(x.t().reshape(3, 8).slice(0, 1, 3).flatten().mul(w), 0, 0);

        c = new Case(OPS, "op view chain", "chain4");
        x = c.in("x");
        c.check(x.slice(2, 0, 2).mul(x.slice(2, 2, 4)).movedim(2, 0).reshape(-1, 3).sum(0, false), RTOL, ATOL);

        c = new Case(OPS, "op view chain", "chain5");
        x = c.in("x");
        Tensor b = c.in("b");
        c.check(x.transpose(1, 2).select(0, 1).t().matmul(b.slice(1, 1, 3)), RTOL, 2e-6);
    }

    /**
     * Each activation module on 48 values in (6, 8): ordinary values, the softplus threshold region, large
     * magnitudes. Tolerance 1e-5 relative + 1e-6 absolute (the kernels' own fixtures check them to a few ulps;
     * here the point is the wiring: module -> tensor op -> kernel, and the backward given the right saved tensor).
     */
    @Test
    void activations() {
        Map<String, Module> acts = new LinkedHashMap<>();
        acts.put("relu", new Activations.ReLU());
        acts.put("gelu_none", new Activations.GELU());
        acts.put("gelu_tanh", new Activations.GELU("tanh"));
        acts.put("silu", new Activations.SiLU());
        acts.put("sigmoid", new Activations.Sigmoid());
        acts.put("tanh", new Activations.Tanh());
        acts.put("leaky_relu", new Activations.LeakyReLU(0.2f));
        acts.put("elu", new Activations.ELU());
        acts.put("elu_a05", new Activations.ELU(0.5f));
        acts.put("softplus", new Activations.Softplus());
        acts.put("softplus_b2_t1", new Activations.Softplus(2f, 1f));
        for (Map.Entry<String, Module> e : acts.entrySet()) {
            Case c = new Case(OPS, "op activation " + e.getKey(), "act_" + e.getKey());
            c.check(e.getValue().forward(c.in("x")), RTOL, ATOL);
        }
        // The functional forms give the same values bit for bit.
        Tensor x = tensor(OPS, "act_gelu_tanh.x");
        assertArrayEquals(new Activations.GELU("tanh").forward(x).toArray(), F.gelu(x, "tanh").toArray());
        assertArrayEquals(new Activations.Softplus(2f, 1f).forward(x).toArray(), F.softplus(x, 2f, 1f).toArray());
        assertThrows(IllegalArgumentException.class, () -> F.gelu(x, "erf"));
    }

    /** The comparison itself rejects what it must (so that the fixture tests can fail). */
    @Test
    void comparisonRejectsWrongShapesAndValues() {
        Fixtures.Entry e = new Fixtures.Entry(new int[] {2}, new double[] {1, 2});
        assertThrows(AssertionError.class, () -> assertClose("self-test", "t", e, Tensor.of(new float[] {1, 2}, 1, 2), 0, 0));
        assertThrows(AssertionError.class, () -> assertClose("self-test", "t", e, Tensor.of(new float[] {1, 2.001f}, 2),
                RTOL, ATOL));
        assertThrows(AssertionError.class, () -> assertClose("self-test", "t", new float[] {1}, new float[] {Float.NaN}, 1, 1));
        assertClose("self-test", "t", e, Tensor.of(new float[] {1, 2.00001f}, 2), RTOL, ATOL);
    }
}
