package dev.lanes.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.nn.layers.Conv2d;
import dev.lanes.nn.layers.MaxPool2d;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Convolution and pooling against PyTorch: forward outputs and all gradients for a random upstream
 * gradient, from {@code scripts/fixtures/gen_conv_fixtures.py} (torch 2.13, float32, CPU).
 *
 * <p>Tolerance: {@code |lanes - torch| <= 1e-5 |torch| + 1e-6 max(1, max|torch|)} per element. Both sides
 * compute in float32 with different summation orders, so exact bits are not expected; pooling outputs and
 * max-pool gradients are exact (they select or copy), averaging is within a few ulps.
 */
class ConvFixturesTest {
    private static final double RTOL = 1e-5;
    private static final double ATOL = 1e-6;

    /** Largest errors seen per kind (absolute, and relative to the tensor's largest value), printed by each test. */
    private final Map<String, String> worst = new java.util.TreeMap<>();

    private void assertMatches(Fixtures.Entry expected, Tensor actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double[] e = expected.values();
        float[] a = actual.toArray();
        double scale = 1;
        for (double v : e) {
            scale = Math.max(scale, Math.abs(v));
        }
        double maxErr = 0, maxAbs = 0;
        for (double v : e) {
            maxAbs = Math.max(maxAbs, Math.abs(v));
        }
        for (int i = 0; i < e.length; i++) {
            double err = Math.abs(e[i] - a[i]);
            maxErr = Math.max(maxErr, err);
            if (!(err <= RTOL * Math.abs(e[i]) + ATOL * scale)) {
                throw new AssertionError(what + " at " + i + ": torch " + e[i] + ", lanes " + a[i] + " (error " + err + ")");
            }
        }
        String kind = what.substring(what.lastIndexOf('.') + 1);
        double rel = maxAbs == 0 ? 0 : maxErr / maxAbs;
        worst.merge(kind, String.format("%.2e (%.2e of max)", maxErr, rel), (p, q) -> {
            double pv = Double.parseDouble(p.substring(0, p.indexOf(' ')));
            double qv = Double.parseDouble(q.substring(0, q.indexOf(' ')));
            return pv >= qv ? p : q;
        });
    }

    private static Tensor tensor(Fixtures f, String name, boolean grad) {
        Fixtures.Entry e = f.get(name);
        return Tensor.of(e.floats(), e.shape()).requiresGrad(grad);
    }

    @Test
    void conv2d() {
        Fixtures f = Fixtures.load("conv/conv2d.txt");
        Set<String> cases = cases(f);
        assertEquals(8, cases.size(), cases.toString());
        for (String c : cases) {
            int[] cfg = f.ints(c + ".config");
            Tensor x = tensor(f, c + ".x", true), w = tensor(f, c + ".w", true);
            Tensor b = cfg[7] == 1 ? tensor(f, c + ".b", true) : null;
            assertEquals(cfg[8] == 1 ? 4 : 3, x.dim(), c);
            Tensor y = ConvOps.conv2d(x, w, b, new int[] {cfg[0], cfg[1]}, new int[] {cfg[2], cfg[3]},
                    new int[] {cfg[4], cfg[5]}, cfg[6]);
            assertMatches(f.get(c + ".y"), y, c + ".y");
            y.backward(tensor(f, c + ".dy", false));
            assertMatches(f.get(c + ".dx"), x.grad(), c + ".dx");
            assertMatches(f.get(c + ".dw"), w.grad(), c + ".dw");
            if (b != null) {
                assertMatches(f.get(c + ".db"), b.grad(), c + ".db");
            }
        }
        System.out.println("ConvFixturesTest.conv2d worst absolute errors: " + worst);
    }

    @Test
    void pooling() {
        Fixtures f = Fixtures.load("conv/pool.txt");
        Set<String> cases = cases(f);
        assertEquals(18, cases.size(), cases.toString());
        for (String c : cases) {
            int[] k = f.ints(c + ".config");
            Function<Tensor, Tensor> op;
            if (c.startsWith("max.")) {
                op = x -> ConvOps.maxPool2d(x, new int[] {k[0], k[1]}, new int[] {k[2], k[3]}, new int[] {k[4], k[5]},
                        new int[] {k[6], k[7]}, k[8] == 1);
            } else if (c.startsWith("avg.")) {
                op = x -> ConvOps.avgPool2d(x, new int[] {k[0], k[1]}, new int[] {k[2], k[3]}, new int[] {k[4], k[5]},
                        k[6] == 1, k[7] == 1, k[8]);
            } else {
                op = x -> ConvOps.adaptiveAvgPool2d(x, k[0], k[1]);
            }
            Tensor x = tensor(f, c + ".x", true);
            Tensor y = op.apply(x);
            assertMatches(f.get(c + ".y"), y, c + ".y");
            y.backward(tensor(f, c + ".dy", false));
            assertMatches(f.get(c + ".dx"), x.grad(), c + ".dx");
            if (c.startsWith("max.")) {
                assertArrayEquals(f.floats(c + ".y"), y.toArray(), c + ": max pooling selects, so it is exact");
                assertArrayEquals(f.floats(c + ".dx"), x.grad().toArray(), c + ": and so is its gradient");
            }
        }
        System.out.println("ConvFixturesTest.pooling worst absolute errors: " + worst);
    }

    /** The MNIST CNN's feature extractor through the layers, with PyTorch's weights loaded by state-dict name. */
    @Test
    void mnistCnn() {
        Fixtures f = Fixtures.load("conv/mnist_cnn.txt");
        Conv2d conv1 = new Conv2d(1, 32, 3, 1, 1);
        Conv2d conv2 = new Conv2d(32, 64, 3, 1, 1);
        conv1.loadStateDict(Map.of("weight", tensor(f, "conv1.weight", false), "bias", tensor(f, "conv1.bias", false)), true);
        conv2.loadStateDict(Map.of("weight", tensor(f, "conv2.weight", false), "bias", tensor(f, "conv2.bias", false)), true);
        MaxPool2d pool = new MaxPool2d(2);
        Tensor x = tensor(f, "x", true);
        Tensor out = pool.forward(conv2.forward(pool.forward(conv1.forward(x).relu())).relu());
        assertMatches(f.get("out"), out, "mnist.out");
        out.backward(tensor(f, "dy", false));
        assertMatches(f.get("dx"), x.grad(), "mnist.dx");
        assertMatches(f.get("conv1.weight.grad"), conv1.weight().grad(), "mnist.conv1_dw");
        assertMatches(f.get("conv1.bias.grad"), conv1.bias().grad(), "mnist.conv1_db");
        assertMatches(f.get("conv2.weight.grad"), conv2.weight().grad(), "mnist.conv2_dw");
        assertMatches(f.get("conv2.bias.grad"), conv2.bias().grad(), "mnist.conv2_db");
        assertTrue(conv1.weight().grad() != null && conv2.bias().grad() != null);
        System.out.println("ConvFixturesTest.mnistCnn worst absolute errors: " + worst);
    }

    /** The case prefixes of a fixture file: everything before the last two dot-separated parts' final one. */
    private static Set<String> cases(Fixtures f) {
        Set<String> out = new LinkedHashSet<>();
        for (String name : f.entries().keySet()) {
            if (name.endsWith(".config")) {
                out.add(name.substring(0, name.length() - ".config".length()));
            }
        }
        return out;
    }
}
