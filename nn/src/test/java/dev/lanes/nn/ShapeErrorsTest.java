package dev.lanes.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lanes.nn.layers.Linear;
import dev.lanes.nn.layers.Module;
import dev.lanes.nn.losses.BCELoss;
import dev.lanes.nn.losses.CrossEntropyLoss;
import dev.lanes.nn.losses.Loss;
import dev.lanes.nn.losses.MSELoss;
import dev.lanes.nn.losses.NLLLoss;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Shape errors are {@link IllegalArgumentException}s whose message names both shapes, thrown before anything
 * is changed: the inputs' values, gradients and history, and a module's parameters and gradients are
 * identical before and after, and a graph built before the failed call still back-propagates as if the
 * call had never been made.
 */
class ShapeErrorsTest {
    /** Asserts {@code call} throws an IllegalArgumentException whose message contains every one of {@code parts}. */
    private static IllegalArgumentException assertShapeError(Executable call, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "message should name " + part + ": " + e.getMessage());
        }
        return e;
    }

    /** Values, gradient and history of each tensor. */
    private static Map<String, Object> state(Tensor... ts) {
        Map<String, Object> s = new LinkedHashMap<>();
        for (int i = 0; i < ts.length; i++) {
            s.put(i + ".values", ts[i].toArray());
            s.put(i + ".grad", ts[i].grad() == null ? null : ts[i].grad().toArray());
            s.put(i + ".gradFn", ts[i].gradFnName());
            s.put(i + ".requiresGrad", ts[i].requiresGrad());
        }
        return s;
    }

    private static void assertSameState(Map<String, Object> before, Map<String, Object> after) {
        assertEquals(before.keySet(), after.keySet());
        for (String k : before.keySet()) {
            Object b = before.get(k), a = after.get(k);
            if (b instanceof float[] fb) {
                assertArrayEquals(fb, (float[]) a, k);
            } else {
                assertEquals(b, a, k);
            }
        }
    }

    /**
     * Builds {@code loss = sum(a * 2) + sum(b * 3)} first, runs the failing call on a and b, then checks a and b
     * are unchanged (values, gradients left by earlier checks, history) and the earlier loss still
     * back-propagates exactly: the gradients grow by 2 and 3 everywhere.
     */
    private static void checkUnchanged(Tensor a, Tensor b, Executable failing, String... parts) {
        Tensor loss = a.mul(2f).sum().add(b.mul(3f).sum());
        String lossFn = loss.gradFnName();
        Map<String, Object> before = state(a, b);
        assertShapeError(failing, parts);
        assertSameState(before, state(a, b));
        assertEquals(lossFn, loss.gradFnName());
        loss.backward();
        assertGrew(a, (float[]) before.get("0.grad"), 2f);
        if (b.requiresGrad()) {
            assertGrew(b, (float[]) before.get("1.grad"), 3f);
        }
    }

    private static void assertGrew(Tensor t, float[] previous, float by) {
        float[] now = t.grad().toArray();
        for (int i = 0; i < now.length; i++) {
            assertEquals((previous == null ? 0f : previous[i]) + by, now[i]);
        }
    }

    @Test
    void matmulOfIncompatibleMatrices() {
        Generator g = new Generator(1);
        Tensor a = Tensor.randn(g, 3, 4).requiresGrad(true), b = Tensor.randn(g, 5, 6).requiresGrad(true);
        checkUnchanged(a, b, () -> a.matmul(b), "[3, 4]", "[5, 6]");
        // batched, and a matrix times a vector of the wrong length
        Tensor c = Tensor.randn(g, 2, 3, 4).requiresGrad(true), d = Tensor.randn(g, 2, 5, 6).requiresGrad(true);
        checkUnchanged(c, d, () -> c.matmul(d), "[2, 3, 4]", "[2, 5, 6]");
        Tensor v = Tensor.randn(g, 5).requiresGrad(true);
        assertShapeError(() -> a.matmul(v), "3x4", "5");
        assertShapeError(() -> a.t().matmul(Tensor.zeros(3, 2).t()), "[4, 3]", "[2, 3]");
    }

    @Test
    void broadcastingThatCannotWork() {
        Generator g = new Generator(2);
        Tensor a = Tensor.randn(g, 2, 3).requiresGrad(true), b = Tensor.randn(g, 4).requiresGrad(true);
        checkUnchanged(a, b, () -> a.add(b), "[2, 3]", "[4]");
        checkUnchanged(a, b, () -> a.sub(b), "[2, 3]", "[4]");
        checkUnchanged(a, b, () -> b.mul(a), "[4]", "[2, 3]");
        checkUnchanged(a, b, () -> a.div(b), "[2, 3]", "[4]");
        Tensor c = Tensor.randn(g, 2, 3, 4).requiresGrad(true), d = Tensor.randn(g, 3, 2, 1).requiresGrad(true);
        checkUnchanged(c, d, () -> c.mul(d), "[2, 3, 4]", "[3, 2, 1]");
    }

    /** Linear(784, 10) fed 100 features: the message names the input shape and the expected feature count. */
    @Test
    void linearWithTheWrongNumberOfFeatures() {
        Generator g = new Generator(3);
        Linear fc = new Linear(784, 10, true, dev.lanes.kernels.Activation.IDENTITY, g);
        Tensor ok = Tensor.randn(g, 2, 784).requiresGrad(true);
        fc.forward(ok).sum().backward(); // parameters have gradients, which must survive untouched
        Map<String, Object> before = moduleState(fc);
        Tensor bad = Tensor.randn(g, 2, 100).requiresGrad(true);
        Map<String, Object> input = state(bad);
        assertShapeError(() -> fc.forward(bad), "[2, 100]", "784");
        assertSameState(before, moduleState(fc));
        assertSameState(input, state(bad));
        // the functional form names the weight's shape too
        assertShapeError(() -> F.linear(bad, fc.weight(), fc.bias()), "[2, 100]", "[10, 784]");
        assertSameState(before, moduleState(fc));
        // and the module still works: a second backward accumulates exactly twice the first gradients
        float[] firstGrad = fc.weight().grad().toArray();
        fc.forward(ok).sum().backward();
        float[] twice = fc.weight().grad().toArray();
        for (int i = 0; i < firstGrad.length; i++) {
            assertEquals(2 * firstGrad[i], twice[i], Math.ulp(2 * firstGrad[i]));
        }
    }

    private static Map<String, Object> moduleState(Module m) {
        Map<String, Object> s = new LinkedHashMap<>();
        m.namedParameters().forEach((k, p) -> {
            s.put(k, p.toArray());
            s.put(k + ".grad", p.grad() == null ? null : p.grad().toArray());
            s.put(k + ".gradObject", System.identityHashCode(p.grad()));
        });
        return s;
    }

    @Test
    void lossWithAMismatchedBatch() {
        Generator g = new Generator(4);
        Tensor x = Tensor.randn(g, 4, 3).requiresGrad(true);
        Tensor other = Tensor.randn(g, 5, 3);
        checkUnchanged(x, other, () -> new MSELoss().forward(x, other), "[4, 3]", "[5, 3]");
        Loss bce = new BCELoss();
        Tensor p = Tensor.rand(g, 4, 3).requiresGrad(true);
        checkUnchanged(p, other, () -> bce.forward(p, Tensor.rand(g, 5, 3)), "[4, 3]", "[5, 3]");

        Tensor logits = Tensor.randn(g, 4, 5).requiresGrad(true);
        Tensor labels = Tensor.of(new float[] {0, 1, 2});
        checkUnchanged(logits, labels, () -> new CrossEntropyLoss().forward(logits, labels), "[4, 5]", "[3]");
        Tensor logp = Tensor.randn(g, 4, 5).requiresGrad(true);
        checkUnchanged(logp, labels, () -> new NLLLoss().forward(logp, labels), "[4, 5]", "[3]");
        assertNull(labels.grad());
        assertSame(null, labels.gradFnName());
    }
}
